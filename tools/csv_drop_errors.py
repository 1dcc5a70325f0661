"""Locate in a CSV drop the problems found after parsing it.

:func:`csv_drop.parse` reports the problems of the file itself. What needs
the database (unknown products, countries, states, a reference already used)
is found later by ``b2b.connection._b2b_receive``, as ``{path, message}``
errors on the order data (``reference``, ``ship_to.zip``, ``lines[1].sku``).
:func:`locate` puts those back on the row and column of the file, so that
the retailer gets them in the same ``<name>.errors.csv`` as parse errors.
Nothing here imports Odoo.
"""

import csv
import io
import re

from .csv_drop import SHIP_TO_KEYS, CsvError, canonical_name, normalize_mapping

# ParsedDrop.encoding -> codec reading the same text again
_CODECS = {"UTF-8": "utf-8-sig", "UTF-16": "utf-16", "Windows-1252": "cp1252"}
_LINE_PATH = re.compile(r"lines\[(\d+)\](?:\.(\w+))?")
_COLUMN_OF_SHIP_TO = {key: column for column, key in SHIP_TO_KEYS.items()}
_ORDER_PATHS = {"reference": "order_reference", "note": "note"}


def header_labels(content, parsed, mapping=None):
    """Return {canonical column: header as written in the file} of a file
    that :func:`csv_drop.parse` read into ``parsed``.

    Only the header row is read again, with the encoding and delimiter the
    parser found; a column it cannot name is left out (callers fall back to
    the canonical name).
    """
    codec = _CODECS.get(parsed.encoding, "utf-8-sig")
    try:
        text = bytes(content).decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError:
        return {}
    normalized = normalize_mapping(mapping)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=parsed.delimiter, skipinitialspace=True
    )
    labels = {}
    try:
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            for field in fields:
                label = " ".join(field.split())
                if not label:
                    continue
                key = " ".join(label.split()).casefold()
                column = normalized[key] if key in normalized else canonical_name(label)
                if column and column not in labels:
                    labels[column] = label
            break
    except csv.Error:
        return labels
    return labels


def locate(parsed, errors, labels=None):
    """Return the :class:`CsvError` of each ``{path, message}`` error of the
    order read from ``parsed``.

    Order fields are reported on the first line's row (a file holds one
    order, whose fields every row repeats); line fields on their line's row;
    a path that names no column of the file gets no row nor column.
    """
    labels = labels or {}
    first_row = parsed.lines[0]["row"] if parsed.lines else None
    located = []
    for error in errors:
        path = error.get("path") or ""
        message = error.get("message") or ""
        row, column, value = None, "", ""
        match = _LINE_PATH.fullmatch(path)
        if path in _ORDER_PATHS:
            row, column = first_row, _ORDER_PATHS[path]
            value = parsed.reference if path == "reference" else parsed.note
        elif path == "ship_to":
            row = first_row
        elif path.startswith("ship_to."):
            key = path.split(".", 1)[1]
            if key in _COLUMN_OF_SHIP_TO:
                row, column = first_row, _COLUMN_OF_SHIP_TO[key]
                value = parsed.ship_to.get(key) or ""
        elif match:
            index, field = int(match.group(1)), match.group(2)
            if index < len(parsed.lines):
                line = parsed.lines[index]
                row = line["row"]
                if field in ("sku", "retailer_sku", "quantity", "description"):
                    column = field
                    raw = line.get(field)
                    value = "" if raw in (None, "") else _text(raw)
        located.append(CsvError(row, labels.get(column, column), value, message))
    return located


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
