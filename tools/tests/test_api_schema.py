"""The published OpenAPI document is valid OpenAPI 3.1."""

import json

import pytest
from b2b_dropship_tools import api_schema
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import PointerToNowhere


def test_openapi_document_is_valid_openapi_3_1():
    document = api_schema.openapi_document("https://supplier.example.com")
    assert document["openapi"] == "3.1.0"
    validate(json.loads(json.dumps(document)))


def test_openapi_document_lists_every_route_and_outbound_event():
    document = api_schema.openapi_document()
    assert set(document["paths"]) == {
        "/b2b/v1/orders",
        "/b2b/v1/orders/{reference}",
        "/b2b/v1/requests",
        "/b2b/v1/orders/{reference}/confirm",
        "/b2b/v1/orders/{reference}/reopen",
        "/b2b/v1/orders/{reference}/cancel",
        "/b2b/v1/files",
        "/b2b/v1/webhooks/{code}",
    }
    assert set(document["webhooks"]) == set(api_schema.OUTBOUND_EVENT_TYPES)
    assert "servers" not in document


def test_a_broken_document_is_caught_by_the_validator():
    document = api_schema.openapi_document()
    document["paths"]["/b2b/v1/orders"]["get"]["responses"]["200"]["description"] = 3
    with pytest.raises(OpenAPIValidationError):
        validate(document)
    document = api_schema.openapi_document()
    document["paths"]["/b2b/v1/orders"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] = {"$ref": "#/components/schemas/Missing"}
    with pytest.raises(PointerToNowhere):
        validate(document)
