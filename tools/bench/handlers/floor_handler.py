"""The powertools floor: baseline.get_client's call behind powertools, with none of our code.

The resolver routes the request, and the handler is wrapped as clients_api.http wraps ours:
Logger with the correlation id, Tracer (X-Ray, botocore patched), Metrics. No pydantic, no
validation, no error mapping. What our get_client adds on top of this is our own code's cost;
what this adds on top of the baseline is the price of the framework we chose.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from baseline import CLIENTS, ddb, key

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=("botocore",))
app = APIGatewayRestResolver()


@app.get("/api/v1/clients/<client_id>")
def get_client(client_id: str) -> dict[str, Any]:
    return ddb.get_item(TableName=CLIENTS, Key=key(client_id), ConsistentRead=True)["Item"]


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
