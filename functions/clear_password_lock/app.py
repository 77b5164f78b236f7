"""DELETE /api/v1/clients/{client_id}/password/lock: a service lets a locked-out client try again."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, lockout
from clients_api.access import Rule
from clients_api.http import create_app, lambda_handler_for, no_content
from clients_api.problems import CLIENT_NOT_FOUND, VALIDATION_ERROR
from clients_api.repository import verification_repository
from clients_api.requests import requested_client_id

app = create_app()
verification = verification_repository()


@app.delete(
    "/api/v1/clients/<client_id>/password/lock",
    operation_id="clearPasswordLock",
    summary="Clear a verification lock and the failure count (a service's job)",
    tags=["passwords"],
    responses=apidoc.responses(204, VALIDATION_ERROR, CLIENT_NOT_FOUND),
)
def clear_password_lock(client_id: str) -> Response[None]:
    lockout.clear_lock(requested_client_id(app, client_id, Rule.SERVICE), verification)
    return no_content()


lambda_handler = lambda_handler_for(app)
