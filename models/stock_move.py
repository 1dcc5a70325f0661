from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _b2b_quantities_by_product(self, field="quantity"):
        """{product: sum of ``field`` over these moves, in the product's unit}."""
        quantities = {}
        for move in self:
            quantity = move.product_uom._compute_quantity(
                move[field], move.product_id.uom_id
            )
            quantities[move.product_id] = (
                quantities.get(move.product_id, 0.0) + quantity
            )
        return {
            product: quantity for product, quantity in quantities.items() if quantity
        }
