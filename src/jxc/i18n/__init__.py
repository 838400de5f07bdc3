"""Messages and formatting in the user's language (zh_CN first, en), via Babel catalogues."""
