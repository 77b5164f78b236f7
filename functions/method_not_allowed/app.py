"""Every method a path of the API does not serve: 405 `method_not_allowed`, naming in `Allow`
those it does. API Gateway would answer 403 "Missing Authentication Token" instead; the template
routes these methods (ANY, which loses to every method a function serves) here."""

from aws_lambda_powertools.event_handler import Response

from clients_api.http import create_app, lambda_handler_for
from clients_api.models import ProblemDetails
from clients_api.problems import METHOD_NOT_ALLOWED, problem_response
from clients_api.routes import SERVED

app = create_app()
# ANY, but OPTIONS: API Gateway answers the CORS preflight itself.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def refuse(**_path_parameters: str) -> Response[ProblemDetails]:
    allowed = ", ".join(SERVED[app.current_event.resource])
    return problem_response(METHOD_NOT_ALLOWED, headers={"Allow": allowed})


for _path in SERVED:
    # Not an operation of the API: left out of the OpenAPI document.
    app.route(_path.replace("{", "<").replace("}", ">"), method=_METHODS, include_in_schema=False)(refuse)

lambda_handler = lambda_handler_for(app)
