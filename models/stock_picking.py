from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import float_compare, float_is_zero, format_amount

from ..tools.tracking import parse_tracking_refs

# What the retailer's API says of a done delivery, besides its moves.
SHIPMENT_FIELDS = {"carrier_tracking_ref", "carrier_id", "date_done"}


class StockPicking(models.Model):
    _inherit = "stock.picking"

    b2b_shipment_number = fields.Integer(
        string="Shipment",
        copy=False,
        readonly=True,
        help="Which shipment of the B2B order this delivery was part of "
        "(1 for the first).",
    )
    b2b_shipping_service = fields.Char(string="Shipping Service", copy=False)
    b2b_slip_lang = fields.Char(
        string="Packing Slip Language",
        copy=False,
        help="Language code the packing slip is printed in, chosen when the shipment "
        "was confirmed.",
    )
    b2b_recipient_message = fields.Text(string="Message to the Recipient", copy=False)
    b2b_parcel_count = fields.Integer(
        string="Parcels",
        compute="_compute_b2b_parcel_count",
        store=True,
        help="One parcel per tracking reference; one when there is none.",
    )

    @api.depends("carrier_tracking_ref")
    def _compute_b2b_parcel_count(self):
        for picking in self:
            picking.b2b_parcel_count = max(len(picking._b2b_tracking_refs()), 1)

    def write(self, vals):
        result = super().write(vals)
        if SHIPMENT_FIELDS & vals.keys():
            # A shipment's tracking corrected after the fact: the retailer's
            # API lists orders by their last change, so it is one of the
            # order's (only the change date is written, hence the sudo).
            self.filtered(
                lambda picking: picking.state == "done"
                and picking.sale_id.b2b_connection_id
            ).sale_id.sudo().write({})
        return result

    def _action_done(self):
        result = super()._action_done()
        if not self.env.context.get("b2b_shipment_confirm"):
            self._b2b_register_direct_shipments()
        return result

    def _send_confirmation_email(self):
        # Inventory's delivery confirmation (e-mail, SMS) goes to the delivery
        # contact: for a B2B order, the retailer's customer, who hears of the
        # parcel from the retailer only (blind shipping). The rest of this
        # method (stock_delivery's carrier labels) runs for every picking.
        b2b = self.filtered(lambda picking: picking.sale_id.b2b_connection_id)
        result = super(StockPicking, self - b2b)._send_confirmation_email()
        if b2b:
            super(
                StockPicking,
                b2b.with_context(skip_sms=True, b2b_no_delivery_mail=True),
            )._send_confirmation_email()
        return result

    def message_post_with_source(self, source_ref, *args, **kwargs):
        if (
            self.env.context.get("b2b_no_delivery_mail")
            and isinstance(source_ref, models.BaseModel)
            and source_ref == self.company_id.stock_mail_confirmation_template_id
        ):
            return self.env["mail.message"]
        return super().message_post_with_source(source_ref, *args, **kwargs)

    # Business methods --------------------------------------------------------

    def _b2b_tracking_refs(self):
        """Every parcel reference of these pickings, in order, without repeats."""
        refs = []
        for picking in self:
            for ref in parse_tracking_refs(picking.carrier_tracking_ref):
                if ref not in refs:
                    refs.append(ref)
        return refs

    def _b2b_tracking_links(self):
        """[(reference, tracking page or None)] of this picking's parcels."""
        self.ensure_one()
        return [
            (ref, self.carrier_id._b2b_tracking_link(ref) if self.carrier_id else None)
            for ref in self._b2b_tracking_refs()
        ]

    def _b2b_register_direct_shipments(self):
        """Deliveries of a B2B order validated in Inventory, not through the
        shipment confirmation, still make a shipment of the order."""
        done = self.filtered(
            lambda picking: picking.state == "done"
            and picking.location_dest_id.usage == "customer"
            and not picking.b2b_shipment_number
            and picking.sale_id.b2b_state == "order"
        )
        for order, pickings in done.grouped("sale_id").items():
            number = (
                max(order._b2b_customer_pickings().mapped("b2b_shipment_number") or [0])
                + 1
            )
            pickings.write({"b2b_shipment_number": number})
            order._b2b_after_shipment(pickings)

    def _b2b_shipment_plan(self):
        """What these pending pickings can ship, per product, in the product's unit:
        ``{product: {"remaining": qty, "reserved": qty, "moves": moves}}``."""
        plan = {}
        moves = self.move_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        )
        for move in moves.sorted(lambda move: (move.date, move.id)):
            product = move.product_id
            entry = plan.setdefault(
                product,
                {"remaining": 0.0, "reserved": 0.0, "moves": self.env["stock.move"]},
            )
            entry["remaining"] += move.product_qty
            entry["reserved"] += move.product_uom._compute_quantity(
                move.quantity, product.uom_id
            )
            entry["moves"] |= move
        return plan

    def _b2b_set_shipment_quantities(self, quantities, plan):
        """Put ``quantities`` on the reserved moves; return the pickings shipping any.

        Reserved quantities are taken move by move, earliest first; a manager's
        extra quantity goes on the last move. Moves of pickings that ship
        nothing keep their reservation.
        """
        takes = {}
        for product, entry in plan.items():
            left = quantities.get(product, 0.0)
            rounding = product.uom_id.rounding
            moves = entry["moves"]
            for move in moves:
                reserved = move.product_uom._compute_quantity(
                    move.quantity, product.uom_id
                )
                take = min(reserved, left)
                takes[move] = take
                left -= take
            if float_compare(left, 0.0, precision_rounding=rounding) > 0 and moves:
                takes[moves[-1]] = takes.get(moves[-1], 0.0) + left
        shipping = self.filtered(
            lambda picking: any(
                not float_is_zero(
                    takes.get(move, 0.0),
                    precision_rounding=move.product_id.uom_id.rounding,
                )
                for move in picking.move_ids
            )
        )
        for move in shipping.move_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        ):
            take = takes.get(move, 0.0)
            move.quantity = move.product_id.uom_id._compute_quantity(
                take, move.product_uom
            )
            move.picked = not float_is_zero(
                take, precision_rounding=move.product_id.uom_id.rounding
            )
        return shipping

    def _b2b_shipment_summary(self):
        """Chatter text of the shipment made of these pickings."""
        order = self.sale_id[:1]
        lines = Markup("").join(
            Markup("<li>%s × %s</li>") % (quantity, sku)
            for sku, _retailer_sku, quantity in order._b2b_quantities_by_sku(
                self.move_ids.filtered(lambda move: move.state == "done"), "quantity"
            )
        )
        parts = [
            Markup("<p>%s</p><ul>%s</ul>")
            % (
                _(
                    "Shipment %(number)s confirmed (%(pickings)s):",
                    number=max(self.mapped("b2b_shipment_number") or [0]),
                    pickings=", ".join(self.mapped("name")),
                ),
                lines,
            )
        ]
        carrier = self.carrier_id[:1]
        service = self[:1].b2b_shipping_service
        if carrier or service:
            parts.append(
                Markup("<p>%s</p>")
                % _(
                    "Carrier: %(carrier)s",
                    carrier=" / ".join(
                        name for name in (carrier.name, service) if name
                    ),
                )
            )
        refs = self._b2b_tracking_refs()
        if refs:
            parts.append(
                Markup("<p>%s</p>") % _("Tracking: %(refs)s", refs=", ".join(refs))
            )
        cost = sum(self.mapped("carrier_price"))
        if cost:
            parts.append(
                Markup("<p>%s</p>")
                % _(
                    "Shipping cost: %(cost)s",
                    cost=format_amount(
                        self.env, cost, order.currency_id or self.company_id.currency_id
                    ),
                )
            )
        backorders = order._b2b_pending_pickings()
        if backorders:
            parts.append(
                Markup("<p>%s</p>")
                % _(
                    "Still to ship: %(pickings)s",
                    pickings=", ".join(backorders.mapped("name")),
                )
            )
        return Markup("").join(parts)
