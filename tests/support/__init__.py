"""Test support: the template's own definitions, API Gateway events, seeded data."""
