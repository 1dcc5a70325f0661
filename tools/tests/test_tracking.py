"""Parcel tracking references, without Odoo."""

import pytest
from b2b_dropship_tools.tracking import (
    join_tracking_refs,
    parse_tracking_refs,
    tracking_link,
)


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("", []),
        (None, []),
        ("1Z999", ["1Z999"]),
        ("1Z1,1Z2", ["1Z1", "1Z2"]),
        (" 1Z1 ;\n 1Z2\r\n\n1Z3\t1Z4 ", ["1Z1", "1Z2", "1Z3", "1Z4"]),
        ("1Z1, 1Z1, 1Z2", ["1Z1", "1Z2"]),
        (",,;\n", []),
        ("1Z 999  AA1", ["1Z 999 AA1"]),
    ],
)
def test_parse_tracking_refs(text, refs):
    assert parse_tracking_refs(text) == refs


def test_join_round_trips_through_parse():
    refs = ["CP123FR", "CP124FR", "CP125FR"]
    stored = join_tracking_refs(refs)
    assert stored == "CP123FR,CP124FR,CP125FR"
    assert parse_tracking_refs(stored) == refs


def test_join_nothing_is_false():
    assert join_tracking_refs([]) is False
    assert join_tracking_refs(["", None]) is False


def test_tracking_link_replaces_odoo_placeholder():
    url = "https://track.example/?id=<shipmenttrackingnumber>&lang=fr"
    assert tracking_link(url, "CP123FR") == "https://track.example/?id=CP123FR&lang=fr"


def test_tracking_link_quotes_the_reference():
    url = "https://track.example/<shipmenttrackingnumber>"
    assert tracking_link(url, "1Z 99/A&B") == "https://track.example/1Z%2099%2FA%26B"


def test_tracking_link_appends_without_placeholder():
    assert (
        tracking_link("https://track.example/?id=", "X1")
        == "https://track.example/?id=X1"
    )


def test_no_link_without_template_or_reference():
    assert tracking_link(False, "X1") is None
    assert tracking_link("https://track.example/<shipmenttrackingnumber>", "") is None
