"""Which methods each path of the API serves: what a 405 `method_not_allowed` names in `Allow`.

The template routes every other method of these paths to functions/method_not_allowed; a test
(tests/unit/test_template.py) keeps this table and the template's routes in step.
"""

from __future__ import annotations

SERVED: dict[str, tuple[str, ...]] = {
    "/api/v1/clients": ("GET", "POST"),
    "/api/v1/clients/{client_id}": ("GET", "PATCH", "DELETE"),
    "/api/v1/clients/{client_id}/additional_info": ("PATCH",),
    "/api/v1/clients/{client_id}/full_name": ("PATCH",),
    "/api/v1/clients/{client_id}/password": ("PATCH",),
    "/api/v1/clients/{client_id}/password/lock": ("DELETE",),
    "/api/v1/clients/{client_id}/password/verify": ("POST",),
    "/api/v1/clients/{client_id}/phone_number": ("PATCH",),
    "/api/v1/clients/{client_id}/sessions": ("GET",),
}
