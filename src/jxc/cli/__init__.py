"""The `jxc` command: thin Typer commands over services and queries."""
