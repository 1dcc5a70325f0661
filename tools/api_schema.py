"""JSON Schemas of the retailer channels, and the OpenAPI 3.1 document built on them.

The schemas here serve twice: ``json_schema.validate`` checks inbound webhook
and API bodies against them, and :func:`openapi_document` publishes them at
``/b2b/v1/openapi.json``. A change to a schema is a change to the documented
contract and to the check at once.

The schemas check shape and bounds (types, lengths, the NUL character, finite
quantities); ``b2b.connection._b2b_receive`` then checks what needs the
database (known products and countries, unused references) and reports with
the same ``{path, message}`` errors.

Pure Python: nothing here imports Odoo.
"""

import copy
from http import HTTPStatus

API_PREFIX = "/b2b/v1"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Largest JSON body of a webhook or an API call.
MAX_BODY_SIZE = 1024 * 1024
# An uploaded CSV drop (API, portal): the parser refuses files over 10 MB
# itself, with an error file; larger requests are refused at once (413).
MAX_FILE_BODY_SIZE = 16 * 1024 * 1024

B2B_STATES = [
    "request",
    "answered",
    "expired",
    "declined",
    "order",
    "shipped",
    "cancelled",
]

# Inbound webhook event types, and the outbound ones the supplier sends.
INBOUND_EVENT_TYPES = [
    "request.created",
    "order.created",
    "request.reopened",
    "order.cancelled",
]
OUTBOUND_EVENT_TYPES = [
    "request.answered",
    "request.declined",
    "request.expired",
    "order.confirmed",
    "shipment.confirmed",
    "order.cancelled",
]

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 200

REFERENCE_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "description": (
        "The retailer's reference of the request or order, unique per connection."
    ),
}


def _text(max_length, nullable=False, min_length=None, **extra):
    schema = {
        "type": ["string", "null"] if nullable else "string",
        "maxLength": max_length,
    }
    if min_length:
        schema["minLength"] = min_length
    schema.update(extra)
    return schema


SHIP_TO_SCHEMA = {
    "type": "object",
    "description": "Where the goods go: the retailer's customer.",
    "properties": {
        "name": _text(255, min_length=1),
        "street": _text(255, min_length=1),
        "street2": _text(255, nullable=True),
        "city": _text(128, min_length=1),
        "zip": _text(
            32,
            nullable=True,
            description="Postcode; required unless the country has none, such "
            "as HK.",
        ),
        "state_code": _text(
            16, nullable=True, description="State or province code, such as CA."
        ),
        "country_code": {
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "description": "ISO 3166-1 alpha-2 country code, such as FR.",
            "x-pattern-message": (
                "Use a two-letter ISO 3166-1 country code, such as FR."
            ),
        },
        "email": _text(255, nullable=True),
        "phone": _text(64, nullable=True),
    },
    "required": ["name", "street", "city", "country_code"],
    "additionalProperties": False,
}
SHIP_TO_FIELDS = tuple(SHIP_TO_SCHEMA["properties"])

LINE_SCHEMA = {
    "type": "object",
    "description": "One product: give our `sku` or your `retailer_sku`.",
    "properties": {
        "sku": _text(128, nullable=True, description="Our product reference."),
        "retailer_sku": _text(
            128,
            nullable=True,
            description="Your product reference, as mapped on the connection.",
        ),
        "quantity": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_QUANTITY},
        "description": _text(1000, nullable=True),
    },
    "required": ["quantity"],
    "additionalProperties": False,
}

REQUEST_DATA_SCHEMA = {
    "type": "object",
    "description": "A request (or, with instant ordering, an order) for one shipment.",
    "properties": {
        "reference": REFERENCE_SCHEMA,
        "ship_to": SHIP_TO_SCHEMA,
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_LINES,
            "items": LINE_SCHEMA,
        },
        "note": _text(10000, nullable=True),
    },
    "required": ["reference", "ship_to", "lines"],
    "additionalProperties": False,
}

REFERENCE_DATA_SCHEMA = {
    "type": "object",
    "properties": {"reference": REFERENCE_SCHEMA},
    "required": ["reference"],
    "additionalProperties": False,
}

REASON_SCHEMA = _text(
    2000,
    min_length=1,
    pattern=r"\S",
    **{"x-pattern-message": "The reason must not be blank."},
)

CANCEL_DATA_SCHEMA = {
    "type": "object",
    "properties": {"reference": REFERENCE_SCHEMA, "reason": REASON_SCHEMA},
    "required": ["reference", "reason"],
    "additionalProperties": False,
}

CANCEL_BODY_SCHEMA = {
    "type": "object",
    "properties": {"reason": REASON_SCHEMA},
    "required": ["reason"],
    "additionalProperties": False,
}

ENVELOPE_SCHEMA = {
    "type": "object",
    "description": (
        "A Standard Webhooks payload: the event type, when it happened, its data."
    ),
    "properties": {
        "type": {"type": "string", "enum": INBOUND_EVENT_TYPES},
        "timestamp": _text(
            64, nullable=True, description="When the event happened (RFC 3339)."
        ),
        "data": {"type": "object"},
    },
    "required": ["type", "data"],
}


def inbound_data_schema(event_type, data):
    """The schema the ``data`` of an inbound event must follow.

    ``order.created`` carries either the reference of an answered request
    (which becomes an order) or a full order (instant ordering): the presence
    of ``lines`` or ``ship_to`` tells which.
    """
    if event_type == "request.created":
        return REQUEST_DATA_SCHEMA
    if event_type == "order.created":
        if isinstance(data, dict) and ("lines" in data or "ship_to" in data):
            return REQUEST_DATA_SCHEMA
        return REFERENCE_DATA_SCHEMA
    if event_type == "request.reopened":
        return REFERENCE_DATA_SCHEMA
    if event_type == "order.cancelled":
        return CANCEL_DATA_SCHEMA
    raise KeyError(event_type)


# -- what the supplier answers -------------------------------------------------

_DATETIME = {"type": "string", "format": "date-time"}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL = {"type": ["string", "null"]}

ORDER_LINE_SCHEMA = {
    "type": "object",
    "properties": {
        "sku": _TEXT_OR_NULL,
        "retailer_sku": _TEXT_OR_NULL,
        "description": {"type": "string"},
        "quantity": {
            "type": "number",
            "description": "Quantity requested, or ordered once an order.",
        },
        "price_unit": {"type": "number"},
        "available_quantity": {
            "type": "number",
            "description": "The supplier's answer.",
        },
        "backorder": {"type": "boolean"},
        "backorder_quantity": {"type": "number"},
        "backorder_date": {"type": ["string", "null"], "format": "date"},
        "delivered_quantity": {"type": "number"},
    },
    "required": [
        "sku",
        "retailer_sku",
        "description",
        "quantity",
        "price_unit",
        "available_quantity",
        "backorder",
        "backorder_quantity",
        "backorder_date",
        "delivered_quantity",
    ],
}

SHIPMENT_SCHEMA = {
    "type": "object",
    "description": "A delivery that left, with its parcels' tracking.",
    "properties": {
        "name": {"type": "string"},
        "carrier": _TEXT_OR_NULL,
        "shipped_at": _DATETIME_OR_NULL,
        "tracking": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"reference": {"type": "string"}, "url": _TEXT_OR_NULL},
                "required": ["reference", "url"],
            },
        },
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": _TEXT_OR_NULL,
                    "retailer_sku": _TEXT_OR_NULL,
                    "quantity": {"type": "number"},
                },
                "required": ["sku", "retailer_sku", "quantity"],
            },
        },
    },
    "required": ["name", "carrier", "shipped_at", "tracking", "lines"],
}

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "reference": _TEXT_OR_NULL,
        "name": {"type": "string", "description": "The supplier's number."},
        "state": {"type": "string", "enum": B2B_STATES},
        "created_at": _DATETIME,
        "updated_at": _DATETIME,
        "answer_deadline": _DATETIME_OR_NULL,
        "ship_deadline": _DATETIME_OR_NULL,
        "answered_at": _DATETIME_OR_NULL,
        "shipped_at": _DATETIME_OR_NULL,
        "note": _TEXT_OR_NULL,
        "answer_message": _TEXT_OR_NULL,
        "decline_reason": _TEXT_OR_NULL,
        "cancel_reason": _TEXT_OR_NULL,
        "currency": {"type": "string"},
        "amount_untaxed": {"type": "number"},
        "amount_total": {"type": "number"},
        "shipping_fee": {"type": ["number", "null"]},
        "ship_to": {
            "type": "object",
            "properties": {key: _TEXT_OR_NULL for key in SHIP_TO_FIELDS},
        },
        "lines": {"type": "array", "items": ORDER_LINE_SCHEMA},
        "shipments": {"type": "array", "items": SHIPMENT_SCHEMA},
    },
    "required": [
        "reference",
        "name",
        "state",
        "created_at",
        "updated_at",
        "answer_deadline",
        "ship_deadline",
        "lines",
        "shipments",
    ],
}

ORDER_LIST_SCHEMA = {
    "type": "object",
    "properties": {
        "orders": {"type": "array", "items": ORDER_SCHEMA},
        "next_cursor": {
            "type": ["string", "null"],
            "description": (
                "Pass as `cursor` to continue after the last order of this page; "
                "keep it to ask later for what changed since."
            ),
        },
        "has_more": {"type": "boolean"},
    },
    "required": ["orders", "next_cursor", "has_more"],
}

FILE_DROP_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["received", "imported", "error", "duplicate"],
        },
        "reference": _TEXT_OR_NULL,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "row": {"type": ["integer", "null"]},
                    "column": _TEXT_OR_NULL,
                    "value": _TEXT_OR_NULL,
                    "message": {"type": "string"},
                },
                "required": ["message"],
            },
        },
    },
    "required": ["name", "state", "reference", "errors"],
}

ERROR_ITEM_SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
    "required": ["path", "message"],
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": ERROR_ITEM_SCHEMA},
    },
    "required": ["type", "title", "status", "detail"],
}

WEBHOOK_RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["processed", "accepted"]},
        "reference": _TEXT_OR_NULL,
        "name": {"type": "string"},
        "state": {"type": "string", "enum": B2B_STATES},
    },
    "required": ["status"],
}

# The data of shipment.confirmed and order.cancelled events, as the shipping
# side builds them (sale.order._b2b_shipment_payload, _b2b_cancel_payload):
# absent values are null.
_SKU_QUANTITIES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "sku": _TEXT_OR_NULL,
            "retailer_sku": _TEXT_OR_NULL,
            "quantity": {"type": "number"},
        },
        "required": ["sku", "quantity"],
    },
}

SHIPMENT_EVENT_DATA_SCHEMA = {
    "type": "object",
    "description": (
        "One shipment of an order: what left, its tracking, what is to come."
    ),
    "properties": {
        "order": {"type": "string", "description": "The supplier's order number."},
        "reference": _TEXT_OR_NULL,
        "connection": {"type": "string"},
        "shipment": {"type": "integer", "description": "1 for the order's first."},
        "fully_shipped": {"type": "boolean"},
        "shipped_at": {"type": "string", "description": "UTC, YYYY-MM-DD HH:MM:SS."},
        "carrier": _TEXT_OR_NULL,
        "shipping_service": _TEXT_OR_NULL,
        "shipping_cost": {"type": "number"},
        "currency": {"type": "string"},
        "tracking": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"reference": {"type": "string"}, "url": _TEXT_OR_NULL},
                "required": ["reference"],
            },
        },
        "message": _TEXT_OR_NULL,
        "lines": _SKU_QUANTITIES,
        "backorder": _SKU_QUANTITIES,
        "cancelled": {
            **_SKU_QUANTITIES,
            "description": "What was left out of this shipment without a "
            "back-order: it will not ship, and is no longer ordered.",
        },
    },
    "required": ["order", "reference", "tracking", "lines"],
}

CANCELLED_EVENT_DATA_SCHEMA = {
    "type": "object",
    "description": "An order (not a request) was cancelled; what had shipped stays.",
    "properties": {
        "order": {"type": "string"},
        "reference": _TEXT_OR_NULL,
        "connection": {"type": "string"},
        "reason": _TEXT_OR_NULL,
        "shipped": _SKU_QUANTITIES,
    },
    "required": ["order", "reference", "reason"],
}


# -- the OpenAPI document -------------------------------------------------------


def _problem(description):
    return {
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(description, ref):
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
        },
    }


_AUTH_PROBLEMS = {
    "401": _problem("No valid API key."),
    "403": _problem("The key's user may not do this."),
}

# Answers of every route that reads a body
_BODY_PROBLEMS = {
    "400": _problem("The body ended before its Content-Length."),
    "413": _problem("The body is larger than 1 MiB."),
}

_REFERENCE_PARAMETER = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": (
        "The retailer's reference of the request or order, percent-encoded "
        "(a reference may hold slashes: PO%2F2025%2F001)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}


def _action(summary, description, request_body=None):
    operation = {
        "summary": summary,
        "description": description,
        "parameters": [_REFERENCE_PARAMETER],
        "responses": {
            "200": _json("The request or order after the change.", "Order"),
            **_AUTH_PROBLEMS,
            "404": _problem("No request or order of yours has this reference."),
            "409": _problem("The request or order is not in a state that allows this."),
            "422": _problem("The body is not valid."),
        },
    }
    if request_body:
        operation["requestBody"] = request_body
        operation["responses"].update(_BODY_PROBLEMS)
    return operation


def openapi_document(server_url=""):
    """Return the OpenAPI 3.1 document of the JSON API and the webhooks."""
    schemas = {
        "RequestData": REQUEST_DATA_SCHEMA,
        "ShipTo": SHIP_TO_SCHEMA,
        "Line": LINE_SCHEMA,
        "CancelBody": CANCEL_BODY_SCHEMA,
        "Order": ORDER_SCHEMA,
        "OrderLine": ORDER_LINE_SCHEMA,
        "Shipment": SHIPMENT_SCHEMA,
        "OrderList": ORDER_LIST_SCHEMA,
        "FileDrop": FILE_DROP_SCHEMA,
        "Problem": PROBLEM_SCHEMA,
        "WebhookEnvelope": ENVELOPE_SCHEMA,
        "WebhookResult": WEBHOOK_RESULT_SCHEMA,
    }
    schemas = copy.deepcopy(schemas)
    webhook_headers = [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in (
            ("webhook-id", "Unique id of the message; the same on every retry of it."),
            ("webhook-timestamp", "Unix seconds at which the message was signed."),
            (
                "webhook-signature",
                "Space-separated `v1,<base64 HMAC-SHA256 of "
                "{id}.{timestamp}.{body}>` signatures.",
            ),
        )
    ]
    paths = {
        f"{API_PREFIX}/orders": {
            "get": {
                "summary": "Requests and orders changed in a period",
                "description": (
                    "Your company's requests and orders, oldest change first, paged "
                    "by an "
                    "opaque cursor on (last change, id): an order that changes while "
                    "you page "
                    "comes again later with its new content, none is skipped. "
                    "Changes appear "
                    "here a few seconds after they are made, once every transaction "
                    "that "
                    "could still write an older change time has ended."
                ),
                "parameters": [
                    {
                        "name": "updated_after",
                        "in": "query",
                        "description": (
                            "Only what changed at or after this time (RFC 3339)."
                        ),
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "updated_before",
                        "in": "query",
                        "description": "Only what changed before this time (RFC 3339).",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string", "enum": B2B_STATES},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": LIST_MAX_LIMIT,
                            "default": LIST_DEFAULT_LIMIT,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "`next_cursor` of the previous page.",
                        "schema": {"type": "string", "maxLength": 512},
                    },
                ],
                "responses": {
                    "200": _json("A page of requests and orders.", "OrderList"),
                    **_AUTH_PROBLEMS,
                    "422": _problem("A parameter is not valid."),
                },
            }
        },
        f"{API_PREFIX}/orders/{{reference}}": {
            "get": {
                "summary": "One request or order",
                "parameters": [_REFERENCE_PARAMETER],
                "responses": {
                    "200": _json("The request or order.", "Order"),
                    **_AUTH_PROBLEMS,
                    "404": _problem("No request or order of yours has this reference."),
                },
            }
        },
        f"{API_PREFIX}/requests": {
            "post": {
                "summary": "Send a request",
                "description": "The same data as the `request.created` webhook.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/RequestData"}
                        }
                    },
                },
                "responses": {
                    "201": _json("The request, created.", "Order"),
                    **_BODY_PROBLEMS,
                    **_AUTH_PROBLEMS,
                    "409": _problem(
                        "Another request of yours was created with this reference "
                        "at the same moment."
                    ),
                    "422": _problem(
                        "The request is not valid; `errors` lists every problem."
                    ),
                },
            }
        },
        f"{API_PREFIX}/orders/{{reference}}/confirm": {
            "post": _action(
                "Turn an answered request into an order",
                "Quantities become the available ones; back-orders become their own "
                "lines.",
            )
        },
        f"{API_PREFIX}/orders/{{reference}}/reopen": {
            "post": _action(
                "Re-open an expired request", "The supplier gets a new answer deadline."
            )
        },
        f"{API_PREFIX}/orders/{{reference}}/cancel": {
            "post": _action(
                "Cancel a request or an order not yet shipped",
                "The reason is passed on to the supplier.",
                request_body={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CancelBody"}
                        }
                    },
                },
            )
        },
        f"{API_PREFIX}/files": {
            "post": {
                "summary": "Upload a CSV drop",
                "description": (
                    "One CSV file per request or order, as for SFTP and e-mail drops."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {
                                        "type": "string",
                                        "contentMediaType": "text/csv",
                                    }
                                },
                                "required": ["file"],
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        "The file was recognised as a duplicate: nothing imported.",
                        "FileDrop",
                    ),
                    "201": _json("The file was imported.", "FileDrop"),
                    **_AUTH_PROBLEMS,
                    "413": _problem("The body is larger than 16 MiB."),
                    "422": _problem(
                        "The file was refused; `errors` lists every problem."
                    ),
                },
            }
        },
        f"{API_PREFIX}/webhooks/{{code}}": {
            "post": {
                "summary": "Deliver a webhook (Standard Webhooks)",
                "description": (
                    "Signed with the connection's `whsec_` secret. The same "
                    "`webhook-id` "
                    "delivered again gets the answer of the first delivery and "
                    "creates nothing."
                ),
                "security": [],
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "description": "Code of your connection.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 64,
                            "pattern": "^[^/]+$",
                        },
                    },
                    *webhook_headers,
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/WebhookEnvelope"}
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        "Processed: the resulting request or order (connections "
                        "that process webhooks at once).",
                        "WebhookResult",
                    ),
                    "202": _json(
                        "Accepted: checked, and created within moments by the "
                        "scheduled action (connections that queue webhooks, the "
                        "default). Its outcome is on the event log and in "
                        "`GET /b2b/v1/orders/{reference}`.",
                        "WebhookResult",
                    ),
                    "400": _problem("The body ended before its Content-Length."),
                    "401": _problem(
                        "Unknown connection, or the signature could not be verified."
                    ),
                    "403": _problem("The connection may not send this."),
                    "409": _problem(
                        "The request or order is not in a state that allows this."
                    ),
                    "411": _problem("The Content-Length header is required."),
                    "413": _problem("The body is larger than 1 MiB."),
                    "422": _problem(
                        "The body is not valid; `errors` lists every problem."
                    ),
                },
            }
        },
    }
    webhooks = {}
    for event_type in OUTBOUND_EVENT_TYPES:
        data_ref = {
            "shipment.confirmed": "ShipmentEventData",
            "order.cancelled": "CancelledEventData",
        }.get(event_type, "Order")
        webhooks[event_type] = {
            "post": {
                "summary": f"{event_type}, sent to your webhook URL",
                "description": (
                    "Signed the Standard Webhooks way with your connection's "
                    "outbound secret. "
                    "Answer with a 2xx status; anything else is retried after about "
                    "5 s, "
                    "5 min, 30 min, 2 h, 5 h, 10 h and 10 h. 410 Gone stops the "
                    "deliveries."
                ),
                "parameters": webhook_headers,
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "type": {"const": event_type},
                                    "timestamp": _DATETIME,
                                    "data": {
                                        "$ref": f"#/components/schemas/{data_ref}"
                                    },
                                },
                                "required": ["type", "timestamp", "data"],
                            }
                        }
                    }
                },
                "responses": {"2XX": {"description": "Received."}},
            }
        }
    schemas["ShipmentEventData"] = copy.deepcopy(SHIPMENT_EVENT_DATA_SCHEMA)
    schemas["CancelledEventData"] = copy.deepcopy(CANCELLED_EVENT_DATA_SCHEMA)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "B2B Dropship retailer API",
            "version": "1.0.0",
            "description": (
                "Send requests and orders, follow their answers and shipments. "
                "Authenticate "
                "with an API key of your portal user: `Authorization: Bearer <key>`."
            ),
        },
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def problem(status, detail, errors=None, title=None, problem_type="about:blank"):
    """Return an RFC 9457 problem details body.

    ``title`` defaults to the reason phrase of ``status``; ``errors``, a list
    of ``{path, message}``, is added when given (validation problems).
    """
    body = {
        "type": problem_type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [
            {"path": error["path"], "message": error["message"]} for error in errors
        ]
    return body
