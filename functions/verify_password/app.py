"""POST /api/v1/clients/{client_id}/password/verify: does this password match?"""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, credentials
from clients_api.http import create_app, json_response, lambda_handler_for
from clients_api.models import PasswordCheck, PasswordCheckResult
from clients_api.problems import CLIENT_NOT_FOUND, TOO_MANY_ATTEMPTS
from clients_api.repository import verification_repository
from clients_api.requests import parse_body, requested_client_id

app = create_app()
verification = verification_repository()


@app.post(
    "/api/v1/clients/<client_id>/password/verify",
    operation_id="verifyPassword",
    summary="Check a password; repeated mismatches lock checking for a while",
    tags=["passwords"],
    responses=apidoc.responses(200, *apidoc.BODY_PROBLEMS, CLIENT_NOT_FOUND, TOO_MANY_ATTEMPTS),
    openapi_extensions=apidoc.reads_body(PasswordCheck, example={"password": "паучикапау-2024"}),
)
def verify_password(client_id: str) -> Response[PasswordCheckResult]:
    client_id = requested_client_id(app, client_id)
    check = parse_body(app, PasswordCheck)
    matched = credentials.verify_password(client_id, check.password, verification)
    return json_response(PasswordCheckResult(match=matched))


lambda_handler = lambda_handler_for(app)
