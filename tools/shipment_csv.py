"""The shipment confirmation file written to a retailer's SFTP outbox.

One file per shipment, from the data of the ``shipment.confirmed`` event
(``sale.order._b2b_shipment_payload``): one row per product shipped, with the
columns ``order_reference``, ``sku``, ``quantity_shipped``, ``tracking_ref``,
``carrier``, ``shipped_at``. ``sku`` is the reference the retailer ordered
with (its own ``retailer_sku`` when it has one, else ours); several tracking
references of one shipment (several parcels) are written in one cell,
separated by spaces; ``shipped_at`` is UTC in ISO 8601 (``2026-03-01T14:05:00Z``).
UTF-8 without byte order mark, comma-separated, CRLF line ends, as
``tools.csv_drop`` reads them back. Nothing here imports Odoo.
"""

import csv
import hashlib
import io
import re
from datetime import datetime

COLUMNS = (
    "order_reference",
    "sku",
    "quantity_shipped",
    "tracking_ref",
    "carrier",
    "shipped_at",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _quantity(value):
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _timestamp(value):
    if not value:
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "").replace("T", " "))
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _cell(value):
    text = "" if value in (None, False) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def shipment_csv(payload):
    """Return the bytes of the shipment file of a ``shipment.confirmed`` payload."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    tracking = " ".join(
        item["reference"]
        for item in payload.get("tracking") or ()
        if item.get("reference")
    )
    for line in payload.get("lines") or ():
        writer.writerow(
            [
                _cell(payload.get("reference") or payload.get("order")),
                _cell(line.get("retailer_sku") or line.get("sku")),
                _quantity(line.get("quantity") or 0),
                _cell(tracking),
                _cell(payload.get("carrier")),
                _timestamp(payload.get("shipped_at")),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def shipment_file_name(payload):
    """``shipment-<order reference>-<shipment number>.csv``, safe on any server.

    A reference that has to be changed to be safe (``PO/1`` and ``PO#1`` both
    give ``PO_1``) gets a short digest of itself as well, so that two orders
    never write the same file."""
    original = str(payload.get("reference") or payload.get("order") or "order")
    reference = _UNSAFE.sub("_", original).strip("._")[:100] or "order"
    if reference != original:
        digest = hashlib.sha256(original.encode()).hexdigest()[:8]
        reference = f"{reference}-{digest}"
    number = payload.get("shipment") or 1
    return f"shipment-{reference}-{number}.csv"
