"""clients-api: the shared layer (models, domain logic, DynamoDB repository, HTTP glue)."""
