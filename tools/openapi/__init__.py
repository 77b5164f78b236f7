"""The API's OpenAPI document, generated from the functions' routes: `python -m tools.openapi`."""
