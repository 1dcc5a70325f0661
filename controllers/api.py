import psycopg2.errors

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools import api_schema, json_schema

API = api_schema.API_PREFIX


class B2bApiController(http.Controller):
    """The retailer's JSON API. Every call runs as the portal user of the API
    key (``auth='bearer'``), under the portal record rules: a retailer sees and
    changes its own company's requests and orders only."""

    @http.route(
        f"{API}/openapi.json",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
    )
    def b2b_api_openapi(self):
        document = api_schema.openapi_document(request.httprequest.url_root.rstrip("/"))
        return request.env["ir.http"]._b2b_json_response(200, document)

    @http.route(
        f"{API}/orders",
        type="http",
        auth="bearer",
        methods=["GET"],
        csrf=False,
        readonly=True,
        save_session=False,
    )
    def b2b_api_orders(self, **params):
        return self._b2b_call(request.env["sale.order"]._b2b_api_list, params)

    @http.route(
        f"{API}/orders/<path:reference>",
        type="http",
        auth="bearer",
        methods=["GET"],
        csrf=False,
        readonly=True,
        save_session=False,
    )
    def b2b_api_order(self, reference, **params):
        return self._b2b_call(request.env["sale.order"]._b2b_api_get, reference)

    @http.route(
        f"{API}/requests",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=api_schema.MAX_BODY_SIZE,
    )
    def b2b_api_create_request(self, **params):
        body = self._b2b_json_body()
        if isinstance(body, http.Response):
            return body
        return self._b2b_call(
            request.env["b2b.connection"]._b2b_api_create_request, body
        )

    @http.route(
        f"{API}/orders/<path:reference>/<any(confirm,reopen,cancel):action>",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=api_schema.MAX_BODY_SIZE,
    )
    def b2b_api_order_action(self, reference, action, **params):
        body = None
        if action == "cancel":
            body = self._b2b_json_body()
            if isinstance(body, http.Response):
                return body
        return self._b2b_call(
            request.env["sale.order"]._b2b_api_action, reference, action, body
        )

    @http.route(
        f"{API}/files",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=api_schema.MAX_FILE_BODY_SIZE,
    )
    def b2b_api_upload_file(self, file=None, **params):
        if not hasattr(file, "filename") or not hasattr(file, "read"):
            return request.env["ir.http"]._b2b_problem_response(
                422,
                "Send the CSV file as multipart/form-data in the field named file.",
                errors=[{"path": "file", "message": "This field is required."}],
            )
        return self._b2b_call(
            request.env["b2b.connection"]._b2b_api_upload_file,
            file.filename or "",
            file.read(),
        )

    # Helpers ----------------------------------------------------------------

    def _b2b_caller_problem(self):
        """The 403 answer to a key of anyone but a retailer's portal user: the
        API acts on the caller's company's requests and orders, which an
        internal user does not have (and may not change all of)."""
        if request.env.user._is_portal():
            return None
        return request.env["ir.http"]._b2b_problem_response(
            403,
            "The API is for retailers: use the API key of a portal user of your "
            "company.",
        )

    def _b2b_json_body(self):
        """The JSON body of the request, or the problem answer saying why not."""
        if problem := self._b2b_caller_problem():
            return problem
        ir_http = request.env["ir.http"]
        data = ir_http._b2b_read_body(api_schema.MAX_BODY_SIZE)
        if isinstance(data, http.Response):
            return data
        try:
            return json_schema.loads(data)
        except json_schema.JsonBodyError as error:
            return ir_http._b2b_problem_response(
                422,
                "The body is not valid JSON.",
                errors=[{"path": "", "message": str(error)}],
            )

    def _b2b_call(self, method, *args):
        """Run one model method in a savepoint and answer what it returns, or
        the problem of the error it raised (nothing of a failed call stays)."""
        if problem := self._b2b_caller_problem():
            return problem
        ir_http = request.env["ir.http"]
        try:
            with request.env.cr.savepoint():
                status, body = method(*args)
        except B2bInputError as error:
            return ir_http._b2b_problem_response(
                422, "The request is not valid: see errors.", errors=error.errors
            )
        except B2bRefusedError as error:
            return ir_http._b2b_problem_response(403, error.args[0])
        except MissingError as error:
            return ir_http._b2b_problem_response(404, error.args[0])
        except AccessError:
            return ir_http._b2b_problem_response(403, "Your user may not do this.")
        except ValidationError as error:
            return ir_http._b2b_problem_response(
                422, error.args[0], errors=[{"path": "", "message": error.args[0]}]
            )
        except UserError as error:
            return ir_http._b2b_problem_response(409, error.args[0])
        except psycopg2.errors.UniqueViolation:
            return ir_http._b2b_problem_response(
                409,
                "Another request or order of yours was just created with this "
                "reference.",
            )
        return ir_http._b2b_json_response(status, body)
