import re
from urllib.parse import quote

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

    @api.depends("b2b_connection_id", "b2b_state", "b2b_ship_deadline")
    def _compute_access_url(self):
        super()._compute_access_url()
        for order in self.filtered("b2b_connection_id"):
            kind = "orders" if order._b2b_is_order() else "requests"
            order.access_url = f"/my/b2b/{kind}/{order.id}"

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

    # Retailer portal --------------------------------------------------------

    @api.model
    def _b2b_portal_domain(self, kind):
        """Requests (not yet ordered) or orders, cancelled ones included."""
        if kind == "orders":
            return [
                ("b2b_connection_id", "!=", False),
                "|",
                ("b2b_state", "in", ("order", "shipped")),
                "&",
                ("b2b_state", "=", "cancelled"),
                ("b2b_ship_deadline", "!=", False),
            ]
        return [
            ("b2b_connection_id", "!=", False),
            "|",
            ("b2b_state", "in", ("request", "answered", "expired", "declined")),
            "&",
            ("b2b_state", "=", "cancelled"),
            ("b2b_ship_deadline", "=", False),
        ]

    def _b2b_is_order(self):
        self.ensure_one()
        return self.b2b_state in ("order", "shipped") or bool(
            self.b2b_state == "cancelled" and self.b2b_ship_deadline
        )

    def _b2b_parcels(self):
        """One entry per tracking reference of the order's done deliveries:
        ``{"picking", "reference", "url", "date"}``; several references of one
        picking (several parcels) are separated by commas, semicolons or spaces."""
        self.ensure_one()
        parcels = []
        pickings = self.picking_ids.filtered(
            lambda picking: picking.state == "done" and picking.picking_type_code == "outgoing"
        ).sorted(lambda picking: (picking.date_done or picking.create_date, picking.id))
        for picking in pickings:
            references = [
                ref for ref in re.split(r"[\s,;]+", picking.carrier_tracking_ref or "") if ref
            ]
            tracking_url = picking.carrier_id.tracking_url
            for reference in references:
                url = False
                if tracking_url and "<shipmenttrackingnumber>" in tracking_url:
                    url = tracking_url.replace("<shipmenttrackingnumber>", quote(reference))
                elif len(references) == 1:
                    url = picking.carrier_tracking_url
                parcels.append(
                    {
                        "picking": picking,
                        "reference": reference,
                        "url": url,
                        "date": picking.date_done,
                    }
                )
        return parcels

    def _b2b_portal_timeline(self):
        """The steps of a request or order for the retailer, done ones dated.

        Each step: ``{"key", "label", "date", "detail", "done"}``; the steps
        still to come are listed undated so the retailer sees what is next.
        """
        self.ensure_one()
        steps = [
            {
                "key": "received",
                "label": _("Received"),
                "date": self.create_date,
                "detail": False,
                "done": True,
            }
        ]
        if self.b2b_answered_at:
            steps.append(
                {
                    "key": "answered",
                    "label": _("Answered"),
                    "date": self.b2b_answered_at,
                    "detail": self.b2b_answer_message or False,
                    "done": True,
                }
            )
        if self.b2b_state == "declined":
            steps.append(
                {
                    "key": "declined",
                    "label": _("Declined"),
                    "date": self.write_date,
                    "detail": self.b2b_decline_reason,
                    "done": True,
                }
            )
        is_order = self._b2b_is_order()
        if is_order:
            steps.append(
                {
                    "key": "ordered",
                    "label": _("Ordered"),
                    "date": self.date_order,
                    "detail": False,
                    "done": True,
                }
            )
        shipments = self.picking_ids.filtered(
            lambda picking: picking.state == "done" and picking.picking_type_code == "outgoing"
        ).sorted(lambda picking: (picking.date_done, picking.id))
        for picking in shipments:
            steps.append(
                {
                    "key": "shipped",
                    "label": _("Shipped") if self.b2b_shipped_at else _("Partly shipped"),
                    "date": picking.date_done,
                    "detail": picking.carrier_tracking_ref or False,
                    "done": True,
                }
            )
        if self.b2b_state == "shipped" and not shipments:
            steps.append(
                {
                    "key": "shipped",
                    "label": _("Shipped"),
                    "date": self.b2b_shipped_at,
                    "detail": False,
                    "done": True,
                }
            )
        if self.b2b_state == "cancelled":
            steps.append(
                {
                    "key": "cancelled",
                    "label": _("Cancelled"),
                    "date": self.b2b_cancelled_at or self.write_date,
                    "detail": self.b2b_cancel_reason,
                    "done": True,
                }
            )
        upcoming = {
            "request": [("answered", _("Answer expected"), self.b2b_remaining_time)],
            "expired": [("answered", _("Expired without answer"), self.b2b_remaining_time)],
            "answered": [("ordered", _("Turn into an order"), False)],
            "order": [("shipped", _("To be shipped"), self.b2b_remaining_time)],
        }.get(self.b2b_state, [])
        steps += [
            {"key": key, "label": label, "date": False, "detail": detail, "done": False}
            for key, label, detail in upcoming
        ]
        return steps

    def action_b2b_cancel(self, reason=None):
        result = super().action_b2b_cancel(reason)
        if not self.env.user._is_internal():
            self._b2b_mail_supplier("cancelled")
        return result

    def _b2b_mail_supplier(self, event):
        """E-mail the supplier (salesperson, else the company) about the retailer's
        action, whatever their notification preferences."""
        template = self.env.ref(
            f"b2b_dropship.mail_template_sale_b2b_supplier_{event}", raise_if_not_found=False
        )
        if not template:
            return
        for order in self:
            template.sudo().send_mail(order.id)
