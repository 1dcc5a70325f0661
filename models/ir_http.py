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
    def _pre_dispatch(cls, rule, args):
        result = super()._pre_dispatch(rule, args)
        http_request = request.httprequest
        # The body of a retailer's POST is read as sent, whatever type it
        # claims: Odoo parses a form body into parameters before the
        # controller runs, which would leave the signed bytes unread
        # (curl -d sends a JSON body as a form). Read first, it is parsed
        # from what was read.
        if (
            http_request.method == "POST"
            and http_request.path.startswith(api_schema.API_PREFIX + "/")
            and http_request.mimetype == "application/x-www-form-urlencoded"
            and (http_request.content_length or 0) <= api_schema.MAX_BODY_SIZE
        ):
            http_request.get_data(cache=True)
        return result

    @classmethod
    def _match(cls, path_info):
        """A method the retailer API has no route for answers 405 as a
        problem (Odoo's page otherwise: the routing refuses it before any
        controller or error handler runs)."""
        try:
            return super()._match(path_info)
        except werkzeug.exceptions.MethodNotAllowed as error:
            if not path_info.startswith(api_schema.API_PREFIX + "/"):
                raise
            methods = sorted(error.valid_methods or [])
            usable = [method for method in methods if method not in ("HEAD", "OPTIONS")]
            response = cls._b2b_problem_response(
                405,
                f"Use {' or '.join(usable)} here: see {api_schema.API_PREFIX}"
                "/openapi.json.",
            )
            response.headers["Allow"] = ", ".join(methods)
            raise werkzeug.exceptions.MethodNotAllowed(
                valid_methods=methods, response=response
            ) from error

    @classmethod
    def _handle_error(cls, exception):
        """Under the retailer API, what fails before its controllers run (no
        such route, a form body larger than the route takes) answers as a
        problem too."""
        if request.httprequest.path.startswith(api_schema.API_PREFIX + "/"):
            if isinstance(exception, werkzeug.exceptions.NotFound):
                return cls._b2b_problem_response(
                    404,
                    f"There is nothing here: see {api_schema.API_PREFIX}"
                    "/openapi.json.",
                )
            if isinstance(exception, werkzeug.exceptions.RequestEntityTooLarge):
                limit = request.httprequest.max_content_length
                return cls._b2b_problem_response(
                    413,
                    f"The body must not exceed {limit // (1024 * 1024)} MiB."
                    if limit
                    else "The body is too large.",
                )
        return super()._handle_error(exception)

    @classmethod
    def _b2b_problem_response(cls, status, detail, errors=None):
        return cls._b2b_json_response(
            status, api_schema.problem(status, detail, errors=errors)
        )

    @classmethod
    def _b2b_read_body(cls, max_size, require_length=False):
        """The raw body of the current request, at most ``max_size`` bytes, or
        the problem answer saying why not (shared by webhooks and the API)."""
        http_request = request.httprequest
        too_large = f"The body must not exceed {max_size // (1024 * 1024)} MiB."
        if http_request.content_length is None and require_length:
            return cls._b2b_problem_response(
                411, "Send the body with a Content-Length header."
            )
        if (http_request.content_length or 0) > max_size:
            return cls._b2b_problem_response(413, too_large)
        try:
            # kept on the request: Odoo replays a request whose transaction
            # met a concurrent one, and the replay reads the body again
            body = http_request.get_data(cache=True)
        except werkzeug.exceptions.RequestEntityTooLarge:
            return cls._b2b_problem_response(413, too_large)
        except werkzeug.exceptions.ClientDisconnected:
            return cls._b2b_problem_response(
                400, "The body ended before its Content-Length."
            )
        if len(body) > max_size:
            return cls._b2b_problem_response(413, too_large)
        return body

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
