from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    b2b_instant_ordering = fields.Boolean(
        string="Instant Ordering for Retailers",
        help="New retailer connections are accepted at once and may send firm orders "
        "directly. Off: they wait in the review queue.",
    )
    b2b_terms_url = fields.Char(
        string="B2B Terms of Service",
        help="Address of the terms retailers must accept to connect. "
        "A connection can name its own.",
    )
    b2b_late_shipment_emails = fields.Char(
        string="Late Shipment E-mails",
        help="Comma-separated addresses e-mailed once when a B2B order misses its ship "
        "deadline. Empty: only an activity for the salesperson.",
    )
