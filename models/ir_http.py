import json

import werkzeug.exceptions

from odoo import models
from odoo.exceptions import AccessDenied
from odoo.http import SessionExpiredException, request

from ..tools import api_schema


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_bearer(cls):
        """Refusals of the retailer API answer as RFC 9457 problems, as the
        rest of the API does; other bearer routes keep Odoo's answers."""
        try:
            return super()._auth_method_bearer()
        except (
            werkzeug.exceptions.Unauthorized,
            AccessDenied,
            SessionExpiredException,
        ) as error:
            if not request.httprequest.path.startswith(api_schema.API_PREFIX + "/"):
                raise
            if isinstance(error, AccessDenied) and request.httprequest.headers.get(
                "Authorization"
            ):
                response = cls._b2b_problem_response(
                    403, "This API key may not be used with the current session."
                )
                raise werkzeug.exceptions.Forbidden(response=response) from error
            response = cls._b2b_problem_response(
                401,
                "Authenticate with an API key: send the header Authorization: Bearer "
                "<key>.",
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            raise werkzeug.exceptions.Unauthorized(response=response) from error

    @classmethod
    def _b2b_problem_response(cls, status, detail, errors=None):
        return cls._b2b_json_response(
            status, api_schema.problem(status, detail, errors=errors)
        )

    @classmethod
    def _b2b_json_response(cls, status, body):
        """A JSON answer of the retailer channels; problems (4xx, 5xx) as
        ``application/problem+json``."""
        content_type = (
            api_schema.PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
        )
        return request.make_response(
            json.dumps(body),
            headers=[("Content-Type", content_type), ("Cache-Control", "no-store")],
            status=status,
        )
