"""The REST API (FastAPI, OpenAPI at /api/v1/openapi.json) over the same services as the CLI."""
