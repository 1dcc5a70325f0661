from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .shipping_common import B2bShippingCommon

NOW = datetime(2026, 3, 4, 9, 0)  # a Wednesday, 10:00 in Paris


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestShipping(B2bShippingCommon):
    def test_confirmed_order_reserves_its_stock(self):
        order = self._create_order()
        picking = order.picking_ids
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(
            {move.product_id: move.quantity for move in picking.move_ids},
            {self.product_a: 5, self.product_b: 2},
        )

    def test_wizard_defaults_to_what_remains_and_shows_reservation(self):
        scarce = self._create_product("Parasol", "PARASOL-01", 80.0, 1)
        order = self._create_order(lines=[(self.product_a, 5), (scarce, 3)])
        wizard = self._wizard(order)
        self.assertEqual(
            wizard.lang_id.code, "fr_FR", "the connection's language by default"
        )
        self.assertRecordValues(
            wizard.line_ids.sorted(lambda line: line.product_id.id),
            [
                {
                    "product_id": self.product_a.id,
                    "quantity": 5,
                    "remaining_qty": 5,
                    "reserved_qty": 5,
                    "not_reserved_qty": 0,
                },
                {
                    "product_id": scarce.id,
                    "quantity": 3,
                    "remaining_qty": 3,
                    "reserved_qty": 1,
                    "not_reserved_qty": 2,
                },
            ],
        )
        self.assertFalse(wizard.fully_reserved)
        self.assertEqual(wizard.remaining_time, "48 h 0 min left")

    def test_wizard_reserves_stock_received_since_the_order(self):
        scarce = self._create_product("Parasol", "PARASOL-01", 80.0, 0)
        order = self._create_order(lines=[(scarce, 2)])
        self.assertEqual(order.picking_ids.move_ids.quantity, 0)
        self.env["stock.quant"]._update_available_quantity(
            scarce, self.stock_location, 2
        )
        wizard = self._wizard(order)
        self.assertEqual(wizard.line_ids.reserved_qty, 2)
        self.assertTrue(wizard.fully_reserved)

    def test_wizard_form_opens_from_the_order_button(self):
        order = self._create_order()
        action = order.with_user(self.b2b_user).action_b2b_confirm_shipment()
        self.assertEqual(action["res_model"], "b2b.shipment.confirm")
        form = Form(
            self.env["b2b.shipment.confirm"]
            .with_user(self.b2b_user)
            .with_context(**action["context"])
        )
        form.carrier_id = self.carrier_tracked
        form.tracking_ref = "CP100FR"
        with form.line_ids.edit(0) as line:
            line.quantity = line.remaining_qty
        form.save().action_confirm()
        self.assertEqual(order.b2b_state, "shipped")

    def test_full_shipment(self):
        events = self._record_events()
        order = self._create_order()
        picking = order.picking_ids
        self._ship(
            order,
            carrier_id=self.carrier_tracked.id,
            tracking_ref="CP100FR\nCP101FR, CP100FR",
            shipping_service="Express 24 h",
            shipping_cost=12.5,
            message="Bonne réception !",
        )
        self.assertRecordValues(
            picking,
            [
                {
                    "state": "done",
                    "carrier_id": self.carrier_tracked.id,
                    "carrier_tracking_ref": "CP100FR,CP101FR",
                    "carrier_price": 12.5,
                    "b2b_shipping_service": "Express 24 h",
                    "b2b_parcel_count": 2,
                    "b2b_shipment_number": 1,
                    "b2b_slip_lang": "fr_FR",
                    "b2b_recipient_message": "Bonne réception !",
                }
            ],
        )
        self.assertFalse(picking.backorder_ids)
        self.assertRecordValues(
            order, [{"b2b_state": "shipped", "b2b_shipped_at": NOW}]
        )
        self.assertEqual(order.order_line.mapped("qty_delivered"), [5, 2])
        note = order.message_ids.filtered(
            lambda m: "Shipment 1 confirmed" in str(m.body)
        )
        self.assertTrue(note, "the shipment is written in the chatter")
        self.assertIn("CP101FR", str(note.body))
        mail = self._messages_to(order, self.retailer).filtered(
            lambda m: "has shipped" in m.subject
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("https://track.example/parcel?ref=CP100FR", str(mail.body))
        self.assertIn("https://track.example/parcel?ref=CP101FR", str(mail.body))
        self.assertIn("R1-CHAIR", str(mail.body), "the retailer's own SKU")
        shipped = [
            payload for __, kind, payload in events if kind == "shipment.confirmed"
        ]
        self.assertEqual(len(shipped), 1)
        self.assertEqual(shipped[0]["reference"], "ORD-1")
        self.assertTrue(shipped[0]["fully_shipped"])
        self.assertEqual(
            shipped[0]["tracking"],
            [
                {
                    "reference": "CP100FR",
                    "url": "https://track.example/parcel?ref=CP100FR",
                },
                {
                    "reference": "CP101FR",
                    "url": "https://track.example/parcel?ref=CP101FR",
                },
            ],
        )
        self.assertEqual(
            sorted(
                (line["sku"], line["retailer_sku"], line["quantity"])
                for line in shipped[0]["lines"]
            ),
            [("CHAIR-01", "R1-CHAIR", 5), ("TABLE-01", None, 2)],
        )
        self.assertEqual(shipped[0]["backorder"], [])
        self.assertEqual(shipped[0]["shipping_cost"], 12.5)

    def test_partial_shipment_leaves_a_backorder_and_the_rest_ships_later(self):
        events = self._record_events()
        order = self._create_order()
        order.b2b_slip_printed = True
        picking = order.picking_ids
        self._ship(
            order, quantities={self.product_a: 3, self.product_b: 0}, shipping_cost=7.0
        )
        self.assertEqual(picking.state, "done")
        self.assertEqual(
            {move.product_id: move.quantity for move in picking.move_ids},
            {self.product_a: 3},
        )
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        self.assertEqual(
            backorder.state, "assigned", "the back-order keeps its reservation"
        )
        self.assertEqual(
            {move.product_id: move.product_uom_qty for move in backorder.move_ids},
            {self.product_a: 2, self.product_b: 2},
        )
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "order",
                    "b2b_shipped_at": False,
                    "b2b_slip_printed": False,
                }
            ],
        )
        mail = self._messages_to(order, self.retailer).filtered(
            lambda m: "has shipped" in m.subject
        )
        self.assertIn("Part of your order", str(mail.body))
        self.assertIn("Still to ship", str(mail.body))
        self.assertFalse(events[-1][2]["fully_shipped"])
        self.assertEqual(
            sorted(
                (line["sku"], line["quantity"]) for line in events[-1][2]["backorder"]
            ),
            [("CHAIR-01", 2), ("TABLE-01", 2)],
        )

        # The rest ships later: the wizard now offers exactly what remains.
        wizard = self._wizard(order, carrier_id=self.carrier_plain.id)
        self.assertEqual(
            {line.product_id: line.quantity for line in wizard.line_ids},
            {self.product_a: 2, self.product_b: 2},
        )
        wizard.action_confirm()
        self.assertEqual(backorder.state, "done")
        self.assertEqual(backorder.b2b_shipment_number, 2)
        self.assertFalse(backorder.backorder_ids)
        self.assertRecordValues(
            order, [{"b2b_state": "shipped", "b2b_shipped_at": NOW}]
        )
        self.assertEqual(order.order_line.mapped("qty_delivered"), [5, 2])
        self.assertEqual(picking.carrier_price + backorder.carrier_price, 7.0)
        self.assertTrue(events[-1][2]["fully_shipped"])

    def test_refused_without_tracking_reference_when_the_carrier_requires_one(self):
        order = self._create_order()
        with self.assertRaisesRegex(
            UserError, "Parcel Express requires a tracking reference"
        ):
            self._ship(order, carrier_id=self.carrier_tracked.id, tracking_ref=" \n, ")
        self.carrier_plain.b2b_tracking_required = True
        with self.assertRaisesRegex(
            UserError, "Local Courier requires a tracking reference"
        ):
            self._ship(order, carrier_id=self.carrier_plain.id)
        self.assertEqual(order.picking_ids.state, "assigned", "nothing was shipped")
        self.carrier_plain.b2b_tracking_required = False
        self._ship(order, carrier_id=self.carrier_plain.id)
        self.assertEqual(order.b2b_state, "shipped")

    def test_refused_above_what_remains_unless_a_manager_overrides(self):
        order = self._create_order()
        with self.assertRaisesRegex(
            UserError,
            r"Garden Chair.*6.0 shipped is more than the 5.0 Units that remain",
        ):
            self._ship(order, quantities={self.product_a: 6})
        with self.assertRaisesRegex(
            UserError, "Only a B2B manager can ship more than ordered"
        ):
            self._ship(order, quantities={self.product_a: 6}, allow_over_quantity=True)
        self._ship(
            order,
            user=self.b2b_manager,
            quantities={self.product_a: 6},
            allow_over_quantity=True,
        )
        self.assertEqual(order.b2b_state, "shipped")
        self.assertEqual(
            order.order_line.filtered(
                lambda line: line.product_id == self.product_a
            ).qty_delivered,
            6,
        )

    def test_refused_negative_or_empty_quantities(self):
        order = self._create_order()
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            self._ship(order, quantities={self.product_a: -1})
        with self.assertRaisesRegex(UserError, "at least one product"):
            self._ship(order, quantities={self.product_a: 0, self.product_b: 0})
        with self.assertRaisesRegex(UserError, "shipping cost cannot be negative"):
            self._ship(order, shipping_cost=-3)

    def test_refused_for_cancelled_or_shipped_orders(self):
        cancelled = self._create_order(ref="CANCELLED")
        cancelled.action_b2b_cancel("Customer changed their mind")
        with self.assertRaisesRegex(
            UserError, f"{cancelled.name} cannot be shipped: it is Cancelled"
        ):
            self._wizard(cancelled)
        with self.assertRaisesRegex(UserError, "cannot be shipped: it is Cancelled"):
            cancelled.action_b2b_confirm_shipment()
        shipped = self._create_order(ref="SHIPPED")
        wizard = self._wizard(shipped, carrier_id=self.carrier_plain.id)
        self._ship(shipped)
        with self.assertRaisesRegex(UserError, "cannot be shipped: it is Shipped"):
            self._wizard(shipped)
        with self.assertRaisesRegex(UserError, "cannot be shipped: it is Shipped"):
            wizard.action_confirm()

    def test_refused_when_the_delivery_cannot_be_reserved(self):
        scarce = self._create_product("Parasol", "PARASOL-01", 80.0, 1)
        order = self._create_order(lines=[(self.product_a, 5), (scarce, 3)])
        with self.assertRaisesRegex(
            UserError,
            r"cannot be reserved for these quantities:\n"
            r"\[PARASOL-01\] Parasol: 2.0 Units missing \(3.0 to ship, 1.0 reserved\)",
        ):
            self._ship(order)
        self.assertEqual(order.picking_ids.state, "assigned")
        self._ship(order, quantities={scarce: 1})
        self.assertEqual(order.b2b_state, "order")
        self.assertEqual(
            order._b2b_pending_pickings().move_ids.mapped("product_uom_qty"), [2.0]
        )

    def test_validation_in_inventory_also_ships_the_order(self):
        events = self._record_events()
        order = self._create_order()
        order.picking_ids.with_context(skip_sms=True).button_validate()
        self.assertRecordValues(
            order, [{"b2b_state": "shipped", "b2b_shipped_at": NOW}]
        )
        self.assertEqual(order.picking_ids.b2b_shipment_number, 1)
        self.assertEqual([kind for __, kind, __ in events], ["shipment.confirmed"])

    def test_validation_in_inventory_without_backorder_tells_what_will_not_ship(self):
        events = self._record_events()
        order = self._create_order()
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = 3 if move.product_id == self.product_a else 0
        wizard = picking.with_context(skip_sms=True).button_validate()
        self.assertEqual(wizard["res_model"], "stock.backorder.confirmation")
        Form(
            self.env["stock.backorder.confirmation"].with_context(**wizard["context"])
        ).save().process_cancel_backorder()
        self.assertEqual(order.b2b_state, "shipped")
        [payload] = [data for __, kind, data in events if kind == "shipment.confirmed"]
        self.assertEqual(
            [(line["sku"], line["quantity"]) for line in payload["lines"]],
            [("CHAIR-01", 3)],
        )
        self.assertEqual(payload["backorder"], [])
        self.assertEqual(
            sorted((line["sku"], line["quantity"]) for line in payload["cancelled"]),
            [("CHAIR-01", 2), ("TABLE-01", 2)],
        )
        # no longer ordered, nor invoiced; the retailer's e-mail says so
        self.assertEqual(order.order_line.mapped("product_uom_qty"), [3, 0])
        mail = self._messages_to(order, self.retailer).filtered(
            lambda m: "has shipped" in m.subject
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("Will not ship", str(mail.body))
        self.assertIn(
            "Not shipped and cancelled", str(order.message_ids.mapped("body"))
        )

    def test_retailer_customer_gets_no_delivery_mail_from_the_supplier(self):
        """Inventory's delivery confirmation e-mail goes to the delivery's
        contact: for a B2B order the retailer's customer, who gets the
        retailer-branded slip and hears of the parcel from the retailer only.
        Other deliveries keep it."""
        self.env.company.stock_move_email_validation = True
        self.ship_to.email = "marie@home.example"
        order = self._create_order()
        self._ship(order, carrier_id=self.carrier_tracked.id, tracking_ref="CP1")
        picking = order.picking_ids
        self.assertEqual(picking.state, "done")
        self.assertFalse(
            picking.message_ids.filtered(lambda m: self.ship_to in m.partner_ids)
        )
        validated_in_inventory = self._create_order(ref="ORD-2")
        validated_in_inventory.picking_ids.with_context(skip_sms=True).button_validate()
        self.assertFalse(
            validated_in_inventory.picking_ids.message_ids.filtered(
                lambda m: self.ship_to in m.partner_ids
            )
        )
        customer = self.env["res.partner"].create(
            {"name": "Walk-in Customer", "email": "walk-in@example.com"}
        )
        sale = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_a.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        sale.action_confirm()
        sale.picking_ids.with_context(skip_sms=True).button_validate()
        self.assertEqual(sale.picking_ids.state, "done")
        self.assertTrue(
            sale.picking_ids.message_ids.filtered(lambda m: customer in m.partner_ids)
        )

    def test_cancel_partly_shipped_order_cancels_only_the_rest(self):
        events = self._record_events()
        order = self._create_order()
        picking = order.picking_ids
        self._ship(order, quantities={self.product_a: 3, self.product_b: 0})
        backorder = picking.backorder_ids
        with self.assertRaisesRegex(UserError, "reason"):
            order.action_b2b_cancel(" ")
        order.with_user(self.b2b_user).action_b2b_cancel(
            "The customer no longer wants the rest"
        )
        self.assertEqual(picking.state, "done")
        self.assertEqual(backorder.state, "cancel")
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "cancelled",
                    "state": "sale",
                    "b2b_cancel_reason": "The customer no longer wants the rest",
                }
            ],
        )
        mail = self._messages_to(order, self.retailer).filtered(
            lambda m: "has been cancelled" in (m.subject or "")
        )
        self.assertEqual(len(mail), 1)
        cancelled = [
            payload for __, kind, payload in events if kind == "order.cancelled"
        ]
        self.assertEqual(len(cancelled), 1)
        self.assertEqual(
            cancelled[0]["reason"], "The customer no longer wants the rest"
        )
        self.assertEqual(
            [(line["sku"], line["quantity"]) for line in cancelled[0]["shipped"]],
            [("CHAIR-01", 3)],
        )
        # only what was shipped stays ordered, and is invoiced
        self.assertEqual(
            [
                (line.product_id, line.product_uom_qty, line.qty_to_invoice)
                for line in order.order_line
            ],
            [(self.product_a, 3, 3), (self.product_b, 0, 0)],
        )

    def test_cancel_partly_shipped_locked_order(self):
        order = self._create_order()
        self._ship(order, quantities={self.product_a: 3, self.product_b: 0})
        order.action_lock()
        order.with_user(self.b2b_user).action_b2b_cancel("Out of stock for good")
        self.assertTrue(order.locked)
        self.assertEqual(order.order_line.mapped("product_uom_qty"), [3, 0])

    def test_cancel_unshipped_order_cancels_the_sale(self):
        events = self._record_events()
        order = self._create_order()
        order.action_b2b_cancel("Out of budget")
        self.assertEqual(order.picking_ids.state, "cancel")
        self.assertRecordValues(order, [{"b2b_state": "cancelled", "state": "cancel"}])
        self.assertEqual([kind for __, kind, __ in events], ["order.cancelled"])

    def test_cancel_refused_when_everything_shipped(self):
        order = self._create_order()
        self._ship(order)
        with self.assertRaisesRegex(UserError, "cannot be cancelled: it is Shipped"):
            order.action_b2b_cancel("Too late")
        self.assertEqual(order.picking_ids.state, "done")

    def test_cancelling_a_request_emits_no_order_event(self):
        events = self._record_events()
        request = self._create_request(ref="REQ-9")
        request.action_b2b_cancel("Not needed")
        self.assertEqual(events, [])


@tagged("post_install", "-at_install")
class TestLateShipments(B2bShippingCommon):
    def _backorder_order(self, ref, available):
        """An answered request turned into an order: ``available`` chairs now,
        2 back-ordered for 14 March."""
        request = self._create_request(
            ref=ref,
            lines=[(self.product_a, available + 2)],
            partner_shipping_id=self.ship_to.id,
        )
        self._answer_with_backorder(request, available, date(2026, 3, 14))
        request.action_b2b_convert()
        return request

    def test_back_orders_are_due_from_their_promised_date(self):
        # midnight of 14 March in Paris, then the connection's 48 h
        due = datetime(2026, 3, 15, 23, 0)
        with freeze_time(NOW):
            only_later = self._backorder_order("BO-ONLY", available=0)
            self.assertEqual(only_later.b2b_ship_deadline, due)
            partly_now = self._backorder_order("BO-PART", available=3)
            self.assertEqual(partly_now.b2b_ship_deadline, NOW + timedelta(hours=48))
            self._ship(partly_now, quantities={self.product_a: 3})
            self.assertEqual(partly_now.b2b_state, "order")
            self.assertEqual(partly_now.b2b_ship_deadline, due)
        # a week on, neither is late
        with freeze_time(NOW + timedelta(days=7)):
            self.env["sale.order"]._cron_late_shipments()
        self.assertEqual(
            (only_later | partly_now).mapped("b2b_late_notified"), [False, False]
        )

    def test_cron_tells_the_supplier_once_per_late_order(self):
        self.company.b2b_late_shipment_emails = "logistics@supplier.example"
        with freeze_time(NOW):
            late = self._create_order(ref="LATE")
            on_time = self._create_order(ref="ON-TIME")
            shipped = self._create_order(ref="SHIPPED")
            self._ship(shipped)
        self.assertEqual(late.b2b_ship_deadline, NOW + timedelta(hours=48))
        on_time.b2b_ship_deadline = NOW + timedelta(days=5)
        shipped_activities = shipped.activity_ids
        with freeze_time(NOW + timedelta(hours=49)):
            self.assertEqual(late.b2b_remaining_time, "late by 1 h 0 min")
            self.env["sale.order"]._cron_late_shipments()
            self.assertTrue(late.b2b_late_notified)
            self.assertFalse(on_time.b2b_late_notified)
            self.assertFalse(shipped.b2b_late_notified)
            self.assertEqual(shipped.activity_ids, shipped_activities)
            activity = late.activity_ids
            self.assertEqual(len(activity), 1)
            self.assertRecordValues(
                activity,
                [
                    {
                        "user_id": self.b2b_user.id,
                        "activity_type_id": self.env.ref(
                            "mail.mail_activity_data_warning"
                        ).id,
                        "summary": "Shipping is late",
                    }
                ],
            )
            mails = self.env["mail.mail"].search(
                [("subject", "ilike", "Late shipment: LATE")]
            )
            self.assertEqual(len(mails), 1)
            self.assertEqual(mails.email_to, "logistics@supplier.example")
            self.assertFalse(
                self._messages_to(late, self.retailer).filtered(
                    lambda m: "Late" in (m.subject or "")
                ),
                "the retailer is not told",
            )
            # Once per order: the next runs leave it alone.
            self.env["sale.order"]._cron_late_shipments()
            self.assertEqual(len(late.activity_ids), 1)
            self.assertEqual(
                self.env["mail.mail"].search_count(
                    [("subject", "ilike", "Late shipment: LATE")]
                ),
                1,
            )
        with freeze_time(NOW + timedelta(days=6)):
            self.env["sale.order"]._cron_late_shipments()
            self.assertTrue(on_time.b2b_late_notified)
            self.assertEqual(len(late.activity_ids), 1)

    def test_no_email_unless_configured(self):
        self.company.b2b_late_shipment_emails = False
        with freeze_time(NOW):
            late = self._create_order(ref="LATE")
        with freeze_time(NOW + timedelta(hours=49)):
            self.env["sale.order"]._cron_late_shipments()
        self.assertEqual(len(late.activity_ids), 1)
        self.assertFalse(
            self.env["mail.mail"].search([("subject", "ilike", "Late shipment: LATE")])
        )

    def test_late_shipment_emails_are_a_company_setting(self):
        settings = self.env["res.config.settings"].create(
            {"b2b_late_shipment_emails": "logistics@supplier.example"}
        )
        settings.execute()
        self.assertEqual(
            self.company.b2b_late_shipment_emails, "logistics@supplier.example"
        )

    def test_cron_is_a_scheduled_action(self):
        cron = self.env.ref("b2b_dropship.cron_late_shipments")
        self.assertEqual(cron.code.strip(), "model._cron_late_shipments()")
        self.assertEqual(cron.model_id.model, "sale.order")
        self.assertTrue(self.env["sale.order"]._fields["b2b_late_notified"].index)
