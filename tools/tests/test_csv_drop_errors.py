"""Errors found on the order data put back on the rows and columns of the file."""

from b2b_dropship_tools import csv_drop, csv_drop_errors

CONTENT = (
    "Order Ref;Ship To Name;ship_to_street;ship_to_city;ship_to_zip;Ship-To Country;"
    "SKU;retailer_sku;Qty;note\r\n"
    "PO-1;Jane;1 rue de Rivoli;Paris;75001;FR;CHAIR-01;;2;Ring twice\r\n"
    "\r\n"
    "PO-1;;;;;;;R-TABLE;1,5;\r\n"
).encode("cp1252")
MAPPING = {"Order Ref": "order_reference", "qty": "quantity"}


def _parsed():
    return csv_drop.parse(CONTENT, MAPPING)


def test_header_labels_are_the_headers_as_written():
    labels = csv_drop_errors.header_labels(CONTENT, _parsed(), MAPPING)
    assert labels["order_reference"] == "Order Ref"
    assert labels["quantity"] == "Qty"
    assert labels["ship_to_country"] == "Ship-To Country"
    assert labels["sku"] == "SKU"
    assert labels["ship_to_street"] == "ship_to_street"


def test_header_labels_of_utf16_file():
    content = CONTENT.decode("cp1252").encode("utf-16")
    parsed = csv_drop.parse(content, MAPPING)
    assert csv_drop_errors.header_labels(content, parsed, MAPPING)["quantity"] == "Qty"


def test_locate_puts_each_path_on_its_row_and_column():
    parsed = _parsed()
    labels = csv_drop_errors.header_labels(CONTENT, parsed, MAPPING)
    errors = [
        {"path": "reference", "message": "already used"},
        {"path": "ship_to.country_code", "message": "unknown country"},
        {"path": "lines[1].retailer_sku", "message": "unknown product"},
        {"path": "lines[1].quantity", "message": "too many"},
        {"path": "lines[0]", "message": "line problem"},
        {"path": "note", "message": "bad note"},
        {"path": "lines[7].sku", "message": "no such line"},
        {"path": "", "message": "whole file"},
    ]
    located = csv_drop_errors.locate(parsed, errors, labels)
    assert [
        (error.row, error.column, error.value, error.message) for error in located
    ] == [
        (2, "Order Ref", "PO-1", "already used"),
        (2, "Ship-To Country", "FR", "unknown country"),
        (4, "retailer_sku", "R-TABLE", "unknown product"),
        (4, "Qty", "1.5", "too many"),
        (2, "", "", "line problem"),
        (2, "note", "Ring twice", "bad note"),
        (None, "", "", "no such line"),
        (None, "", "", "whole file"),
    ]


def test_locate_without_labels_uses_canonical_names():
    located = csv_drop_errors.locate(
        _parsed(), [{"path": "lines[0].quantity", "message": "x"}]
    )
    assert (located[0].row, located[0].column, located[0].value) == (2, "quantity", "2")


def test_located_errors_make_the_error_file():
    located = csv_drop_errors.locate(
        _parsed(), [{"path": "lines[0].sku", "message": "=cmd"}]
    )
    assert csv_drop.errors_to_csv(located).decode().splitlines() == [
        "row,column,value,message",
        "2,sku,CHAIR-01,'=cmd",
    ]
