"""The shipment confirmation file written to the retailer's SFTP outbox."""

import re

from b2b_dropship_tools import csv_drop, shipment_csv

PAYLOAD = {
    "order": "S00042",
    "reference": "PO-1001",
    "shipment": 2,
    "shipped_at": "2026-03-01 14:05:09",
    "carrier": "DHL Express",
    "tracking": [
        {"reference": "JD0001", "url": "https://t.example/JD0001"},
        {"reference": "JD0002"},
    ],
    "lines": [
        {"sku": "CHAIR-01", "retailer_sku": "R1-CHAIR", "quantity": 2.0},
        {"sku": "TABLE-01", "retailer_sku": False, "quantity": 1.5},
    ],
}


def test_one_row_per_line_with_the_retailers_sku():
    content = shipment_csv.shipment_csv(PAYLOAD)
    assert content.decode("utf-8").split("\r\n") == [
        "order_reference,sku,quantity_shipped,tracking_ref,carrier,shipped_at",
        "PO-1001,R1-CHAIR,2,JD0001 JD0002,DHL Express,2026-03-01T14:05:09Z",
        "PO-1001,TABLE-01,1.5,JD0001 JD0002,DHL Express,2026-03-01T14:05:09Z",
        "",
    ]


def test_cells_read_as_formulas_are_neutralised_and_missing_values_empty():
    payload = dict(
        PAYLOAD, reference="=HYPERLINK()", carrier=False, tracking=[], shipped_at=False
    )
    rows = shipment_csv.shipment_csv(payload).decode().split("\r\n")
    assert rows[1] == "'=HYPERLINK(),R1-CHAIR,2,,,"


def test_file_name_is_safe_and_names_the_shipment():
    assert shipment_csv.shipment_file_name(PAYLOAD) == "shipment-PO-1001-2.csv"
    unsafe = shipment_csv.shipment_file_name(
        dict(PAYLOAD, reference="../PO 7/b", shipment=None)
    )
    assert re.fullmatch(r"shipment-PO_7_b-[0-9a-f]{8}-1\.csv", unsafe), unsafe
    assert shipment_csv.shipment_file_name({"order": "S1"}) == "shipment-S1-1.csv"


def test_references_made_safe_alike_get_different_file_names():
    names = {
        shipment_csv.shipment_file_name(dict(PAYLOAD, reference=reference))
        for reference in ("PO#1", "PO/1", "PO_1", "Best-Ä1", "Best-Ö1")
    }
    assert len(names) == 5


def test_the_csv_drop_parser_reads_it():
    # the same dialect as the drops: any CSV tool of the retailer reads both
    text = shipment_csv.shipment_csv(PAYLOAD)
    assert csv_drop.detect_delimiter(text.decode()) == ","
