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

    def _b2b_left_out_quantities(self):
        """{product: quantity, in its unit} that these moves of a validated
        delivery leave out without a back-order (Inventory's "No Backorder"):
        the whole of a cancelled move, the rest of one done in part."""
        quantities = {}
        for move in self:
            if move.state == "cancel":
                left_out = move.product_uom_qty
            elif move.state == "done":
                left_out = max(move.product_uom_qty - move.quantity, 0.0)
            else:
                continue
            quantity = move.product_uom._compute_quantity(
                left_out, move.product_id.uom_id
            )
            if quantity:
                quantities[move.product_id] = (
                    quantities.get(move.product_id, 0.0) + quantity
                )
        return quantities
