from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.tracking import parse_tracking_refs


class B2bShipmentConfirm(models.TransientModel):
    """Confirms what really left for the retailer's customer, and how."""

    _name = "b2b.shipment.confirm"
    _description = "B2B Shipment Confirmation"

    order_id = fields.Many2one(
        "sale.order", required=True, readonly=True, ondelete="cascade"
    )
    connection_id = fields.Many2one(related="order_id.b2b_connection_id")
    currency_id = fields.Many2one(related="order_id.currency_id")
    ship_deadline = fields.Datetime(related="order_id.b2b_ship_deadline")
    remaining_time = fields.Char(
        related="order_id.b2b_remaining_time", string="Time Left"
    )
    deadline_status = fields.Selection(related="order_id.b2b_deadline_status")
    line_ids = fields.One2many(
        "b2b.shipment.confirm.line", "wizard_id", string="Products"
    )
    tracking_ref = fields.Text(
        string="Tracking References",
        help="One reference per parcel: one a line, or separated by commas.",
    )
    carrier_id = fields.Many2one("delivery.carrier", string="Carrier")
    tracking_required = fields.Boolean(compute="_compute_tracking_required")
    shipping_service = fields.Char(
        help="The carrier's service, in your words (e.g. Express 24 h, pallet)."
    )
    shipping_cost = fields.Monetary(currency_field="currency_id")
    lang_id = fields.Many2one(
        "res.lang",
        string="Packing Slip Language",
        domain="[('active', '=', True)]",
        required=True,
    )
    message = fields.Text(
        string="Message to the Recipient", help="Printed on the packing slip."
    )
    allow_over_quantity = fields.Boolean(
        string="Ship More Than Ordered",
        help="Managers only: allow quantities above what remains to ship.",
    )
    fully_reserved = fields.Boolean(compute="_compute_fully_reserved")

    @api.depends("carrier_id")
    def _compute_tracking_required(self):
        for wizard in self:
            wizard.tracking_required = bool(
                wizard.carrier_id and wizard.carrier_id._b2b_requires_tracking()
            )

    @api.depends("line_ids.not_reserved_qty")
    def _compute_fully_reserved(self):
        for wizard in self:
            wizard.fully_reserved = not any(
                line.not_reserved_qty > 0 for line in wizard.line_ids
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") != "sale.order" or not context.get("active_id"):
            raise UserError(_("Open the shipment confirmation from an order."))
        order = self.env["sale.order"].browse(context["active_id"])
        order._b2b_check_can_ship()
        pickings = order._b2b_pending_pickings()
        # Reserve what has become available since the order was confirmed.
        pickings.action_assign()
        values["order_id"] = order.id
        if "line_ids" in fields_list:
            values["line_ids"] = [
                fields.Command.create(
                    {
                        "product_id": product.id,
                        "quantity": entry["remaining"],
                        "remaining_qty": entry["remaining"],
                        "reserved_qty": min(entry["reserved"], entry["remaining"]),
                    }
                )
                for product, entry in pickings._b2b_shipment_plan().items()
            ]
        if "lang_id" in fields_list and not values.get("lang_id"):
            values["lang_id"] = (
                self.env["res.lang"]._lang_get(order._b2b_slip_lang()).id
            )
        if "carrier_id" in fields_list and not values.get("carrier_id"):
            values["carrier_id"] = order.carrier_id.id
        return values

    def action_confirm(self):
        self.ensure_one()
        quantities = {}
        for line in self.line_ids:
            quantities[line.product_id] = (
                quantities.get(line.product_id, 0.0) + line.quantity
            )
        self.order_id._b2b_confirm_shipment(
            quantities,
            tracking_refs=parse_tracking_refs(self.tracking_ref),
            carrier=self.carrier_id,
            service=(self.shipping_service or "").strip(),
            shipping_cost=self.shipping_cost,
            lang=self.lang_id.code,
            message=(self.message or "").strip(),
            allow_more=self.allow_over_quantity,
        )
        return {"type": "ir.actions.act_window_close"}
