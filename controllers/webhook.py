from odoo import http
from odoo.http import request

from ..tools import webhook_signature
from ..tools.api_schema import API_PREFIX, MAX_BODY_SIZE


class B2bWebhookController(http.Controller):
    @http.route(
        f"{API_PREFIX}/webhooks/<string:code>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY_SIZE,
    )
    def b2b_webhook(self, code, **kwargs):
        """Standard Webhooks delivery of a retailer: the raw body and headers go
        to ``b2b.event._b2b_receive_webhook``, which verifies the signature,
        records the event once per webhook-id and processes it."""
        http_request = request.httprequest
        ir_http = request.env["ir.http"]
        body = ir_http._b2b_read_body(MAX_BODY_SIZE, require_length=True)
        if isinstance(body, http.Response):
            return body
        headers = {
            # WSGI decodes header bytes as Latin-1: give back the bytes the
            # sender signed, so that a UTF-8 webhook-id verifies.
            name: _raw_header(http_request.headers.get(name))
            for name in (
                webhook_signature.HEADER_ID,
                webhook_signature.HEADER_TIMESTAMP,
                webhook_signature.HEADER_SIGNATURE,
            )
        }
        status, answer = (
            request.env["b2b.event"].sudo()._b2b_receive_webhook(code, headers, body)
        )
        return ir_http._b2b_json_response(status, answer)


def _raw_header(value):
    if value is None:
        return None
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value
