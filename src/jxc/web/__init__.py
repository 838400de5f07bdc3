"""The web app (Jinja2 + htmx, vendored, no build step) over the same services as the API."""
