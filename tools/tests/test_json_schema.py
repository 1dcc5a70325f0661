"""The body validator: every problem with its path, the same verdict as the
reference ``jsonschema`` implementation, and no exception on any input."""

import json

import jsonschema
import pytest
from b2b_dropship_tools import api_schema
from b2b_dropship_tools import json_schema as js
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VALID_REQUEST = {
    "reference": "PO-1001",
    "ship_to": {
        "name": "Ann Smith",
        "street": "1 Rue de la Paix",
        "street2": None,
        "city": "Paris",
        "zip": "75002",
        "country_code": "FR",
        "email": "ann@example.com",
    },
    "lines": [
        {"sku": "CHAIR-01", "quantity": 2},
        {"retailer_sku": "R1-TABLE", "quantity": 1.5},
    ],
    "note": "Leave at the door",
}


def _paths(errors):
    return sorted(error["path"] for error in errors)


def test_valid_request_has_no_error():
    assert js.validate(VALID_REQUEST, api_schema.REQUEST_DATA_SCHEMA) == []


def test_every_problem_is_reported_with_its_path():
    body = {
        "reference": "",
        "ship_to": {
            "name": "Ann",
            "street": 12,
            "city": "Paris",
            "zip": "1",
            "country_code": "FRA",
        },
        "lines": [
            {"sku": "A", "quantity": 0},
            "not a line",
            {"sku": "B", "quantity": 1, "qty": 2},
        ],
        "extra": True,
    }
    errors = js.validate(body, api_schema.REQUEST_DATA_SCHEMA)
    assert _paths(errors) == [
        "extra",
        "lines[0].quantity",
        "lines[1]",
        "lines[2].qty",
        "reference",
        "ship_to.country_code",
        "ship_to.street",
    ]
    messages = {error["path"]: error["message"] for error in errors}
    assert messages["lines[0].quantity"] == "This field must be greater than 0."
    assert messages["lines[1]"] == "This field must be an object."
    assert messages["extra"] == "This field is not allowed."


def test_missing_required_fields_are_named():
    errors = js.validate({}, api_schema.REQUEST_DATA_SCHEMA)
    assert errors == [
        {"path": "reference", "message": "This field is required."},
        {"path": "ship_to", "message": "This field is required."},
        {"path": "lines", "message": "This field is required."},
    ]


def test_nul_character_is_refused_in_any_text():
    body = dict(VALID_REQUEST, reference="PO\x001")
    assert js.validate(body, api_schema.REQUEST_DATA_SCHEMA) == [
        {
            "path": "reference",
            "message": "This field must not contain the NUL character.",
        }
    ]


def test_infinite_quantity_is_refused():
    body = dict(VALID_REQUEST, lines=[{"sku": "A", "quantity": float("inf")}])
    errors = js.validate(body, api_schema.REQUEST_DATA_SCHEMA)
    assert errors == [
        {"path": "lines[0].quantity", "message": "This field must be a finite number."}
    ]


def test_integers_too_large_for_a_float_are_compared_exactly():
    body = dict(VALID_REQUEST, lines=[{"sku": "A", "quantity": 10**400}])
    assert js.validate(body, api_schema.REQUEST_DATA_SCHEMA) == [
        {
            "path": "lines[0].quantity",
            "message": f"This field must be at most {api_schema.MAX_QUANTITY}.",
        }
    ]
    assert js.validate(js.loads(b"1" + b"0" * 400), {"type": "number"}) == []


def test_booleans_are_not_numbers():
    body = dict(VALID_REQUEST, lines=[{"sku": "A", "quantity": True}])
    assert _paths(js.validate(body, api_schema.REQUEST_DATA_SCHEMA)) == [
        "lines[0].quantity"
    ]


def test_enum_and_prefix_path():
    errors = js.validate(
        {"type": "order.exploded", "data": {}}, api_schema.ENVELOPE_SCHEMA, ""
    )
    assert errors[0]["path"] == "type"
    assert "request.created" in errors[0]["message"]
    errors = js.validate({"quantity": -1}, api_schema.LINE_SCHEMA, "data.lines[3]")
    assert errors == [
        {
            "path": "data.lines[3].quantity",
            "message": "This field must be greater than 0.",
        }
    ]


def test_order_created_schema_depends_on_the_data():
    assert api_schema.inbound_data_schema("order.created", {"reference": "A"}) is (
        api_schema.REFERENCE_DATA_SCHEMA
    )
    assert (
        api_schema.inbound_data_schema("order.created", VALID_REQUEST)
        is api_schema.REQUEST_DATA_SCHEMA
    )
    with pytest.raises(KeyError):
        api_schema.inbound_data_schema("nothing.happened", {})


# -- loads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b"[" * 40 + b"]" * 40, "nested more than"),
        (b"[" * 100000 + b"]" * 100000, "nested more than"),
        (b'{"reference": "S-\\ud800"}', "half of a UTF-16 surrogate pair"),
        (b'{"note": "\\udfff"}', "half of a UTF-16 surrogate pair"),
        (b'{"\\uDBFF": 1}', "half of a UTF-16 surrogate pair"),
        (b'["\\ude00\\ud83d"]', "half of a UTF-16 surrogate pair"),
    ],
)
def test_loads_refuses_unreadable_bodies_with_one_error(body, fragment):
    with pytest.raises(js.JsonBodyError) as info:
        js.loads(body)
    assert fragment in str(info.value)


def test_loads_accepts_whole_surrogate_pairs_and_escaped_backslashes():
    assert js.loads(b'{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}') == {
        "a": "\U0001f600",
        "b": "\\ud800",
    }


@given(
    st.lists(
        st.sampled_from(["\\ud83d", "\\ude00", "\\udbff", "\\udc00", "a", "\\u00e9"]),
        max_size=6,
    )
)
def test_loads_gives_text_that_can_be_stored_or_refuses_it(parts):
    body = ('{"reference": "' + "".join(parts) + '"}').encode()
    try:
        value = js.loads(body)
    except js.JsonBodyError as error:
        assert "surrogate" in str(error)
    else:
        value["reference"].encode("utf-8")


def test_loads_accepts_a_byte_order_mark():
    assert (
        js.loads(b"\xef\xbb\xbf" + json.dumps(VALID_REQUEST).encode()) == VALID_REQUEST
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_loads_raises_only_its_own_error_on_arbitrary_bytes(body):
    try:
        js.loads(body)
    except js.JsonBodyError:
        pass


# -- agreement with the reference implementation -------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**7)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

# Bodies close to valid requests, so that the comparison is not only about
# the top-level type.
near_requests = st.fixed_dictionaries(
    {
        "reference": st.one_of(st.text(max_size=5), st.integers()),
        "ship_to": st.one_of(
            st.fixed_dictionaries(
                {
                    key: st.one_of(st.text(min_size=0, max_size=3), st.none())
                    for key in ("name", "street", "city", "zip", "country_code")
                }
            ),
            json_values,
        ),
        "lines": st.lists(
            st.fixed_dictionaries(
                {"sku": st.one_of(st.text(max_size=4), st.none())},
                optional={
                    "quantity": json_values | st.floats(min_value=-2, max_value=2)
                },
            ),
            max_size=3,
        ),
    },
    optional={"note": json_values},
)


def _nul_free(value):
    text = json.dumps(value)
    return "\\u0000" not in text


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, near_requests))
def test_same_verdict_as_jsonschema(value):
    ours = js.validate(value, api_schema.REQUEST_DATA_SCHEMA)
    reference = jsonschema.Draft202012Validator(
        api_schema.REQUEST_DATA_SCHEMA
    ).is_valid(value)
    if _nul_free(value):
        assert (not ours) == reference, ours
    else:
        # the NUL character is refused on top of the schema
        assert not ours or not reference
