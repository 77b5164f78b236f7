"""Dependency floor, rung 2: the REST API resolver (its package imports every powertools resolver)."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()
