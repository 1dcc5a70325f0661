from odoo import _, api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "b2b.deadline.mixin"]

    b2b_partner_id = fields.Many2one(
        related="b2b_connection_id.partner_id", string="Retailer", store=True, index=True
    )

    _sql_constraints = [
        (
            "b2b_client_order_ref_unique",
            "unique(b2b_connection_id, client_order_ref)",
            "The retailer's reference must be unique per connection.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("b2b_connection_id") and not vals.get("partner_id"):
                connection = self.env["b2b.connection"].browse(vals["b2b_connection_id"])
                vals["partner_id"] = connection.partner_id.id
        return super().create(vals_list)

    # Hooks of b2b.deadline.mixin ------------------------------------------

    def _b2b_answer_lines(self):
        return self.order_line.filtered(lambda line: not line.display_type and not line.is_delivery)

    def _b2b_template_xmlid(self, event):
        return f"b2b_dropship.mail_template_sale_b2b_{event}"

    def _b2b_supplier_partners(self):
        return self.user_id.partner_id

    def _b2b_convert_to_order(self):
        """Quantities become the available ones, back-orders become their own lines."""
        self.ensure_one()
        line_commands = []
        ordered = False
        for line in self._b2b_answer_lines():
            backorder_qty = line.b2b_backorder_qty if line.b2b_backorder else 0.0
            if backorder_qty > 0:
                lead_days = max(
                    (line.b2b_backorder_date - self.date_order.date()).days, line.customer_lead
                )
                line_commands.append(
                    fields.Command.create(
                        {
                            "product_id": line.product_id.id,
                            "name": line.name,
                            "product_uom_qty": backorder_qty,
                            "product_uom": line.product_uom.id,
                            "price_unit": line.price_unit,
                            "tax_id": [fields.Command.set(line.tax_id.ids)],
                            "b2b_backorder": True,
                            "b2b_backorder_qty": backorder_qty,
                            "b2b_backorder_date": line.b2b_backorder_date,
                            "customer_lead": lead_days,
                            "sequence": line.sequence,
                        }
                    )
                )
                ordered = True
            if line.b2b_qty_available > 0:
                ordered = True
                line_commands.append(
                    fields.Command.update(
                        line.id,
                        {
                            "product_uom_qty": line.b2b_qty_available,
                            "b2b_backorder": False,
                            "b2b_backorder_qty": 0.0,
                            "b2b_backorder_date": False,
                        },
                    )
                )
            else:
                line_commands.append(fields.Command.delete(line.id))
        if not ordered:
            raise UserError(
                _(
                    "Nothing of %(name)s is available or back-ordered: there is nothing to order.",
                    name=self.display_name,
                )
            )
        if self.b2b_has_shipping_fee and self.b2b_shipping_fee:
            line_commands.append(fields.Command.create(self._b2b_shipping_fee_line_values()))
        self.write({"order_line": line_commands})
        self.with_context(disable_cancel_warning=True).action_confirm()

    def _b2b_shipping_fee_line_values(self):
        product = self.env.ref("b2b_dropship.product_b2b_shipping_fee")
        return {
            "product_id": product.id,
            "name": _("Shipping fee"),
            "product_uom_qty": 1.0,
            "price_unit": self.b2b_shipping_fee,
            "is_delivery": True,
            "sequence": 9999,
        }

    def _b2b_stock_by_product(self):
        """Internal stock of the order's products: {product id: [(location, qty)]}."""
        products = self._b2b_answer_lines().product_id
        groups = self.env["stock.quant"]._read_group(
            [
                ("product_id", "in", products.ids),
                ("location_id.usage", "=", "internal"),
                ("quantity", ">", 0),
            ],
            ["product_id", "location_id"],
            ["quantity:sum"],
        )
        stock = {}
        for product, location, quantity in groups:
            stock.setdefault(product.id, []).append((location, quantity))
        return stock

    def _b2b_do_cancel(self):
        for order in self:
            pickings = order.picking_ids
            if pickings and all(picking.state in ("done", "cancel") for picking in pickings) and any(
                picking.state == "done" for picking in pickings
            ):
                raise UserError(
                    _(
                        "%(name)s is already entirely shipped: it can no longer be cancelled.",
                        name=order.display_name,
                    )
                )
        self.with_context(disable_cancel_warning=True)._action_cancel()
