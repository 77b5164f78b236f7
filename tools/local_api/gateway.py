"""The local API Gateway: aws-sam-cli's own `LocalApigwService`, serving template.yaml's routes.

Requests become the REST proxy events `sam local start-api` builds and results are parsed the
same way, because it is sam-cli's code doing both, the Lambda authorizer included. Added on top:
a request id per request, one log line per request (ending in `cold` when the invocation paid a
worker's init), the answers API Gateway gives itself rendered from the template's
GatewayResponses (401, 403, unknown routes), the local issuer's key set, and the API's OpenAPI
document with Swagger UI.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html
from flask import Flask, Response, g, jsonify, redirect, request
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.provider import Api
from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.apigw.authorizers.lambda_authorizer import LambdaAuthorizer
from samcli.local.apigw.exceptions import InvalidLambdaAuthorizerResponse
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.path_converter import PathConverter
from samcli.local.apigw.route import Route
from samcli.local.services.base_local_service import LambdaOutputParser

from tools.local_api.gateway_responses import GatewayAnswer, GatewayResponses
from tools.local_api.issuer import JWKS_PATH
from tools.local_api.runtime import invocation_was_cold

LOG = logging.getLogger("clients_api.local")
# The standard Swagger UI, from the copy powertools ships: served offline, like the rest.
SWAGGER_UI = Path(swagger_ui.__file__).parent
SWAGGER_ASSETS = {"swagger-ui-bundle.min.js": "text/javascript", "swagger-ui.min.css": "text/css"}
_TOOL_PAGES = frozenset({"openapi", "docs", "docs_asset", "home", "jwks"})  # not the API's routes
_NO_ROUTE = GatewayAnswer("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")


def _query_parameters(query_string: bytes) -> dict[str, Any]:
    """The event's query parameters, raw UTF-8 read as UTF-8, as callers mean it (curl sends
    `?status=проведена` unencoded). Werkzeug's server reads the request line as Latin-1 and
    hands sam-cli mojibake: its WSGI "encoding dance" is undone here to get the bytes sent."""
    sent = query_string.decode("utf-8", "surrogateescape").encode("latin-1", "surrogateescape")
    pairs = parse_qsl(sent.decode("utf-8", "replace"), keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {
        "queryStringParameters": {name: values[-1] for name, values in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
    }


class AuthorizerCache:
    """Authorizer answers by (authorizer, identity), each kept for its authorizer's TTL."""

    def __init__(self, seconds: dict[str, int]) -> None:
        self._seconds = seconds
        self._answers: dict[tuple[str, str], tuple[float, str | bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | bytes | None:
        with self._lock:
            expires, answer = self._answers.get(key, (0.0, None))
        return answer if time.monotonic() < expires else None

    def put(self, key: tuple[str, str], answer: str | bytes) -> None:
        seconds = self._seconds.get(key[0], 0)
        if seconds > 0:
            with self._lock:
                self._answers[key] = (time.monotonic() + seconds, answer)


class LocalApiGateway(LocalApigwService):
    """sam-cli's local API Gateway with the extras above, for an `Api` from template.yaml."""

    def __init__(
        self,
        api: Api,
        runner: LocalLambdaRunner,
        *,
        host: str,
        port: int,
        openapi: Path,
        gateway_responses: GatewayResponses,
        key_set: Callable[[], dict[str, Any]],
        authorizer_cache_seconds: dict[str, int] | None = None,
    ) -> None:
        super().__init__(api=api, lambda_runner=runner, host=host, port=port)
        self._openapi = openapi
        self._gateway_responses = gateway_responses
        self._key_set = key_set
        self._authorizer_cache = AuthorizerCache(authorizer_cache_seconds or {})

    @property
    def app(self) -> Flask:
        return self._app  # type: ignore[return-value]

    def create(self) -> None:
        super().create()
        # API Gateway serves a method a route names before ANY on the same path (the 405
        # function's); sam-cli keeps whichever route it read last for each method. Set the
        # widest routes first, so that every route naming fewer methods wins over them.
        for route in sorted(self.api.routes, key=lambda r: len(r.methods), reverse=True):
            path = PathConverter.convert_path_to_flask(route.path)
            for key in self._generate_route_keys(route.methods, path):
                self._dict_of_routes[key] = route
        # Werkzeug answers `/clients//password` with an HTML redirect to `/clients/password`; API
        # Gateway matches the path as sent (no such route: the template's 404).
        for rule in self.app.url_map.iter_rules():
            rule.merge_slashes = False
        self.app.url_map.merge_slashes = False
        self.app.add_url_rule("/openapi.json", "openapi", self._openapi_document, methods=["GET"])
        self.app.add_url_rule("/docs", "docs", self._docs_page, methods=["GET"])
        self.app.add_url_rule("/docs/<asset>", "docs_asset", self._docs_asset, methods=["GET"])
        self.app.add_url_rule("/", "home", lambda: redirect("/docs"), methods=["GET"])
        self.app.add_url_rule(JWKS_PATH, "jwks", lambda: jsonify(self._key_set()), methods=["GET"])
        self.app.register_error_handler(GatewayAnswer, self._gateway_answer)
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
        event.update(_query_parameters(flask_request.query_string))
        # sam-cli 1.170 computes requestId and requestTime once per process (default arguments
        # of RequestContext, aws/aws-sam-cli#9279); on AWS each request has its own, and our
        # X-Correlation-Id is it. Drop this once a pinned sam-cli has the fix.
        now = datetime.now(UTC)
        event["requestContext"].update(
            requestId=g.request_id,
            requestTime=now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            requestTimeEpoch=int(now.timestamp() * 1000),
        )
        return event

    def _construct_error_handling(self) -> None:
        super()._construct_error_handling()
        # An unknown path or method: what a REST API answers, MISSING_AUTHENTICATION_TOKEN.
        for status in (404, 405):
            self.app.register_error_handler(status, lambda _: self._gateway_answer(_NO_ROUTE))

    def _refuse_unrouted_head(self) -> Response | None:
        # Flask answers HEAD on every GET rule, and sam-cli 1.170 then fails to find a HEAD route
        # (a 502). A HEAD no route names (none for a tool page) is an unknown route, as on AWS.
        if request.method != "HEAD" or request.endpoint in _TOOL_PAGES:
            return None
        if self._route_key("HEAD", request.endpoint or "") in self._dict_of_routes:
            return None
        return self._gateway_answer(_NO_ROUTE)

    def _valid_identity_sources(self, flask_request: Any, route: Route) -> bool:
        # No Authorization header: API Gateway refuses before the authorizer runs.
        if not super()._valid_identity_sources(flask_request, route):
            raise GatewayAnswer("UNAUTHORIZED", "Unauthorized")
        return True

    def _invoke_parse_lambda_authorizer(
        self, lambda_authorizer: LambdaAuthorizer, auth_lambda_event: dict, route_lambda_event: dict, route: Route
    ) -> None:
        """Run the authorizer and act on its answer as API Gateway does: its error "Unauthorized"
        is a 401, any other failure AUTHORIZER_FAILURE, a policy that does not allow this route a
        403; an Allow hands its context to the function. (sam-cli 1.170 answers a 500 or its own
        403 instead.)"""
        # The authorizer's answer is kept per token for the authorizer's ReauthorizeEvery, as API
        # Gateway keeps it (the template's identity source is the Authorization header).
        key = (lambda_authorizer.authorizer_name, request.headers.get("Authorization", ""))
        output = self._authorizer_cache.get(key)
        failed = False
        if output is None:
            with StringIO() as stdout:
                self.lambda_runner.invoke(
                    lambda_authorizer.lambda_name,
                    json.dumps(auth_lambda_event, sort_keys=True),
                    stdout=StreamWriter(stdout, auto_flush=True),
                    stderr=self.stderr,
                )
                output, failed = LambdaOutputParser.get_lambda_output(stdout)
        if failed:
            if json.loads(output).get("errorMessage") == "Unauthorized":
                raise GatewayAnswer("UNAUTHORIZED", "Unauthorized")
            raise GatewayAnswer("AUTHORIZER_FAILURE", "Authorizer failed")
        try:
            allowed = lambda_authorizer.is_valid_response(output, self._create_method_arn(request, route.event_type))
            context = lambda_authorizer.get_context(output)
        except InvalidLambdaAuthorizerResponse:
            raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR", "Authorizer configuration error") from None
        self._authorizer_cache.put(key, output)  # a policy, Allow or Deny; never an error
        if not allowed:
            raise GatewayAnswer("ACCESS_DENIED", "User is not authorized to access this resource")
        route_lambda_event["requestContext"]["authorizer"] = context

    def _gateway_answer(self, answer: GatewayAnswer) -> Response:
        return self._gateway_responses.render(answer, g.request_id)

    def _openapi_document(self) -> Response:
        return Response(json.dumps(self._served_document(), ensure_ascii=False), mimetype="application/json")

    def _served_document(self) -> dict[str, Any]:
        """The committed document, read per request (`make openapi` after a model change shows
        without a restart), its local server being this one, on whatever port it serves."""
        document = json.loads(self._openapi.read_bytes())
        for server in document.get("servers", []):
            if server.get("description") == "make run":
                server["url"] = request.host_url.rstrip("/")
        return document

    def _docs_page(self) -> Response:
        if request.args.get("format") == "json":  # Swagger UI's own link to the document
            return self._openapi_document()
        page = generate_swagger_html(
            spec=json.dumps(self._served_document(), ensure_ascii=False),
            swagger_js="/docs/swagger-ui-bundle.min.js",
            swagger_css="/docs/swagger-ui.min.css",
            swagger_base_url="/docs",
            oauth2_config=None,
            # A token pasted under "Authorize" survives a reload of the page.
            persist_authorization=True,
        )
        return Response(page, mimetype="text/html")

    def _docs_asset(self, asset: str) -> Response:
        if asset not in SWAGGER_ASSETS:
            return self._gateway_answer(_NO_ROUTE)
        return Response((SWAGGER_UI / asset).read_bytes(), mimetype=SWAGGER_ASSETS[asset])

    def _start_clock(self) -> None:
        g.started = time.perf_counter()
        g.request_id = str(uuid.uuid4())

    def _log_request(self, response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.started) * 1000
        # Flask names each API route's endpoint after its path (sam-cli's convention); a CORS
        # preflight is answered by the gateway itself.
        route = self._dict_of_routes.get(self._route_key(request.method, request.endpoint or ""))
        function = route.function_name if route is not None and request.method != "OPTIONS" else "-"
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
