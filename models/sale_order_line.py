from odoo import models


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "b2b.deadline.line.mixin"]

    def _b2b_requested_qty(self):
        self.ensure_one()
        return self.product_uom_qty
