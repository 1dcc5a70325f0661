"""Which conditions of a domain hold for every record it matches."""

import pytest
from b2b_dropship_tools.domain_terms import and_terms, requires_value

STATE_ORDER = ("b2b_state", "=", "order")
LATE = ("b2b_urgency", "=", "ship_late")
SHIPPED = ("b2b_state", "=", "shipped")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([], []),
        ([STATE_ORDER], [STATE_ORDER]),
        ([STATE_ORDER, LATE], [STATE_ORDER, LATE]),
        (["&", STATE_ORDER, LATE], [STATE_ORDER, LATE]),
        (["|", STATE_ORDER, SHIPPED], []),
        (["&", STATE_ORDER, "|", LATE, SHIPPED], [STATE_ORDER]),
        (["!", STATE_ORDER], []),
        # the orders action's domain AND'ed with the "To Be Shipped" filter,
        # as the search model of the web client builds it
        (
            [
                "&",
                "|",
                ("b2b_state", "in", ["order", "shipped"]),
                "&",
                ("b2b_state", "=", "cancelled"),
                ("b2b_ship_deadline", "!=", False),
                STATE_ORDER,
            ],
            [STATE_ORDER],
        ),
        ([["b2b_state", "=", "order"]], [("b2b_state", "=", "order")]),
    ],
)
def test_and_terms_keeps_only_the_conditions_every_record_meets(domain, expected):
    assert and_terms(domain) == expected


@pytest.mark.parametrize("domain", [["&", STATE_ORDER], ["|"], ["oops"]])
def test_and_terms_refuses_a_malformed_domain(domain):
    with pytest.raises(ValueError):
        and_terms(domain)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([STATE_ORDER], True),
        ([("b2b_state", "in", ["order"])], True),
        ([("b2b_state", "in", ["order", "shipped"])], False),
        (["|", STATE_ORDER, SHIPPED], False),
        ([LATE], False),
        ([("b2b_state", "!=", "order")], False),
        ([("b2b_state", "in", [])], False),
    ],
)
def test_requires_value_tells_when_every_record_has_the_value(domain, expected):
    assert requires_value(domain, "b2b_state", {"order"}) is expected
