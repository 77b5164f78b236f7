"""The answers API Gateway gives itself (no token, a refused one, an unknown route), rendered from
template.yaml's GatewayResponses as API Gateway renders them, instead of sam-cli's bare JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response

# API Gateway's own status for each response type we produce locally; a template's StatusCode
# overrides it, and a type the template leaves out falls back to DEFAULT_4XX / DEFAULT_5XX.
DEFAULT_STATUS = {
    "MISSING_AUTHENTICATION_TOKEN": 403,  # an unknown route, on a REST API
    "UNAUTHORIZED": 401,  # no token, or the authorizer refused it
    "ACCESS_DENIED": 403,  # the authorizer's policy denies
    "AUTHORIZER_FAILURE": 500,  # the authorizer failed
    "AUTHORIZER_CONFIGURATION_ERROR": 500,  # the authorizer answered something that is no policy
}


class GatewayAnswer(Exception):
    """Raised where API Gateway itself would answer; the server turns it into that answer."""

    def __init__(self, response_type: str, message: str) -> None:
        super().__init__(f"{response_type}: {message}")
        self.response_type = response_type
        self.message = message


@dataclass(frozen=True)
class GatewayResponses:
    definitions: dict[str, Any]  # the Api's GatewayResponses, intrinsics resolved

    def render(self, answer: GatewayAnswer, request_id: str) -> Response:
        status = DEFAULT_STATUS[answer.response_type]
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        definition = self.definitions.get(answer.response_type) or self.definitions.get(fallback) or {}
        status = int(definition.get("StatusCode", status))
        headers = {
            name: _header_value(value, request_id)
            for name, value in (definition.get("ResponseParameters") or {}).get("Headers", {}).items()
        }
        template = (definition.get("ResponseTemplates") or {}).get("application/json")
        if template is None:
            body = json.dumps({"message": answer.message})
        else:
            body = template.replace("$context.requestId", request_id).replace(
                "$context.error.messageString", json.dumps(answer.message)
            )
        content_type = headers.pop("Content-Type", "application/json")
        return Response(body, status=status, headers=headers, content_type=content_type)


def _header_value(mapping: str, request_id: str) -> str:
    """A gateway response header: a quoted literal, or the context variable it names."""
    if mapping.startswith("'") and mapping.endswith("'"):
        return mapping[1:-1]
    if mapping == "context.requestId":
        return request_id
    raise ValueError(f"gateway response header mapping not served locally: {mapping}")
