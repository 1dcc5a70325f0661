from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    b2b_instant_ordering = fields.Boolean(
        string="Instant Ordering",
        related="company_id.b2b_instant_ordering",
        readonly=False,
    )
    b2b_terms_url = fields.Char(related="company_id.b2b_terms_url", readonly=False)
    b2b_late_shipment_emails = fields.Char(
        related="company_id.b2b_late_shipment_emails", readonly=False
    )
    b2b_event_retention_days = fields.Integer(
        string="Event Retention (Days)",
        config_parameter="b2b_dropship.event_retention_days",
    )
