"""Parcel tracking references: parsing what people type, building tracking links.

Pure Python on purpose: the shipment wizard and the pickings call it with the
text typed by the user and the carrier's tracking URL, and its tests run
without Odoo.

A shipment of several parcels has several references. They are typed one a
line or separated by commas or semicolons, and stored joined by commas, the
way Odoo itself joins the tracking numbers of several parcels on a transfer
(``stock.picking.carrier_tracking_ref``).
"""

import re
from urllib.parse import quote

# Odoo's placeholder in ``delivery.carrier.tracking_url``.
TRACKING_PLACEHOLDER = "<shipmenttrackingnumber>"
SEPARATOR = ","
_SPLIT = re.compile(r"[,;\r\n\t]+")


def parse_tracking_refs(text):
    """Return the distinct references in ``text``, in the order typed.

    Commas, semicolons, tabs and line breaks separate references; blanks
    around each are dropped, and so are empty ones and repeats. Spaces inside
    a reference are kept: some carriers print references in groups
    ("1Z 999 AA1").

    >>> parse_tracking_refs(" 1Z1, 1Z2\\n1Z1 ;; ")
    ['1Z1', '1Z2']
    """
    if not text:
        return []
    refs = []
    for part in _SPLIT.split(text):
        ref = " ".join(part.split())
        if ref and ref not in refs:
            refs.append(ref)
    return refs


def join_tracking_refs(refs):
    """Store form of a list of references: ``"1Z1,1Z2"``; ``False`` when empty."""
    refs = [ref for ref in refs if ref]
    return SEPARATOR.join(refs) if refs else False


def tracking_link(url_template, ref):
    """The carrier's tracking page for one reference, or ``None``.

    ``url_template`` follows Odoo's convention: the reference replaces
    ``<shipmenttrackingnumber>``; a template without the placeholder gets the
    reference appended. The reference is URL-quoted.
    """
    if not url_template or not ref:
        return None
    quoted = quote(ref, safe="")
    if TRACKING_PLACEHOLDER in url_template:
        return url_template.replace(TRACKING_PLACEHOLDER, quoted)
    return url_template + quoted
