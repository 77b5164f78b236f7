"""POST /api/v1/clients: register a client."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, registration
from clients_api.access import Rule
from clients_api.http import create_app, json_response, lambda_handler_for, location_of
from clients_api.models import ClientCreated, RegisterClient
from clients_api.problems import EMAIL_TAKEN, PHONE_TAKEN, WEAK_PASSWORD
from clients_api.repository import client_repository
from clients_api.requests import authorize_caller, parse_body

app = create_app()
repository = client_repository()


@app.post(
    "/api/v1/clients",
    operation_id="registerClient",
    summary="Register a client",
    description="Needs a service's token (or signature) unless the stack has OpenRegistration=true.",
    tags=["clients"],
    security=apidoc.CALLER_OR_ANYONE,
    responses=apidoc.responses(
        201, *apidoc.BODY_PROBLEMS, WEAK_PASSWORD, EMAIL_TAKEN, PHONE_TAKEN, headers=("Location",)
    ),
    openapi_extensions=apidoc.reads_body(
        RegisterClient,
        example={
            "first_name": "Мария",
            "last_name": "Иванова",
            "email": "maria@example.com",
            "password": "паучикапау-2024",
            "phone": "89092479999",
            "additional_info": "я люблю собак",
            "birthday": "2004-10-08",
            "sex": "женщина",
        },
    ),
)
def register_client() -> Response[ClientCreated]:
    authorize_caller(app, Rule.REGISTRATION)
    client_id = registration.register(parse_body(app, RegisterClient), repository)
    return json_response(ClientCreated(client_id=client_id), 201, {"Location": location_of(app, client_id)})


lambda_handler = lambda_handler_for(app)
