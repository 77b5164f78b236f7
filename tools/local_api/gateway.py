"""The local API Gateway: aws-sam-cli's own `LocalApigwService`, serving template.yaml's routes.

Requests become the REST proxy events `sam local start-api` builds and results are parsed the
same way, because it is sam-cli's code doing both. Added on top: a request id per request, one
log line per request (ending in `cold` when the invocation paid a worker's init), and the API's
OpenAPI document with a docs page.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.provider import Api
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.path_converter import PathConverter
from samcli.local.apigw.service_error_responses import ServiceErrorResponses

from tools.local_api.runtime import invocation_was_cold

LOG = logging.getLogger("clients_api.local")
DOCS_PAGE = Path(__file__).with_name("docs.html")


class LocalApiGateway(LocalApigwService):
    """sam-cli's local API Gateway with the extras above, for an `Api` from template.yaml."""

    def __init__(self, api: Api, runner: LocalLambdaRunner, *, host: str, port: int, openapi: Path) -> None:
        super().__init__(api=api, lambda_runner=runner, host=host, port=port)
        self._openapi = openapi
        # Flask names each API route's endpoint after its path (sam-cli's convention). A CORS
        # preflight (OPTIONS) is answered by the gateway itself.
        self._functions = {
            (method, PathConverter.convert_path_to_flask(route.path)): route.function_name
            for route in api.routes
            for method in route.methods
            if method != "OPTIONS"
        }

    @property
    def app(self) -> Flask:
        return self._app  # type: ignore[return-value]

    def create(self) -> None:
        super().create()
        self.app.add_url_rule("/openapi.json", "openapi", self._openapi_document, methods=["GET"])
        self.app.add_url_rule("/docs", "docs", self._docs_page, methods=["GET"])
        self.app.before_request(self._start_clock)
        self.app.before_request(self._refuse_unrouted_head)
        self.app.after_request(self._log_request)

    def _generate_lambda_event(self, flask_request: Any, route: Any, method: str, endpoint: str) -> dict[str, Any]:
        # A REST API hands a non-binary body to Lambda as text, invalid UTF-8 bytes replaced by
        # U+FFFD; sam-cli 1.170 decodes strictly and answers 502 instead. Do what API Gateway does.
        body = flask_request.get_data()
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            flask_request._cached_data = body.decode("utf-8", "replace").encode("utf-8")
        event = super()._generate_lambda_event(flask_request, route, method, endpoint)
        # sam-cli 1.170 computes requestId and requestTime once per process (default arguments
        # of RequestContext, aws/aws-sam-cli#9279); on AWS each request has its own, and our
        # X-Correlation-Id is it. Drop this once a pinned sam-cli has the fix.
        now = datetime.now(UTC)
        event["requestContext"].update(
            requestId=str(uuid.uuid4()),
            requestTime=now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            requestTimeEpoch=int(now.timestamp() * 1000),
        )
        return event

    @staticmethod
    def _refuse_unrouted_head() -> Response | None:
        # Flask answers HEAD on every GET rule, and sam-cli 1.170 then fails to find a HEAD route
        # (a 502). API Gateway refuses a method the API does not define, as below.
        if request.method == "HEAD" and request.endpoint not in {"openapi", "docs"}:
            return ServiceErrorResponses.route_not_found()
        return None

    def _openapi_document(self) -> Response:
        # Read per request: `make openapi` after a model change shows without a restart.
        return Response(self._openapi.read_bytes(), mimetype="application/json")

    def _docs_page(self) -> Response:
        return Response(DOCS_PAGE.read_bytes(), mimetype="text/html")

    def _start_clock(self) -> None:
        g.started = time.perf_counter()

    def _log_request(self, response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.started) * 1000
        function = self._functions.get((request.method, request.endpoint or ""), "-")
        # The path only: a query string may carry personal data.
        LOG.info(
            "%s %s %d %.0f ms %s%s",
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            function,
            " cold" if invocation_was_cold() else "",
        )
        return response
