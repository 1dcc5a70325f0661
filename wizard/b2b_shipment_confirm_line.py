from odoo import api, fields, models


class B2bShipmentConfirmLine(models.TransientModel):
    """One product of a shipment: how much leaves, and what stock holds for it."""

    _name = "b2b.shipment.confirm.line"
    _description = "B2B Shipment Confirmation Line"

    wizard_id = fields.Many2one(
        "b2b.shipment.confirm", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    quantity = fields.Float(string="Quantity Shipped", digits="Product Unit of Measure")
    remaining_qty = fields.Float(
        string="To Ship", digits="Product Unit of Measure", readonly=True
    )
    reserved_qty = fields.Float(
        string="Reserved", digits="Product Unit of Measure", readonly=True
    )
    not_reserved_qty = fields.Float(
        string="Not Reserved",
        digits="Product Unit of Measure",
        compute="_compute_not_reserved_qty",
    )

    @api.depends("remaining_qty", "reserved_qty")
    def _compute_not_reserved_qty(self):
        for line in self:
            line.not_reserved_qty = max(line.remaining_qty - line.reserved_qty, 0.0)
