from odoo import fields, models

from ..tools.tracking import tracking_link


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    b2b_tracking_required = fields.Boolean(
        string="Tracking Reference Required",
        help="B2B shipments with this carrier cannot be confirmed without a tracking "
        "reference. A carrier with a tracking link always requires one.",
    )

    def _b2b_requires_tracking(self):
        self.ensure_one()
        return bool(self.b2b_tracking_required or self.tracking_url)

    def _b2b_tracking_link(self, ref):
        """The public tracking page of one parcel, from the carrier's tracking link."""
        self.ensure_one()
        return tracking_link(self.tracking_url, ref)
