"""Parser of the CSV drops by which retailers send one request or order per file.

One file is one order: one row per order line, the order fields (reference,
type, ship-to address, note) on the rows. The file's bytes go in, a
:class:`ParsedDrop` comes out, or a :class:`CsvDropError` listing every
problem found, each as a :class:`CsvError` (row, column, value, message) that
:func:`errors_to_csv` turns into the ``<name>.errors.csv`` file sent back to
the retailer. Nothing here knows Odoo: ``b2b.connection.import_csv`` calls
:func:`parse` and checks what needs the database (products, countries,
states, duplicates).

The format, as this module reads it:

- Columns (:data:`CANONICAL_COLUMNS`): ``order_reference``, ``type``,
  ``ship_to_name``, ``ship_to_street``, ``ship_to_street2``, ``ship_to_city``,
  ``ship_to_zip``, ``ship_to_state``, ``ship_to_country``, ``ship_to_email``,
  ``ship_to_phone``, ``sku``, ``retailer_sku``, ``quantity``, ``note``, and
  ``description`` (optional text of a line, as in the webhook's lines).
  A header row is required. Header names are matched without regard to case,
  surrounding spaces, or spaces and hyphens in place of underscores
  (``Order Reference`` is ``order_reference``), in any order. Columns of
  other names are ignored. A per-connection mapping renames the retailer's
  own headers to these names (a header mapped to ``None`` or ``""`` is
  ignored even if it bears a canonical name).
- Required columns: ``order_reference``, ``ship_to_name``, ``ship_to_street``,
  ``ship_to_city``, ``ship_to_country``, ``quantity``, and ``sku`` or
  ``retailer_sku``. ``ship_to_zip`` may be absent or empty: some countries
  have no postal codes.
- Order fields (:data:`ORDER_COLUMNS`, the note included) are read from the
  first row that fills them; later rows may repeat the same value or leave
  the cell empty (exports such as Shopify's fill the address on the first
  row of an order only), but a different value is an error: a file holds one
  order. Comparisons ignore the case of ``type`` and ``ship_to_country`` and
  runs of white space, except inside the order reference.
- ``type`` is ``request`` (also when empty) or ``order``, in any case.
- ``ship_to_country`` is a two-letter code (ISO 3166-1 alpha-2), in any case,
  returned in capitals; whether the country exists is Odoo's to check.
- Each line needs ``sku`` (ours) or ``retailer_sku`` (theirs), or both, and a
  ``quantity`` greater than 0 (:func:`parse_quantity`): digits with an
  optional decimal part of up to six digits after ``.`` or ``,`` (``3``,
  ``3.0``, ``2,5``); no sign, exponent or thousands separator. A comma or a
  dot followed by exactly three digits (``1,000``, ``1.000``) is refused as
  ambiguous, English spreadsheets writing a thousand the first way and
  German ones the second, unless the whole part is 0 (``0,500`` can only be
  a decimal). Whether Odoo keeps that many decimals is Odoo's to check.
- Values are trimmed. The order reference is kept as written otherwise, as
  the webhooks and the API keep it; other single-line fields have runs of
  white space, line breaks included, turned into one space; the note and
  description keep their line breaks (as ``\\n``). A leading apostrophe of
  a postal code or phone number (``'07030``, written by exports meant for
  spreadsheets to keep leading zeros) is dropped.
- Rows entirely empty are skipped. A row with more values than the header
  has columns is an error (a value holding the delimiter without quotes).
- Row numbers are those a spreadsheet shows: the first row of the file is 1
  (normally the header), a quoted value spanning several lines stays in one
  row, empty rows count.

Reading the bytes: UTF-8 with or without byte order mark, UTF-16 with byte
order mark (little or big endian), else Windows-1252; bytes that are not
UTF-8 throughout but hold UTF-8 characters are refused as a mix of
encodings. The delimiter is the one among comma, semicolon, tab and pipe
that appears most often, outside quotes, in the header row; ties go to the
comma. Quotes follow RFC 4180 (``"`` around a value holding delimiters,
quotes or line breaks; ``""`` for a quote inside). Line ends may be CRLF, LF
or CR.
"""

import csv
import dataclasses
import hashlib
import io
import re
import unicodedata
from decimal import Decimal, InvalidOperation

MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_LINES = 10_000
# Beyond this many errors the list is cut short: the retailer has enough to fix.
MAX_ERRORS = 500

ORDER_COLUMNS = (
    "order_reference",
    "type",
    "ship_to_name",
    "ship_to_street",
    "ship_to_street2",
    "ship_to_city",
    "ship_to_zip",
    "ship_to_state",
    "ship_to_country",
    "ship_to_email",
    "ship_to_phone",
    "note",
)
LINE_COLUMNS = ("sku", "retailer_sku", "quantity", "description")
CANONICAL_COLUMNS = (
    *ORDER_COLUMNS[:-1],
    "sku",
    "retailer_sku",
    "quantity",
    "note",
    "description",
)
REQUIRED_COLUMNS = (
    "order_reference",
    "ship_to_name",
    "ship_to_street",
    "ship_to_city",
    "ship_to_country",
    "quantity",
)
ORDER_TYPES = ("request", "order")
DEFAULT_TYPE = "request"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Keys of ParsedDrop.ship_to, the same as the ship_to object of the webhooks.
SHIP_TO_KEYS = {
    "ship_to_name": "name",
    "ship_to_street": "street",
    "ship_to_street2": "street2",
    "ship_to_city": "city",
    "ship_to_zip": "zip",
    "ship_to_state": "state_code",
    "ship_to_country": "country_code",
    "ship_to_email": "email",
    "ship_to_phone": "phone",
}
MULTILINE_COLUMNS = {"note": 10_000, "description": 1_000}
MAX_VALUE_LENGTH = 255
# Exports meant for spreadsheets (Shopify's) write postal codes and phone
# numbers as '07030 so that leading zeros survive: the apostrophe is dropped.
_APOSTROPHE_COLUMNS = ("ship_to_zip", "ship_to_phone")
MAX_QUANTITY = Decimal(1_000_000)

_QUANTITY_RE = re.compile(r"([0-9]{1,9})(?:([.,])([0-9]{1,6}))?")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A character that bytes decoded as UTF-8 with surrogateescape owe to a
# well-formed multi-byte sequence: neither ASCII nor an escaped invalid byte.
_UTF8_CHARACTER_RE = re.compile(r"[^\x00-\x7f\udc80-\udcff]")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)
# Characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEADER_SCAN = 64 * 1024


@dataclasses.dataclass(frozen=True)
class CsvError:
    """One problem of a file, located as the retailer sees it.

    ``row`` is None for a problem of the whole file (empty, too large, not
    text); ``column`` is the header as written in the file (or the canonical
    name of a missing column), empty when the problem is the row's.
    """

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return (
            f"{', '.join(where).capitalize()}: {self.message}"
            if where
            else self.message
        )


class CsvDropError(Exception):
    """The file cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, errors):
        self.errors = list(errors)
        count = len(self.errors)
        first = str(self.errors[0]) if self.errors else "The file cannot be read."
        more = (
            f" (and {count - 1} more problem{'s' if count > 2 else ''})"
            if count > 1
            else ""
        )
        super().__init__(first + more)


@dataclasses.dataclass
class ParsedDrop:
    """A request or order read from a file, ready for ``b2b.connection``.

    ``ship_to`` has the keys of the webhook's ``ship_to`` (``name``,
    ``street``, ``street2``, ``city``, ``zip``, ``state_code``,
    ``country_code``, ``email``, ``phone``), empty strings when not given;
    ``state_code`` holds what the file gave, a code or a name.
    Each line is a dict with ``sku``, ``retailer_sku``, ``quantity`` (float
    > 0), ``description`` and ``row`` (its row in the file).
    """

    reference: str
    type: str
    ship_to: dict
    note: str
    lines: list
    encoding: str = "UTF-8"
    delimiter: str = ","


def checksum(content):
    """Return the SHA-256 of a file's bytes, in hexadecimal."""
    return hashlib.sha256(content).hexdigest()


ERROR_FILE_SUFFIX = ".errors.csv"


def error_file_name(name):
    """Return the name of the error file sent back for file ``name``."""
    return name + ERROR_FILE_SUFFIX


FALLBACK_FILE_NAME = "file.csv"
# Line breaks (CR, LF and Unicode's own), other control characters and
# invisible format characters such as the right-to-left override.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def clean_file_name(name, fallback=FALLBACK_FILE_NAME):
    """Return the name under which a retailer's file is kept and named back
    to it (``<name>.errors.csv`` is an attachment of a reply, a header of a
    mail: a line break there keeps the mail from being sent at all).

    The last component of a path (after ``/`` or ``\\``), each run of
    unprintable characters (line breaks, tabs, other control and format
    characters) and the spaces around it turned into one space, surrounding
    spaces trimmed; ``fallback`` when nothing (or only ``.`` or ``..``) is
    left.
    """
    base = re.split(r"[/\\]", name or "")[-1]
    marked = "".join(
        "\n" if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES else char
        for char in base
    )
    cleaned = re.sub(r"\s*\n\s*", " ", marked).strip()
    return fallback if cleaned in ("", ".", "..") else cleaned


def _normalize_header(name):
    return " ".join(str(name).split()).casefold()


def canonical_name(name):
    """Return the canonical column named by ``name`` (case, spaces and
    hyphens aside), or None."""
    key = _normalize_header(name).replace(" ", "_").replace("-", "_")
    return key if key in CANONICAL_COLUMNS else None


def normalize_mapping(mapping):
    """Check a {retailer header: canonical column} mapping (or its pairs, in
    which a header may come twice) and return it as a dict with normalised
    keys and values (``None`` for headers to ignore).

    For a constraint on the connection: :func:`parse` calls it too.

    :raise ValueError: on an empty header name, a target that is not a
        canonical column, or one header mapped to two columns.
    """
    if not mapping:
        return {}
    if isinstance(mapping, dict):
        pairs = mapping.items()
    elif isinstance(mapping, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in mapping
    ):
        pairs = mapping
    else:
        raise ValueError(
            "The column mapping must be a dictionary {retailer header: column}."
        )
    result = {}
    for header, target in pairs:
        if not isinstance(header, str) or not header.strip():
            raise ValueError("The column mapping names an empty retailer header.")
        key = _normalize_header(header)
        if target in (None, "", False):
            column = None
        else:
            column = canonical_name(target) if isinstance(target, str) else None
            if column is None:
                raise ValueError(
                    f"The column mapping sends {header!r} to {target!r}, which is not "
                    "a column of the CSV drop format "
                    f"({', '.join(CANONICAL_COLUMNS)})."
                )
        if key in result and result[key] != column:
            raise ValueError(
                f"The column mapping gives the header {header!r} twice, to different "
                "columns."
            )
        result[key] = column
    return result


def parse_quantity(text):
    """Return the quantity written ``text`` as a Decimal > 0.

    :raise ValueError: with a message for the retailer.
    """
    match = _QUANTITY_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(
            "The quantity must be a number greater than 0, such as 3 or 2.5."
        )
    whole, separator, fraction = match.groups()
    # English files write a thousand 1,000 and German ones 1.000: three digits
    # after either separator may be thousands, unless nothing comes before
    # them (0,500 is half of one whatever the language).
    if separator and len(fraction) == 3 and int(whole):
        decimals = fraction.rstrip("0") or "0"
        # three decimals would be as ambiguous: a fourth digit settles it
        decimals += "0" if len(decimals) == 3 else ""
        name = "dot" if separator == "." else "comma"
        raise ValueError(
            f"The quantity {text.strip()} is ambiguous: write {int(whole)}{fraction} "
            f"if the {name} separates thousands, or {int(whole)}.{decimals} if it "
            "marks decimals."
        )
    try:
        quantity = Decimal(f"{whole}.{fraction}" if separator else whole)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(
            "The quantity must be a number greater than 0, such as 3 or 2.5."
        ) from None
    if quantity <= 0:
        raise ValueError("The quantity must be greater than 0.")
    if quantity > MAX_QUANTITY:
        raise ValueError(f"The quantity must not exceed {MAX_QUANTITY:,}.")
    return quantity


def detect_delimiter(text):
    """Return the delimiter of a CSV text: the one among comma, semicolon,
    tab and pipe found most often outside quotes in its first non-empty row;
    ties, and a row without any, give a comma."""
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    seen_content = False
    for char in text[:_HEADER_SCAN]:
        if char == '"':
            in_quotes = not in_quotes
            seen_content = True
        elif in_quotes:
            continue
        elif char in "\r\n":
            if seen_content:
                break
        else:
            if char in counts:
                counts[char] += 1
            if not char.isspace():
                seen_content = True
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])


class _Fatal(Exception):
    """A problem after which the rest of the file cannot be checked."""

    def __init__(self, *errors, truncated=False):
        super().__init__()
        self.errors = list(errors)
        self.truncated = truncated  # stopped by the cap on errors


def _line_of(content, offset):
    return content.count(b"\n", 0, offset) + 1


def _decode(content):
    """Return (text, encoding label) of a file's bytes."""
    for bom, codec, label in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(codec), label
            except UnicodeDecodeError as exc:
                line = _line_of(content, exc.start) if codec != "utf-16" else None
                raise _Fatal(
                    CsvError(
                        line,
                        "",
                        "",
                        f"The file starts with a {label} byte order mark but is not "
                        f"valid {label}" + (f" (line {line})." if line else "."),
                    )
                ) from None
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        not_utf8 = exc.start
    if _UTF8_CHARACTER_RE.search(content.decode("utf-8", "surrogateescape")):
        # UTF-8 text with a stray byte of another program: read as
        # Windows-1252 every one of its accented letters would be garbled
        line = _line_of(content, not_utf8)
        raise _Fatal(
            CsvError(
                line,
                "",
                "",
                "The file mixes encodings: it holds UTF-8 text, but byte "
                f"0x{content[not_utf8]:02X} on line {line} is not UTF-8. Save the "
                "whole file as CSV UTF-8.",
            )
        )
    try:
        return content.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        line = _line_of(content, exc.start)
        byte = content[exc.start]
        raise _Fatal(
            CsvError(
                line,
                "",
                "",
                "The file is not text in UTF-8, UTF-16 (with byte order mark) or "
                f"Windows-1252: byte 0x{byte:02X} on line {line} is none of them. "
                "Save it as CSV UTF-8.",
            )
        ) from None


def _read_records(text, delimiter):
    """Return the list of (row number, fields) of a CSV text."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=True,
        strict=True,
    )
    records = []
    while True:
        row = len(records) + 1
        try:
            fields = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            reason = str(exc)
            if "end of data" in reason:
                message = (
                    "A quoted value starting on this row is never closed: "
                    'a " is missing.'
                )
            elif "expected after" in reason:
                message = (
                    'A closing " is followed by other characters: a quote inside a '
                    "quoted value "
                    'must be doubled ("").'
                )
            elif "field larger" in reason:
                message = "A value on this row is too long."
            else:
                message = "This row is not valid CSV."
            raise _Fatal(CsvError(row, "", "", message)) from None
        records.append((row, fields))


def _clean(column, raw):
    """Return the value of a cell as stored: trimmed, white space normalised."""
    if column == "order_reference":
        # kept as sent, like the webhooks' and the API's reference: the
        # reference finds the order again and must be unique, whichever
        # channel brings it
        return raw.strip()
    if column in MULTILINE_COLUMNS:
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return "\n".join(lines).strip()
    value = " ".join(raw.split())
    if column in _APOSTROPHE_COLUMNS and value.startswith("'"):
        value = value[1:].lstrip()
    return value


def _same(column, left, right):
    if column in ("type", "ship_to_country"):
        return left.casefold() == right.casefold()
    return left == right


def _short(value, limit=200):
    return value if len(value) <= limit else value[: limit - 1] + "…"


class _Parser:
    def __init__(self, content, mapping, max_size, max_lines):
        self.content = content
        self.mapping = normalize_mapping(mapping)
        self.max_size = max_size
        self.max_lines = max_lines
        self.errors = []
        self.labels = {}  # canonical column -> header as written

    def error(self, row, column, value, message):
        if len(self.errors) >= MAX_ERRORS:
            raise _Fatal(truncated=True)
        label = self.labels.get(column, column) if column else ""
        self.errors.append(CsvError(row, label, _short(value), message))

    def run(self):
        try:
            return self._run()
        except _Fatal as fatal:
            errors = self.errors + fatal.errors
            if fatal.truncated or len(errors) > MAX_ERRORS:
                errors = errors[:MAX_ERRORS]
                errors.append(
                    CsvError(
                        None,
                        "",
                        "",
                        f"More than {MAX_ERRORS} problems: the rest of the file was "
                        "not checked.",
                    )
                )
            raise CsvDropError(errors) from None

    def _run(self):
        content = self.content
        if len(content) > self.max_size:
            raise _Fatal(
                CsvError(
                    None,
                    "",
                    "",
                    f"The file is {len(content):,} bytes long; at most "
                    f"{self.max_size:,} are accepted (one file is one order).",
                )
            )
        text, encoding = _decode(content)
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise _Fatal(
                CsvError(
                    None,
                    "",
                    "",
                    "The file is empty: it needs a header row and one row per order "
                    "line.",
                )
            )
        if "\x00" in text:
            raise _Fatal(
                CsvError(
                    None,
                    "",
                    "",
                    "The file contains NUL characters: it is not a CSV text file, "
                    "or UTF-16 without byte order mark. Save it as CSV UTF-8.",
                )
            )
        delimiter = detect_delimiter(text)
        records = _read_records(text, delimiter)
        data = [
            (row, fields)
            for row, fields in records
            if any(field.strip() for field in fields)
        ]
        if not data:
            raise _Fatal(
                CsvError(
                    None,
                    "",
                    "",
                    "The file is empty: it needs a header row and one row per order "
                    "line.",
                )
            )
        header_row, header = data[0]
        positions = self._read_header(header_row, header)
        rows = data[1:]
        if not rows:
            raise _Fatal(
                CsvError(
                    header_row + 1,
                    "",
                    "",
                    "The file has a header but no line: add one row per order line.",
                )
            )
        if len(rows) > self.max_lines:
            raise _Fatal(
                CsvError(
                    rows[self.max_lines][0],
                    "",
                    "",
                    f"The file has more than {self.max_lines:,} lines; one file "
                    "holds one order.",
                )
            )
        order, lines = self._read_rows(rows, positions, len(header), delimiter)
        if self.errors:
            raise _Fatal()
        ship_to = {key: order.get(column, "") for column, key in SHIP_TO_KEYS.items()}
        return ParsedDrop(
            reference=order["order_reference"],
            type=order.get("type", "").lower() or DEFAULT_TYPE,
            ship_to=ship_to,
            note=order.get("note", ""),
            lines=lines,
            encoding=encoding,
            delimiter=delimiter,
        )

    def _read_header(self, row, header):
        """Return {canonical column: index}, or raise _Fatal with every
        problem of the header."""
        positions = {}
        errors = []
        for index, label in enumerate(header):
            label = " ".join(label.split())
            if not label:
                continue
            key = _normalize_header(label)
            column = self.mapping[key] if key in self.mapping else canonical_name(label)
            if column is None:
                continue
            if column in positions:
                errors.append(
                    CsvError(
                        row,
                        label,
                        label,
                        f"Columns {self.labels[column]!r} and {label!r} both give "
                        f"{column}: keep one.",
                    )
                )
                continue
            positions[column] = index
            self.labels[column] = label
        if not positions:
            raise _Fatal(
                CsvError(
                    row,
                    "",
                    _short(
                        ", ".join(label.strip() for label in header if label.strip())
                    ),
                    "The first row is not a header: it names none of the columns "
                    "order_reference, ship_to_name, ship_to_street, ship_to_city, "
                    "ship_to_country, sku, retailer_sku, quantity. The first row "
                    "must name the columns.",
                )
            )
        for column in REQUIRED_COLUMNS:
            if column not in positions:
                errors.append(
                    CsvError(row, column, "", self._missing_column_message(column))
                )
        if "sku" not in positions and "retailer_sku" not in positions:
            errors.append(
                CsvError(
                    row,
                    "sku",
                    "",
                    "The header needs a sku column (our reference) or a "
                    "retailer_sku column.",
                )
            )
        if errors:
            raise _Fatal(*errors)
        return positions

    def _missing_column_message(self, column):
        aliases = [
            header for header, target in self.mapping.items() if target == column
        ]
        if aliases:
            names = " or ".join(repr(name) for name in [*aliases, column])
            return (
                f"The required column {column} is missing: the header has no column "
                f"{names}."
            )
        return f"The required column {column} is missing from the header."

    def _read_rows(self, rows, positions, header_width, delimiter):
        first_seen = {}  # order column -> (value, row)
        lines = []
        unreadable_rows = False
        for row, fields in rows:
            if len(fields) > header_width and any(
                field.strip() for field in fields[header_width:]
            ):
                self.error(
                    row,
                    "",
                    "",
                    f"This row has {len(fields)} values but the header names "
                    f"{header_width} columns: a value holding a "
                    f"{DELIMITER_NAMES[delimiter]} must be put in quotes.",
                )
                unreadable_rows = True
                continue
            values = {}
            for column, index in positions.items():
                raw = fields[index] if index < len(fields) else ""
                values[column] = _clean(column, raw)
            self._check_lengths(row, values)
            for column in ORDER_COLUMNS:
                value = values.get(column, "")
                if not value:
                    continue
                if column not in first_seen:
                    first_seen[column] = (value, row)
                    self._check_order_value(row, column, value)
                elif not _same(column, value, first_seen[column][0]):
                    first, first_row = first_seen[column]
                    if column == "order_reference":
                        message = (
                            "A file holds one order, but this row names order "
                            f"{value!r} while row {first_row} names {first!r}: send "
                            "one file per order."
                        )
                    else:
                        message = (
                            f"This order field differs from {_short(first, 60)!r} on "
                            f"row {first_row}: a file holds one order, whose fields "
                            "are the same on every row (or left empty after the "
                            "first)."
                        )
                    self.error(row, column, value, message)
            line = self._read_line(row, values)
            if line is not None:
                lines.append(line)
        order = {column: value for column, (value, _row) in first_seen.items()}
        first_row = rows[0][0]
        for column in REQUIRED_COLUMNS if not unreadable_rows else ():
            if column in ORDER_COLUMNS and column not in order:
                self.error(
                    first_row,
                    column,
                    "",
                    "This order field is required and is empty on every row.",
                )
        if order.get("ship_to_country"):
            order["ship_to_country"] = order["ship_to_country"].upper()
        return order, lines

    def _check_lengths(self, row, values):
        for column, value in values.items():
            limit = MULTILINE_COLUMNS.get(column, MAX_VALUE_LENGTH)
            if len(value) > limit:
                self.error(
                    row,
                    column,
                    value,
                    f"This value is {len(value):,} characters long; at most "
                    f"{limit:,} are accepted.",
                )
            elif _CONTROL_RE.search(value):
                self.error(
                    row, column, value, "This value contains control characters."
                )

    def _check_order_value(self, row, column, value):
        if column == "type" and value.lower() not in ORDER_TYPES:
            self.error(
                row,
                column,
                value,
                "The type must be request or order (request when left empty).",
            )
        elif column == "ship_to_country" and not _COUNTRY_RE.fullmatch(value.upper()):
            self.error(
                row,
                column,
                value,
                "The country must be a two-letter ISO 3166-1 code, such as FR, DE "
                "or US.",
            )
        elif column == "ship_to_email" and not _EMAIL_RE.fullmatch(value):
            self.error(row, column, value, "This is not an e-mail address.")

    def _read_line(self, row, values):
        sku = values.get("sku", "")
        retailer_sku = values.get("retailer_sku", "")
        valid = True
        if not sku and not retailer_sku:
            column = "sku" if "sku" in values else "retailer_sku"
            self.error(
                row,
                column,
                "",
                "Each line needs a sku (our reference) or a retailer_sku.",
            )
            valid = False
        raw_quantity = values.get("quantity", "")
        try:
            quantity = parse_quantity(raw_quantity) if raw_quantity else None
        except ValueError as exc:
            self.error(row, "quantity", raw_quantity, str(exc))
            quantity = None
            valid = False
        else:
            if quantity is None:
                self.error(
                    row, "quantity", "", "Each line needs a quantity greater than 0."
                )
                valid = False
        if not valid:
            return None
        return {
            "sku": sku,
            "retailer_sku": retailer_sku,
            "quantity": float(quantity),
            "description": values.get("description", ""),
            "row": row,
        }


def parse(content, mapping=None, *, max_size=MAX_FILE_SIZE, max_lines=MAX_LINES):
    """Read a CSV drop.

    :param bytes content: the file as received.
    :param dict mapping: {retailer header: canonical column or None}.
    :return: a :class:`ParsedDrop`.
    :raise CsvDropError: listing every problem found in the file.
    :raise ValueError: when ``mapping`` itself is invalid (a configuration
        error, see :func:`normalize_mapping`).
    """
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"A CSV drop is read from bytes, not {type(content).__name__}.")
    return _Parser(bytes(content), mapping, max_size, max_lines).run()


def _neutralise(text):
    """Keep a spreadsheet from reading a retailer's value as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def errors_to_csv(errors):
    """Return the error file of a drop: UTF-8 CSV with the columns row,
    column, value, message; CRLF line ends; cells that a spreadsheet would
    take for a formula are prefixed with an apostrophe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "message"])
    for error in errors:
        writer.writerow(
            [
                "" if error.row is None else error.row,
                _neutralise(error.column),
                _neutralise(error.value),
                _neutralise(error.message),
            ]
        )
    return buffer.getvalue().encode("utf-8")
