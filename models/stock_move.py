from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _b2b_quantities_by_product(self, field="quantity"):
        """{product: sum of ``field`` over these moves, in the product's unit}."""
        return self._b2b_sum_by_product(lambda move: move[field])

    def _b2b_left_out_quantities(self):
        """{product: quantity, in its unit} that these moves of a validated
        delivery leave out without a back-order (Inventory's "No Backorder"):
        the whole of a cancelled move, the rest of one done in part."""

        def left_out(move):
            if move.state == "cancel":
                return move.product_uom_qty
            if move.state == "done":
                return max(move.product_uom_qty - move.quantity, 0.0)
            return 0.0

        return self._b2b_sum_by_product(left_out)

    def _b2b_sum_by_product(self, quantity_of):
        """{product: sum of ``quantity_of(move)`` (in the move's unit), in the
        product's unit}, the products with a quantity only."""
        quantities = {}
        for move in self:
            quantity = move.product_uom._compute_quantity(
                quantity_of(move), move.product_id.uom_id
            )
            quantities[move.product_id] = (
                quantities.get(move.product_id, 0.0) + quantity
            )
        return {
            product: quantity for product, quantity in quantities.items() if quantity
        }
