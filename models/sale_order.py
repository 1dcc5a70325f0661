import base64
import binascii
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import MissingError, UserError
from odoo.tools import SQL, float_compare, float_round, format_datetime

from ..exceptions import B2bInputError
from ..tools import api_schema, json_schema
from ..tools.deadline import start_of_day
from ..tools.tracking import join_tracking_refs


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "b2b.deadline.mixin"]

    b2b_partner_id = fields.Many2one(
        related="b2b_connection_id.partner_id",
        string="Retailer",
        store=True,
        index=True,
    )
    b2b_slip_printed = fields.Boolean(
        string="Packing Slip Printed", copy=False, index=True, tracking=True
    )
    b2b_late_notified = fields.Boolean(
        string="Late Shipment Notified",
        copy=False,
        index=True,
        readonly=True,
        help="The supplier was told that this order missed its ship deadline.",
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
        result = super()._compute_access_url()
        for order in self.filtered("b2b_connection_id"):
            kind = "orders" if order._b2b_is_order() else "requests"
            order.access_url = f"/my/b2b/{kind}/{order.id}"
        return result

    def init(self):
        res = super().init()
        self._b2b_init_indexes()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("b2b_connection_id") and not vals.get("partner_id"):
                connection = self.env["b2b.connection"].browse(
                    vals["b2b_connection_id"]
                )
                vals["partner_id"] = connection.partner_id.id
        return super().create(vals_list)

    # Odoo's own confirmation and cancellation -------------------------------

    def action_confirm(self):
        # A retailer's request becomes an order by being turned into one,
        # which sets its quantities, back-orders and ship deadline; confirmed
        # as a plain quotation it would stay a request with a delivery.
        if not self.env.context.get("b2b_convert"):
            requests = self.filtered(
                lambda order: order.b2b_connection_id and order.b2b_state != "order"
            )
            if requests:
                raise UserError(
                    _(
                        "%(names)s: a retailer's request is answered, then turned "
                        "into an order (Turn into Order), not confirmed as a "
                        "quotation.",
                        names=", ".join(requests.mapped("display_name")),
                    )
                )
        return super().action_confirm()

    def action_cancel(self):
        # Cancel B2B asks for the reason, tells the retailer and keeps what
        # was shipped; Odoo's own cancellation would do none of it.
        running = self.filtered(
            lambda order: order.b2b_connection_id
            and order.b2b_state in ("request", "answered", "order")
        )
        if running:
            raise UserError(
                _(
                    "%(names)s: use Cancel B2B, which tells the retailer why.",
                    names=", ".join(running.mapped("display_name")),
                )
            )
        return super().action_cancel()

    def _has_to_be_signed(self):
        # the retailer answers on its B2B portal pages, not on Odoo's
        # quotation page (whose Accept and Decline would skip the B2B flow)
        return not self.b2b_connection_id and super()._has_to_be_signed()

    def _has_to_be_paid(self):
        return not self.b2b_connection_id and super()._has_to_be_paid()

    # Hooks of b2b.deadline.mixin ------------------------------------------

    def _b2b_answer_lines(self):
        return self.order_line.filtered(
            lambda line: not line.display_type and not line.is_delivery
        )

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
                # counted from today: confirming dates the order today, and
                # Odoo schedules the delivery at the order date plus the lead
                lead_days = max(
                    (line.b2b_backorder_date - fields.Date.today()).days,
                    line.customer_lead,
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
                    "Nothing of %(name)s is available or back-ordered: there is "
                    "nothing to order.",
                    name=self.display_name,
                )
            )
        if self.b2b_has_shipping_fee and self.b2b_shipping_fee:
            line_commands.append(
                fields.Command.create(self._b2b_shipping_fee_line_values())
            )
        self.write({"order_line": line_commands})
        self.with_context(
            disable_cancel_warning=True, b2b_convert=True
        ).action_confirm()

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
                # the order's company's stock, whatever companies the user works in
                ("company_id", "=", self.company_id.id),
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
            if (
                pickings
                and all(picking.state in ("done", "cancel") for picking in pickings)
                and any(picking.state == "done" for picking in pickings)
            ):
                raise UserError(
                    _(
                        "%(name)s is already entirely shipped: it can no longer be "
                        "cancelled.",
                        name=order.display_name,
                    )
                )
        # A partly shipped order stays a sale, so that what was delivered can be
        # invoiced: only the deliveries still to ship are cancelled.
        partly_shipped = self.filtered(
            lambda order: any(
                picking.state == "done" for picking in order._b2b_customer_pickings()
            )
        )
        partly_shipped._b2b_pending_pickings().action_cancel()
        for order in partly_shipped:
            order._b2b_drop_unshipped_quantities()
            order.message_post(
                body=_(
                    "The deliveries still to ship were cancelled; what was shipped "
                    "stays."
                ),
                subtype_xmlid="mail.mt_note",
            )
        unshipped = self - partly_shipped
        unshipped.with_context(disable_cancel_warning=True)._action_cancel()

    def _b2b_ship_from(self, now):
        # Only back-ordered goods left to ship: the delay counts from the day
        # the earliest of them is promised (midnight in the connection's time
        # zone), not from now, or the order would be late while it waits.
        self.ensure_one()
        moves = self._b2b_pending_pickings().move_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        )
        lines = moves.sale_line_id
        if not lines or not all(
            line.b2b_backorder and line.b2b_backorder_date for line in lines
        ):
            return now
        promised = start_of_day(
            min(lines.mapped("b2b_backorder_date")),
            self.b2b_connection_id.tz or "UTC",
        )
        return max(now, promised)

    def _b2b_drop_unshipped_quantities(self):
        """What will not ship (its deliveries cancelled) is no longer ordered,
        nor invoiced: products invoice on ordered quantities by default. A
        locked order stays locked."""
        self.ensure_one()
        locked = self.locked
        if locked:
            self.action_unlock()
        for line in self._b2b_answer_lines():
            pending = sum(
                move.product_uom._compute_quantity(
                    move.product_uom_qty, line.product_uom
                )
                for move in line.move_ids
                if move.state not in ("done", "cancel")
                and move.location_dest_id.usage == "customer"
            )
            kept = line.qty_delivered + pending
            if (
                float_compare(
                    kept,
                    line.product_uom_qty,
                    precision_rounding=line.product_uom.rounding,
                )
                < 0
            ):
                line.product_uom_qty = kept
        if locked:
            self.action_lock()

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
        """One entry per parcel of the order's done deliveries:
        ``{"picking", "reference", "url", "date"}``, the URL from the carrier's
        tracking link."""
        self.ensure_one()
        parcels = []
        pickings = (
            self._b2b_customer_pickings()
            .filtered(lambda picking: picking.state == "done")
            .sorted(lambda picking: (picking.date_done, picking.id))
        )
        for picking in pickings:
            carrier = picking.carrier_id
            for reference in picking._b2b_tracking_refs():
                parcels.append(
                    {
                        "picking": picking,
                        "reference": reference,
                        "url": carrier._b2b_tracking_link(reference)
                        if carrier
                        else False,
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
        shipments = (
            self._b2b_customer_pickings()
            .filtered(lambda picking: picking.state == "done")
            .sorted(lambda picking: (picking.date_done, picking.id))
        )
        for picking in shipments:
            steps.append(
                {
                    "key": "shipped",
                    "label": _("Shipped")
                    if self.b2b_shipped_at
                    else _("Partly shipped"),
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
            "expired": [
                ("answered", _("Expired without answer"), self.b2b_remaining_time)
            ],
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
            f"b2b_dropship.mail_template_sale_b2b_supplier_{event}",
            raise_if_not_found=False,
        )
        if not template:
            return
        for order in self:
            template.sudo().send_mail(order.id)

    # Shipping ----------------------------------------------------------------

    def _b2b_emit_event(self, event_type, payload=None):
        """Hand an outbound event (``shipment.confirmed``, ``order.cancelled``...)
        to the channels: recorded as a pending ``b2b.event`` for each order whose
        connection has a webhook URL, sent by the scheduled action. ``payload`` is
        the event's data; by default the order as the API shows it."""
        if event_type == "shipment.confirmed" and payload is not None:
            # connections that opted in also get a file in their SFTP outbox
            self.env["b2b.outbound.file"]._b2b_queue_shipments(
                [(order, payload) for order in self]
            )
        orders = self.filtered(lambda order: order.b2b_connection_id.webhook_url)
        return self.env["b2b.event"]._b2b_create_outbound(
            [
                (
                    order,
                    payload if payload is not None else order.sudo()._b2b_api_values(),
                )
                for order in orders
            ],
            event_type,
        )

    def _b2b_change_state(self, state, message, extra_values=None):
        cancelled_orders = (
            self.filtered(lambda order: order.b2b_state == "order")
            if state == "cancelled"
            else self.browse()
        )
        result = super()._b2b_change_state(state, message, extra_values)
        for order in cancelled_orders:
            order._b2b_emit_event("order.cancelled", order._b2b_cancel_payload())
        return result

    def _b2b_cancel_payload(self):
        self.ensure_one()
        return {
            "order": self.name,
            "reference": self.client_order_ref or None,
            "connection": self.b2b_connection_id.code,
            "reason": self.b2b_cancel_reason or None,
            "shipped": [
                {"sku": sku, "retailer_sku": retailer_sku, "quantity": quantity}
                for sku, retailer_sku, quantity in self._b2b_quantities_by_sku(
                    self._b2b_customer_pickings()
                    .filtered(lambda p: p.state == "done")
                    .move_ids.filtered(lambda move: move.state == "done"),
                    "quantity",
                )
            ],
        }

    def _b2b_customer_pickings(self):
        """The order's deliveries to the end customer, cancelled ones left out."""
        return self.picking_ids.filtered(
            lambda picking: picking.location_dest_id.usage == "customer"
            and picking.state != "cancel"
        )

    def _b2b_pending_pickings(self):
        return self._b2b_customer_pickings().filtered(
            lambda picking: picking.state != "done"
        )

    def _b2b_shipment_pickings(self, number=None):
        """Pickings of one shipment (the last one by default)."""
        self.ensure_one()
        done = self._b2b_customer_pickings().filtered(
            lambda picking: picking.state == "done"
        )
        if number is None:
            number = max(done.mapped("b2b_shipment_number") or [0])
        return done.filtered(lambda picking: picking.b2b_shipment_number == number)

    def _b2b_retailer_references(self):
        """{product id: b2b.product.reference} of the order's connection."""
        self.ensure_one()
        references = (
            self.env["b2b.product.reference"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.b2b_connection_id.id),
                    ("product_id", "in", self.order_line.product_id.ids),
                ],
                order="id",
            )
        )
        result = {}
        for reference in references:
            result.setdefault(reference.product_id.id, reference)
        return result

    def _b2b_quantities_by_sku(self, moves, field):
        """[(our sku, retailer sku, quantity)] of ``moves``, per product in its unit."""
        return self._b2b_sku_rows(moves._b2b_quantities_by_product(field))

    def _b2b_sku_rows(self, quantities):
        """[(our sku, retailer sku, quantity)] of ``{product: quantity}``."""
        self.ensure_one()
        references = self._b2b_retailer_references()
        return [
            (
                product.default_code or product.display_name,
                references[product.id].retailer_sku
                if product.id in references
                else None,
                quantity,
            )
            for product, quantity in quantities.items()
            if quantity
        ]

    def _b2b_slip_pickings(self):
        """The pickings a packing slip of the order shows: the parcel still to
        ship when there is one, else the last shipment."""
        self.ensure_one()
        return self._b2b_pending_pickings() or self._b2b_shipment_pickings()

    def _b2b_slip_lang(self, pickings=None):
        """The language chosen at shipment confirmation, else the connection's."""
        self.ensure_one()
        installed = dict(self.env["res.lang"].get_installed())
        chosen = [
            lang
            for lang in (pickings or self.env["stock.picking"]).mapped("b2b_slip_lang")
            if lang in installed
        ]
        candidates = [
            self.b2b_connection_id.lang,
            self.partner_shipping_id.lang,
            self.env.lang,
        ]
        return (chosen and chosen[-1]) or next(
            (lang for lang in candidates if lang in installed), "en_US"
        )

    def _b2b_barcode_url(self):
        """Odoo's barcode route drawing the order reference, for reports."""
        self.ensure_one()
        return "/report/barcode/?" + urlencode(
            {
                "barcode_type": "Code128",
                "value": self.name,
                "width": 600,
                "height": 120,
                "humanreadable": 1,
            }
        )

    def action_b2b_confirm_shipment(self):
        """Open the shipment confirmation of this order."""
        self.ensure_one()
        self._b2b_check_can_ship()
        return {
            "type": "ir.actions.act_window",
            "name": _("Confirm Shipment"),
            "res_model": "b2b.shipment.confirm",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_id": self.id,
                "active_ids": self.ids,
            },
        }

    def _b2b_check_can_ship(self):
        for order in self:
            order._b2b_check_state(("order",), _("shipped"))
            if not order._b2b_pending_pickings():
                raise UserError(
                    _("%(name)s has no delivery left to ship.", name=order.display_name)
                )

    def action_b2b_print_packing_slip(self):
        """Print the packing slips of these orders (at any time); mark them printed."""
        self.write({"b2b_slip_printed": True})
        return self.env.ref("b2b_dropship.action_report_packing_slip").report_action(
            self
        )

    @api.model
    def action_b2b_print_unprinted_slips(self):
        """One PDF with the slip of every order to ship not printed yet."""
        orders = self.search(
            [("b2b_state", "=", "order"), ("b2b_slip_printed", "=", False)],
            order="b2b_ship_deadline, id",
        )
        if not orders:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _("Packing Slips"),
                    "message": _(
                        "Every order to ship already has its packing slip printed."
                    ),
                    "type": "info",
                    "sticky": False,
                },
            }
        return orders.action_b2b_print_packing_slip()

    def _b2b_confirm_shipment(
        self,
        quantities,
        tracking_refs=(),
        carrier=None,
        service=False,
        shipping_cost=0.0,
        lang=False,
        message=False,
        allow_more=False,
    ):
        """Ship ``quantities`` ({product: quantity in its unit}) of this order.

        Validates the pending deliveries through Odoo's stock flow with exactly
        these quantities: what is not shipped stays in a back-order picking.
        Returns the validated pickings. Raises a ``UserError`` saying what is
        wrong, before changing anything, when the shipment cannot be made.
        """
        self.ensure_one()
        self._b2b_check_can_ship()
        carrier = carrier or self.env["delivery.carrier"]
        tracking_refs = list(tracking_refs)
        if carrier and carrier._b2b_requires_tracking() and not tracking_refs:
            raise UserError(
                _(
                    "The carrier %(carrier)s requires a tracking reference: enter the "
                    "reference of each parcel.",
                    carrier=carrier.display_name,
                )
            )
        if shipping_cost < 0:
            raise UserError(_("The shipping cost cannot be negative."))
        pickings = self._b2b_pending_pickings()
        pickings.filtered(
            lambda picking: picking.state in ("confirmed", "waiting", "assigned")
        ).action_assign()
        plan = pickings._b2b_shipment_plan()
        self._b2b_check_shipment_quantities(quantities, plan, allow_more)
        with_quantity = pickings._b2b_set_shipment_quantities(quantities, plan)
        with_quantity.with_context(
            skip_backorder=True, skip_sms=True, b2b_shipment_confirm=True
        ).button_validate()
        not_done = with_quantity.filtered(lambda picking: picking.state != "done")
        if not_done:
            raise UserError(
                _(
                    "The deliveries %(pickings)s could not be validated.",
                    pickings=", ".join(not_done.mapped("name")),
                )
            )
        number = (
            max(self._b2b_customer_pickings().mapped("b2b_shipment_number") or [0]) + 1
        )
        with_quantity.write(
            {
                "b2b_shipment_number": number,
                "carrier_id": carrier.id,
                "carrier_tracking_ref": join_tracking_refs(tracking_refs),
                "carrier_price": 0.0,
                "b2b_shipping_service": service or False,
                "b2b_slip_lang": lang or self._b2b_slip_lang(),
                "b2b_recipient_message": message or False,
            }
        )
        # The shipment's cost is recorded once, on its first delivery.
        with_quantity[:1].carrier_price = shipping_cost
        self._b2b_after_shipment(with_quantity)
        return with_quantity

    def _b2b_check_shipment_quantities(self, quantities, plan, allow_more):
        """Refuse quantities that are negative, above what remains or not reserved."""
        self.ensure_one()
        if any(quantity < 0 for quantity in quantities.values()):
            raise UserError(_("Quantities shipped cannot be negative."))
        if not any(quantity > 0 for quantity in quantities.values()):
            raise UserError(_("Enter the quantity shipped of at least one product."))
        if allow_more and not self.env.user.has_group("b2b_dropship.group_b2b_manager"):
            raise UserError(_("Only a B2B manager can ship more than ordered."))
        missing = []
        for product, quantity in quantities.items():
            if quantity <= 0:
                continue
            if product not in plan:
                raise UserError(
                    _(
                        "%(product)s is not to be shipped on %(order)s.",
                        product=product.display_name,
                        order=self.display_name,
                    )
                )
            remaining, reserved = plan[product]["remaining"], plan[product]["reserved"]
            rounding = product.uom_id.rounding
            if (
                float_compare(quantity, remaining, precision_rounding=rounding) > 0
                and not allow_more
            ):
                raise UserError(
                    _(
                        "%(product)s: %(quantity)s shipped is more than the "
                        "%(remaining)s %(unit)s that remain to ship.",
                        product=product.display_name,
                        quantity=quantity,
                        remaining=remaining,
                        unit=product.uom_id.name,
                    )
                )
            available = reserved
            if float_compare(quantity, remaining, precision_rounding=rounding) > 0:
                # The extra quantity of a manager's override comes from free stock.
                location = plan[product]["moves"][:1].location_id
                available += product.with_context(location=location.id).free_qty
            if float_compare(quantity, available, precision_rounding=rounding) > 0:
                missing.append(
                    _(
                        "%(product)s: %(missing)s %(unit)s missing "
                        "(%(quantity)s to ship, %(available)s reserved)",
                        product=product.display_name,
                        missing=float_round(
                            quantity - available, precision_rounding=rounding
                        ),
                        unit=product.uom_id.name,
                        quantity=quantity,
                        available=available,
                    )
                )
        if missing:
            raise UserError(
                _(
                    "The delivery of %(order)s cannot be reserved for these "
                    "quantities:\n%(missing)s",
                    order=self.display_name,
                    missing="\n".join(missing),
                )
            )

    def _b2b_after_shipment(self, pickings):
        """Bookkeeping of a shipment made of ``pickings`` (validated, numbered):
        state, chatter, the retailer's e-mail and the ``shipment.confirmed`` event."""
        self.ensure_one()
        # validated in Inventory without a back-order: the rest will not ship
        left_out = pickings.move_ids._b2b_left_out_quantities()
        if left_out:
            self._b2b_drop_unshipped_quantities()
        fully_shipped = not self._b2b_pending_pickings()
        summary = pickings._b2b_shipment_summary()
        if left_out:
            summary += Markup("<p>%s</p>") % _(
                "Not shipped and cancelled: %(lines)s",
                lines=", ".join(
                    f"{quantity:g} × {product.display_name}"
                    for product, quantity in left_out.items()
                ),
            )
        if fully_shipped:
            self._b2b_change_state(
                "shipped", summary, {"b2b_shipped_at": fields.Datetime.now()}
            )
        else:
            # The rest ships in another parcel, which needs its own slip; when
            # only back-orders are left, by their promised date.
            now = fields.Datetime.now()
            values = {"b2b_slip_printed": False}
            if self._b2b_ship_from(now) > now:
                values.update(
                    b2b_ship_deadline=self._b2b_ship_deadline(now),
                    b2b_late_notified=False,
                )
            self.write(values)
            self.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self._b2b_notify_partner("shipped")
        self._b2b_emit_event("shipment.confirmed", self._b2b_shipment_payload(pickings))

    def _b2b_shipment_payload(self, pickings):
        self.ensure_one()
        pending = self._b2b_pending_pickings()
        refs = pickings._b2b_tracking_refs()
        carrier = pickings.carrier_id[:1]
        return {
            "order": self.name,
            "reference": self.client_order_ref or None,
            "connection": self.b2b_connection_id.code,
            "shipment": max(pickings.mapped("b2b_shipment_number") or [0]),
            "fully_shipped": not pending,
            "shipped_at": fields.Datetime.to_string(max(pickings.mapped("date_done"))),
            "carrier": carrier.name or None,
            "shipping_service": pickings[:1].b2b_shipping_service or None,
            "shipping_cost": sum(pickings.mapped("carrier_price")),
            "currency": self.currency_id.name,
            "tracking": [
                {
                    "reference": ref,
                    "url": carrier._b2b_tracking_link(ref) if carrier else None,
                }
                for ref in refs
            ],
            "message": pickings[:1].b2b_recipient_message or None,
            "lines": [
                {"sku": sku, "retailer_sku": retailer_sku, "quantity": quantity}
                for sku, retailer_sku, quantity in self._b2b_quantities_by_sku(
                    pickings.move_ids.filtered(lambda move: move.state == "done"),
                    "quantity",
                )
            ],
            "backorder": [
                {"sku": sku, "retailer_sku": retailer_sku, "quantity": quantity}
                for sku, retailer_sku, quantity in self._b2b_quantities_by_sku(
                    pending.move_ids.filtered(lambda move: move.state != "cancel"),
                    "product_uom_qty",
                )
            ],
            "cancelled": [
                {"sku": sku, "retailer_sku": retailer_sku, "quantity": quantity}
                for sku, retailer_sku, quantity in self._b2b_sku_rows(
                    pickings.move_ids._b2b_left_out_quantities()
                )
            ],
        }

    # Scheduled actions ------------------------------------------------------

    @api.model
    def _cron_late_shipments(self, batch_size=500):
        """Tell the supplier once about each order whose ship deadline has passed."""
        domain = [
            ("b2b_state", "=", "order"),
            ("b2b_late_notified", "=", False),
            ("b2b_ship_deadline", "<", fields.Datetime.now()),
        ]
        done = 0
        while True:
            orders = self.search(
                domain, limit=batch_size, order="b2b_ship_deadline, id"
            )
            if not orders:
                break
            orders._b2b_notify_late()
            done += len(orders)
            remaining = self.search_count(domain) if len(orders) == batch_size else 0
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            self._b2b_commit_batch()
            if not remaining:
                break
        return done

    def _b2b_notify_late(self):
        self.write({"b2b_late_notified": True})
        template = self.env.ref(
            "b2b_dropship.mail_template_sale_b2b_late_shipment",
            raise_if_not_found=False,
        )
        fallback_user = self.env.ref("base.user_admin", raise_if_not_found=False)
        for order in self:
            user = order.user_id or fallback_user
            order.activity_schedule(
                "mail.mail_activity_data_warning",
                date_deadline=fields.Date.context_today(order),
                summary=_("Shipping is late"),
                note=_(
                    "%(ref)s had to ship by %(deadline)s.",
                    ref=order.client_order_ref or order.name,
                    deadline=format_datetime(
                        self.env, order.b2b_ship_deadline, tz=user.tz
                    ),
                ),
                user_id=user.id if user else self.env.uid,
            )
            if template and order.company_id.b2b_late_shipment_emails:
                template.send_mail(order.id)

    # Packing slip ------------------------------------------------------------

    def _b2b_is_blind(self):
        self.ensure_one()
        return bool(self.b2b_connection_id and self.b2b_connection_id.blind_dropship)

    def _b2b_slip_sender(self):
        """Who the parcel comes from: the retailer in blind dropship, else us."""
        self.ensure_one()
        if self._b2b_is_blind():
            retailer = self.b2b_connection_id.partner_id.sudo()
            return {
                "partner": retailer,
                "name": retailer.name,
                "logo": retailer.image_256,
            }
        company = self.company_id.sudo()
        return {
            "partner": company.partner_id,
            "name": company.name,
            "logo": company.logo,
        }

    def _b2b_slip_lines(self, pickings):
        """Rows of the packing slip of ``pickings`` (of this order), one per product:
        dicts with product, description, sku, retailer_sku, shipped, backordered,
        expected (date of the back-order), price_unit, uom."""
        self.ensure_one()
        references = self._b2b_retailer_references()
        blind = self._b2b_is_blind()
        rows = {}

        def row(product, sale_line):
            if product not in rows:
                reference = references.get(product.id)
                rows[product] = {
                    "product": product,
                    "description": (blind and reference and reference.retailer_name)
                    or product.with_context(display_default_code=False).display_name,
                    "sku": product.default_code or "",
                    "retailer_sku": reference.retailer_sku if reference else "",
                    "shipped": 0.0,
                    "backordered": 0.0,
                    "expected": False,
                    # per unit of the product, as the quantities are
                    "price_unit": sale_line.product_uom._compute_price(
                        sale_line.price_unit, product.uom_id
                    )
                    if sale_line
                    else product.lst_price,
                    "uom": product.uom_id,
                }
            return rows[product]

        def add_backorder(entry, quantity, date):
            entry["backordered"] += quantity
            if date and (not entry["expected"] or date > entry["expected"]):
                entry["expected"] = date

        if not pickings:
            for line in self._b2b_answer_lines():
                quantity = line.product_uom._compute_quantity(
                    line.product_uom_qty, line.product_id.uom_id
                )
                entry = row(line.product_id, line)
                if line.b2b_backorder:
                    add_backorder(entry, quantity, line.b2b_backorder_date)
                else:
                    entry["shipped"] += quantity
            return list(rows.values())
        done = pickings.filtered(lambda picking: picking.state == "done")
        for move in done.move_ids.filtered(lambda move: move.state == "done"):
            row(move.product_id, move.sale_line_id)["shipped"] += (
                move.product_uom._compute_quantity(
                    move.quantity, move.product_id.uom_id
                )
            )
        pending_moves = (pickings - done).move_ids
        if done:
            # The slip of a shipment lists what the order still has to ship
            # as back-ordered.
            pending_moves |= (self._b2b_pending_pickings() - pickings).move_ids
        for move in pending_moves.filtered(
            lambda move: move.state not in ("done", "cancel")
        ):
            entry = row(move.product_id, move.sale_line_id)
            if move.picking_id in pickings and not move.sale_line_id.b2b_backorder:
                entry["shipped"] += move.product_qty
            else:
                add_backorder(
                    entry,
                    move.product_qty,
                    move.sale_line_id.b2b_backorder_date or move.date.date(),
                )
        return list(rows.values())

    def _b2b_slip_values(self, pickings):
        """Everything a packing slip of ``pickings`` (of this order) shows."""
        self.ensure_one()
        done = pickings.filtered(lambda picking: picking.state == "done")
        carrier = done.carrier_id[:1]
        service = done[:1].b2b_shipping_service
        return {
            "sender": self._b2b_slip_sender(),
            "blind": self._b2b_is_blind(),
            "lines": self._b2b_slip_lines(pickings),
            "shipped_on": max(done.mapped("date_done")) if done else False,
            "tracking_refs": done._b2b_tracking_refs(),
            "carrier": " / ".join(name for name in (carrier.name, service) if name),
            "message": "\n".join(
                done.filtered("b2b_recipient_message").mapped("b2b_recipient_message")
            ),
        }

    def _b2b_shipment_mail_values(self):
        """What the retailer's shipment e-mail tells about the last shipment."""
        self.ensure_one()
        pickings = self._b2b_shipment_pickings()
        carrier = pickings.carrier_id[:1]
        pending = self._b2b_pending_pickings()
        references = self._b2b_retailer_references()

        def rows(quantities):
            return [
                {
                    "name": product.display_name,
                    "retailer_sku": references[product.id].retailer_sku
                    if product.id in references
                    else "",
                    "quantity": quantity,
                }
                for product, quantity in quantities.items()
            ]

        def lines(moves, field):
            return rows(moves._b2b_quantities_by_product(field))

        return {
            "fully_shipped": not pending,
            "lines": lines(
                pickings.move_ids.filtered(lambda move: move.state == "done"),
                "quantity",
            ),
            "backorder": lines(
                pending.move_ids.filtered(lambda move: move.state != "cancel"),
                "product_uom_qty",
            ),
            "cancelled": rows(pickings.move_ids._b2b_left_out_quantities()),
            "carrier": " / ".join(
                name
                for name in (carrier.name, pickings[:1].b2b_shipping_service)
                if name
            ),
            "tracking": [
                (ref, carrier._b2b_tracking_link(ref) if carrier else None)
                for ref in pickings._b2b_tracking_refs()
            ],
            "message": "\n".join(
                pickings.filtered("b2b_recipient_message").mapped(
                    "b2b_recipient_message"
                )
            ),
        }

    # Channels: the JSON API --------------------------------------------------

    def _b2b_api_values(self):
        """The request or order as the API and the outbound events show it."""
        self.ensure_one()
        references = {
            reference.product_id.id: reference.retailer_sku
            for reference in self.env["b2b.product.reference"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.b2b_connection_id.id),
                    ("product_id", "in", self.order_line.product_id.ids),
                ],
                order="id desc",
            )
        }
        shipping = self.partner_shipping_id
        lines = self._b2b_answer_lines()
        shipments = self._b2b_customer_pickings().filtered(
            lambda picking: picking.state == "done"
        )
        return {
            "reference": self.client_order_ref or None,
            "name": self.name,
            "state": self.b2b_state,
            "created_at": _api_datetime(self.create_date),
            "updated_at": _api_datetime(self.write_date),
            "answer_deadline": _api_datetime(self.b2b_answer_deadline),
            "ship_deadline": _api_datetime(self.b2b_ship_deadline),
            "answered_at": _api_datetime(self.b2b_answered_at),
            "shipped_at": _api_datetime(self.b2b_shipped_at),
            "note": self.b2b_note or None,
            "answer_message": self.b2b_answer_message or None,
            "decline_reason": self.b2b_decline_reason or None,
            "cancel_reason": self.b2b_cancel_reason or None,
            "currency": self.currency_id.name,
            "amount_untaxed": self.amount_untaxed,
            "amount_total": self.amount_total,
            "shipping_fee": self.b2b_shipping_fee
            if self.b2b_has_shipping_fee
            else None,
            "ship_to": {
                "name": shipping.name or None,
                "street": shipping.street or None,
                "street2": shipping.street2 or None,
                "city": shipping.city or None,
                "zip": shipping.zip or None,
                "state_code": shipping.state_id.code or None,
                "country_code": shipping.country_id.code or None,
                "email": shipping.email or None,
                "phone": shipping.phone or None,
            },
            "lines": [
                {
                    "sku": line.product_id.default_code or None,
                    "retailer_sku": references.get(line.product_id.id) or None,
                    "description": line.name or "",
                    "quantity": line.product_uom_qty,
                    "price_unit": line.price_unit,
                    "available_quantity": line.b2b_qty_available,
                    "backorder": line.b2b_backorder,
                    "backorder_quantity": line.b2b_backorder_qty,
                    "backorder_date": line.b2b_backorder_date.isoformat()
                    if line.b2b_backorder_date
                    else None,
                    "delivered_quantity": line.qty_delivered,
                }
                for line in lines
            ],
            "shipments": [
                {
                    "name": picking.name,
                    "carrier": picking.carrier_id.name or None,
                    "shipped_at": _api_datetime(picking.date_done),
                    "tracking": [
                        {"reference": ref, "url": url or None}
                        for ref, url in picking._b2b_tracking_links()
                    ],
                    "lines": [
                        {
                            "sku": product.default_code or None,
                            "retailer_sku": references.get(product.id) or None,
                            "quantity": quantity,
                        }
                        for product, quantity in picking.move_ids.filtered(
                            lambda move: move.state == "done"
                        )
                        ._b2b_quantities_by_product("quantity")
                        .items()
                    ],
                }
                for picking in shipments.sorted(
                    lambda picking: (picking.date_done, picking.id)
                )
            ],
        }

    @api.model
    def _b2b_api_domain(self):
        """The caller's company's requests and orders. The record rules alone
        would let more through: Odoo's own portal rule on quotations also
        shows a retailer the orders it follows, such as those of its
        subsidiaries, which are not its to change."""
        return [
            ("b2b_connection_id", "!=", False),
            ("b2b_partner_id", "=", self.env.user.commercial_partner_id.id),
        ]

    @api.model
    def _b2b_api_find(self, reference):
        """The caller's request or order with this reference, through the record
        rules of the caller (a retailer's portal user sees its company's only)."""
        order = self.browse()
        if (
            isinstance(reference, str)
            and 0 < len(reference) <= 128
            and "\x00" not in reference
        ):
            order = self.search(
                self._b2b_api_domain() + [("client_order_ref", "=", reference)],
                order="id desc",
                limit=1,
            )
        if not order:
            raise MissingError(
                _(
                    "You have no request or order with the reference %(reference)s.",
                    reference=reference,
                )
            )
        order.check_access("read")
        return order

    @api.model
    def _b2b_api_get(self, reference):
        """``GET /b2b/v1/orders/<reference>``: ``(200, order)``."""
        return 200, self._b2b_api_find(reference).sudo()._b2b_api_values()

    @api.model
    def _b2b_api_action(self, reference, action, body=None):
        """``POST /b2b/v1/orders/<reference>/<action>``: confirm, reopen or cancel
        one of the caller's requests or orders; ``(200, order)``."""
        order = self._b2b_api_find(reference)
        order_sudo = order.sudo()
        if action == "confirm":
            order_sudo.action_b2b_convert()
        elif action == "reopen":
            order_sudo.action_b2b_reopen()
        elif action == "cancel":
            errors = json_schema.validate(body, api_schema.CANCEL_BODY_SCHEMA)
            if errors:
                raise B2bInputError(errors)
            order_sudo.action_b2b_cancel(body["reason"])
        else:
            raise MissingError(_("Unknown action %(action)s.", action=action))
        # pending computations are made with the rights of the change
        order_sudo.env.flush_all()
        return 200, order_sudo._b2b_api_values()

    @api.model
    def _b2b_api_settled_before(self):
        """The time before which every change is committed: ``GET /orders``
        lists nothing changed since, lest its cursor pass a change that a
        transaction still running commits later with an earlier time (Odoo
        dates changes from the start of their transaction).

        That is a few seconds ago, or the start of the oldest transaction of
        Odoo's still running on this database when it began before. A
        transaction left open longer than an hour (a leaked session) holds
        the list back no more than that, so that it cannot stop it.
        """
        now = self.env.cr.now()
        settle = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(API_SETTLE_PARAM, API_SETTLE_SECONDS)
        )
        # the activity seen by a transaction is otherwise the one it first saw
        self.env.cr.execute(SQL("SELECT pg_stat_clear_snapshot()"))
        self.env.cr.execute(
            SQL(
                """
                SELECT min(xact_start) AT TIME ZONE 'UTC' FROM pg_stat_activity
                WHERE datname = current_database() AND usename = current_user
                  AND pid != pg_backend_pid() AND xact_start IS NOT NULL
                """
            )
        )
        oldest = self.env.cr.fetchone()[0]
        settled = now - timedelta(seconds=settle)
        if oldest:
            settled = min(settled, max(oldest, now - API_HOLD_BACK_MAX))
        return settled

    @api.model
    def _b2b_api_list(self, params):
        """``GET /b2b/v1/orders``: the caller's requests and orders changed in a
        period, oldest change first; ``(200, {orders, next_cursor, has_more})``.

        Paged by keyset on (write_date, id): the cursor is the position of the
        last order returned, so an order that changes while a client pages
        moves after the cursor and comes again, and none is skipped. Orders
        changed too recently are held back (:meth:`_b2b_api_settled_before`).
        """
        errors = []
        after = _api_parse_datetime(
            params.get("updated_after"), "updated_after", errors
        )
        before = _api_parse_datetime(
            params.get("updated_before"), "updated_before", errors
        )
        state = params.get("state")
        if state is not None and state not in api_schema.B2B_STATES:
            errors.append(
                {
                    "path": "state",
                    "message": _(
                        "Use one of: %(states)s.",
                        states=", ".join(api_schema.B2B_STATES),
                    ),
                }
            )
        limit = api_schema.LIST_DEFAULT_LIMIT
        if params.get("limit") is not None:
            try:
                limit = int(params["limit"])
            except ValueError:
                limit = 0
            if not 1 <= limit <= api_schema.LIST_MAX_LIMIT:
                errors.append(
                    {
                        "path": "limit",
                        "message": _(
                            "Use a whole number from 1 to %(max)s.",
                            max=api_schema.LIST_MAX_LIMIT,
                        ),
                    }
                )
        cursor = None
        if params.get("cursor") is not None:
            cursor = _api_decode_cursor(params["cursor"])
            if cursor is None:
                errors.append(
                    {
                        "path": "cursor",
                        "message": _("This cursor is not one the API gave."),
                    }
                )
        if errors:
            raise B2bInputError(errors)

        domain = self._b2b_api_domain()
        if state:
            domain.append(("b2b_state", "=", state))
        query = self._search(domain, limit=limit + 1, order="write_date, id")
        write_date = self._field_to_sql(query.table, "write_date", query)
        record_id = SQL.identifier(query.table, "id")
        query.add_where(SQL("%s < %s", write_date, self._b2b_api_settled_before()))
        if after:
            query.add_where(SQL("%s >= %s", write_date, after))
        if before:
            query.add_where(SQL("%s < %s", write_date, before))
        if cursor:
            query.add_where(
                SQL("(%s, %s) > (%s, %s)", write_date, record_id, cursor[0], cursor[1])
            )
        rows = self.env.execute_query(query.select(record_id, write_date))
        has_more = len(rows) > limit
        rows = rows[:limit]
        orders = self.browse([row[0] for row in rows])
        next_cursor = (
            _api_encode_cursor(rows[-1][1], rows[-1][0])
            if rows
            else params.get("cursor")
        )
        return 200, {
            "orders": [order._b2b_api_values() for order in orders.sudo()],
            "next_cursor": next_cursor or None,
            "has_more": has_more,
        }


# Seconds a change waits before GET /b2b/v1/orders lists it (see _b2b_api_list).
API_SETTLE_SECONDS = 10
API_SETTLE_PARAM = "b2b_dropship.api_settle_seconds"
# The longest a transaction still running holds back GET /b2b/v1/orders.
API_HOLD_BACK_MAX = timedelta(hours=1)


def _api_datetime(value):
    """A naive UTC datetime as RFC 3339 text, microseconds kept."""
    return value.isoformat() + "Z" if value else None


def _api_parse_datetime(value, name, errors):
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if "\x00" not in value else None
        if parsed is not None and parsed.tzinfo:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        errors.append(
            {
                "path": name,
                "message": _(
                    "Give a date and time such as 2025-06-30T08:00:00Z (RFC 3339)."
                ),
            }
        )
    return parsed


def _api_encode_cursor(write_date, record_id):
    text = f"{write_date.isoformat()}|{record_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _api_decode_cursor(cursor):
    """(write_date, id) of a cursor made by _api_encode_cursor, else None."""
    if not isinstance(cursor, str) or len(cursor) > 512:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        write_date, record_id = text.split("|")
        position = datetime.fromisoformat(write_date), int(record_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    # only what _api_encode_cursor writes (naive UTC, no time zone, no sign
    # or spaces in the id): anything else is forged and may not reach the query
    if position[0].tzinfo or _api_encode_cursor(*position) != cursor:
        return None
    return position
