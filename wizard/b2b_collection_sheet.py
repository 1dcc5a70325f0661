from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class B2bCollectionSheet(models.TransientModel):
    """The list of parcels one carrier collects on one day, for the driver to sign."""

    _name = "b2b.collection.sheet"
    _description = "B2B Carrier Collection Sheet"

    date = fields.Date(required=True, default=lambda self: self._b2b_today())
    carrier_id = fields.Many2one("delivery.carrier", string="Carrier", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    picking_ids = fields.Many2many(
        "stock.picking", string="Parcels", compute="_compute_picking_ids"
    )
    parcel_count = fields.Integer(compute="_compute_picking_ids")

    @api.depends("date", "carrier_id", "company_id")
    def _compute_picking_ids(self):
        for sheet in self:
            pickings = (
                sheet._b2b_pickings() if sheet.date and sheet.carrier_id else False
            )
            sheet.picking_ids = pickings
            sheet.parcel_count = (
                sum(pickings.mapped("b2b_parcel_count")) if pickings else 0
            )

    @api.model
    def _b2b_tz(self, company=None):
        """The time zone the sheet's day is counted in: the user's (as
        ``context_today`` takes it), else the company's, where the parcels
        leave from. The default date and the day's bounds must both use it,
        or late-evening parcels land on the wrong sheet."""
        company = company or self.env.company
        return pytz.timezone(
            self.env.context.get("tz")
            or self.env.user.tz
            or company.partner_id.tz
            or "UTC"
        )

    @api.model
    def _b2b_today(self):
        return datetime.now(self._b2b_tz()).date()

    def _b2b_day_bounds(self):
        """The sheet's day in :meth:`_b2b_tz`, as naive UTC bounds."""
        self.ensure_one()
        tz = self._b2b_tz(self.company_id)
        start = tz.localize(datetime.combine(self.date, time.min))
        end = tz.localize(datetime.combine(self.date + timedelta(days=1), time.min))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            end.astimezone(pytz.utc).replace(tzinfo=None),
        )

    def _b2b_pickings(self):
        """Deliveries to customers handed to the carrier that day."""
        self.ensure_one()
        start, end = self._b2b_day_bounds()
        return self.env["stock.picking"].search(
            [
                ("state", "=", "done"),
                ("carrier_id", "=", self.carrier_id.id),
                ("company_id", "=", self.company_id.id),
                ("location_dest_id.usage", "=", "customer"),
                ("date_done", ">=", start),
                ("date_done", "<", end),
            ],
            order="date_done, id",
        )

    def action_print(self):
        self.ensure_one()
        if not self._b2b_pickings():
            raise UserError(
                _(
                    "No parcel was handed to %(carrier)s on %(date)s.",
                    carrier=self.carrier_id.display_name,
                    date=format_date(self.env, self.date),
                )
            )
        return self.env.ref(
            "b2b_dropship.action_report_collection_sheet"
        ).report_action(self)
