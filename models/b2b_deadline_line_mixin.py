from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class B2bDeadlineLineMixin(models.AbstractModel):
    """Answer fields of a request line, shared by sale and purchase lines."""

    _name = "b2b.deadline.line.mixin"
    _description = "B2B Request Line Answer"

    b2b_qty_available = fields.Float(
        string="Available", digits="Product Unit of Measure", copy=False
    )
    b2b_backorder = fields.Boolean(string="Back-order", copy=False)
    b2b_backorder_qty = fields.Float(
        string="Back-order Qty", digits="Product Unit of Measure", copy=False
    )
    b2b_backorder_date = fields.Date(string="Back-order Date", copy=False)

    def _b2b_requested_qty(self):
        raise NotImplementedError

    def _b2b_check_answer(self):
        """Refuse an answer that the retailer could not rely on."""
        precision = self.env["decimal.precision"].precision_get(
            "Product Unit of Measure"
        )
        for line in self:
            product = line.product_id.display_name
            backorder_qty = line.b2b_backorder_qty if line.b2b_backorder else 0.0
            if line.b2b_qty_available < 0 or backorder_qty < 0:
                raise UserError(
                    _(
                        "Quantities cannot be negative (line %(product)s).",
                        product=product,
                    )
                )
            if line.price_unit < 0:
                raise UserError(
                    _(
                        "The price cannot be negative (line %(product)s).",
                        product=product,
                    )
                )
            requested = line._b2b_requested_qty()
            if (
                float_compare(
                    line.b2b_qty_available + backorder_qty,
                    requested,
                    precision_digits=precision,
                )
                > 0
            ):
                raise UserError(
                    _(
                        "Line %(product)s: available (%(available)s) plus back-ordered "
                        "(%(backorder)s) exceeds the %(requested)s requested.",
                        product=product,
                        available=line.b2b_qty_available,
                        backorder=backorder_qty,
                        requested=requested,
                    )
                )
            if line.b2b_backorder and backorder_qty > 0 and not line.b2b_backorder_date:
                raise UserError(
                    _(
                        "Line %(product)s: please give the date the back-order will be "
                        "available.",
                        product=product,
                    )
                )
