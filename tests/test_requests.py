from datetime import date, datetime, timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import B2bCommon

NOW = datetime(2026, 3, 4, 9, 0)  # a Wednesday, 10:00 in Paris


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestRequests(B2bCommon):
    def test_request_gets_answer_deadline_at_creation(self):
        request = self._create_request()
        self.assertRecordValues(
            request,
            [
                {
                    "b2b_state": "request",
                    "state": "draft",
                    "partner_id": self.retailer.id,
                    "b2b_answer_deadline": NOW + timedelta(hours=24),
                    "b2b_ship_deadline": False,
                }
            ],
        )
        self.assertEqual(request.b2b_remaining_time, "24 h 0 min left")
        self.assertEqual(request.b2b_deadline_status, "ok")

    def test_request_deadline_follows_working_calendar(self):
        calendar = self.env["resource.calendar"].create(
            {
                "name": "Mon-Fri 9-18",
                "tz": "Europe/Paris",
                "attendance_ids": [
                    fields.Command.create(
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 9,
                            "hour_to": 18,
                        }
                    )
                    for day in range(5)
                ],
            }
        )
        self.connection.write(
            {"resource_calendar_id": calendar.id, "answer_delay_hours": 4}
        )
        # Friday 17:00 in Paris (16:00 UTC) + 4 working hours = Monday 12:00 Paris.
        with freeze_time(datetime(2026, 3, 6, 16, 0)):
            request = self._create_request()
        self.assertEqual(request.b2b_answer_deadline, datetime(2026, 3, 9, 11, 0))

    def test_request_refused_when_connection_not_connected(self):
        self.connection.state = "suspended"
        with self.assertRaisesRegex(UserError, "cannot send requests"):
            self._create_request()

    def test_instant_order_requires_instant_ordering(self):
        with self.assertRaisesRegex(UserError, "does not allow instant ordering"):
            self._create_request(b2b_state="order")
        self.connection.instant_ordering = True
        order = self._create_request(b2b_state="order")
        self.assertEqual(order.b2b_ship_deadline, NOW + timedelta(hours=48))

    def test_retailer_reference_unique_per_connection(self):
        self._create_request(ref="SAME")
        with (
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self._create_request(ref="SAME")

    def test_request_does_not_count_as_sale(self):
        request = self._create_request()
        self.assertIn(request.state, ("draft", "sent"))
        self.assertFalse(request.picking_ids)

    def test_answer_sets_state_and_notifies_retailer(self):
        request = self._create_request()
        self._answer(
            request,
            {
                self.product_a: {"b2b_qty_available": 5, "price_unit": 38.0},
                self.product_b: {"b2b_qty_available": 0},
            },
            b2b_answer_message="Tables are sold out.",
        )
        self.assertRecordValues(
            request, [{"b2b_state": "answered", "b2b_answered_at": NOW}]
        )
        mails = self._messages_to(request, self.retailer)
        self.assertTrue(mails, "the retailer must be notified of the answer")
        self.assertIn("answered your request REQ-1", mails[0].subject)
        self.assertIn("Tables are sold out.", str(mails[0].body))

    def test_answer_zero_available_is_valid(self):
        request = self._create_request()
        self._answer(request, {})
        self.assertEqual(request.b2b_state, "answered")

    def test_answer_refused_negative_quantity(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            self._answer(request, {self.product_a: {"b2b_qty_available": -1}})
        self.assertEqual(request.b2b_state, "request")

    def test_answer_refused_when_more_than_requested(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "exceeds the 5.0 requested"):
            self._answer(
                request,
                {
                    self.product_a: {
                        "b2b_qty_available": 4,
                        "b2b_backorder": True,
                        "b2b_backorder_qty": 2,
                        "b2b_backorder_date": date(2026, 3, 20),
                    }
                },
            )

    def test_answer_refused_backorder_without_date(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "date the back-order"):
            self._answer(
                request,
                {self.product_a: {"b2b_backorder": True, "b2b_backorder_qty": 5}},
            )

    def test_answer_refused_after_deadline_until_reopened(self):
        request = self._create_request()
        with freeze_time(NOW + timedelta(hours=25)):
            with self.assertRaisesRegex(UserError, "deadline of .* has passed"):
                self._answer(request, {self.product_a: {"b2b_qty_available": 5}})
            self.env["sale.order"]._cron_expire_requests()
            self.assertEqual(request.b2b_state, "expired")
            self.assertEqual(request.b2b_remaining_time, "expired 1 h 0 min ago")
            with self.assertRaisesRegex(UserError, "cannot be answered: it is Expired"):
                self._answer(request, {self.product_a: {"b2b_qty_available": 5}})
            with self.assertRaisesRegex(UserError, "Only the retailer"):
                request.with_user(self.b2b_user).action_b2b_reopen()
            request.with_user(self.portal_user).sudo().action_b2b_reopen()
            self.assertRecordValues(
                request,
                [
                    {
                        "b2b_state": "request",
                        "b2b_answer_deadline": NOW + timedelta(hours=49),
                    }
                ],
            )
            self._answer(request, {self.product_a: {"b2b_qty_available": 5}})
        self.assertEqual(request.b2b_state, "answered")

    def test_reopen_only_expired(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "cannot be re-opened"):
            request.with_user(self.portal_user).sudo().action_b2b_reopen()

    def test_decline_requires_reason_and_notifies(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "reason"):
            request.action_b2b_decline("  ")
        request.with_user(self.b2b_user).action_b2b_decline("Discontinued range")
        self.assertRecordValues(
            request,
            [{"b2b_state": "declined", "b2b_decline_reason": "Discontinued range"}],
        )
        mails = self._messages_to(request, self.retailer)
        self.assertIn("declined your request", mails[0].subject)
        self.assertIn("Discontinued range", str(mails[0].body))
        with self.assertRaisesRegex(UserError, "cannot be declined"):
            request.action_b2b_decline("again")

    def test_convert_answered_request_into_order(self):
        request = self._create_request()
        self._answer(
            request,
            {
                self.product_a: {
                    "b2b_qty_available": 3,
                    "price_unit": 38.0,
                    "b2b_backorder": True,
                    "b2b_backorder_qty": 2,
                    "b2b_backorder_date": date(2026, 3, 20),
                },
                self.product_b: {"b2b_qty_available": 0},
            },
            b2b_has_shipping_fee=True,
            b2b_shipping_fee=12.5,
        )
        request.with_user(self.portal_user).sudo().action_b2b_convert()
        self.assertRecordValues(
            request,
            [
                {
                    "b2b_state": "order",
                    "state": "sale",
                    "b2b_ship_deadline": NOW + timedelta(hours=48),
                }
            ],
        )
        lines = request.order_line.sorted(
            lambda line: (line.is_delivery, line.b2b_backorder)
        )
        self.assertRecordValues(
            lines,
            [
                {
                    "product_id": self.product_a.id,
                    "product_uom_qty": 3,
                    "price_unit": 38.0,
                    "b2b_backorder": False,
                    "b2b_backorder_date": False,
                    "is_delivery": False,
                },
                {
                    "product_id": self.product_a.id,
                    "product_uom_qty": 2,
                    "price_unit": 38.0,
                    "b2b_backorder": True,
                    "b2b_backorder_date": date(2026, 3, 20),
                    "is_delivery": False,
                },
                {
                    "product_id": self.env.ref(
                        "b2b_dropship.product_b2b_shipping_fee"
                    ).id,
                    "product_uom_qty": 1,
                    "price_unit": 12.5,
                    "b2b_backorder": False,
                    "b2b_backorder_date": False,
                    "is_delivery": True,
                },
            ],
        )
        self.assertTrue(
            request.picking_ids, "a confirmed order reserves stock through a picking"
        )
        backorder_move = request.picking_ids.move_ids.filtered(
            lambda move: move.sale_line_id.b2b_backorder
        )
        self.assertEqual(backorder_move.date.date(), date(2026, 3, 20))

    def test_backorder_keeps_its_date_when_the_request_is_converted_days_later(self):
        request = self._create_request()
        self._answer_with_backorder(request)
        with freeze_time(NOW + timedelta(days=5)):
            request.with_user(self.portal_user).sudo().action_b2b_convert()
        backorder_move = request.picking_ids.move_ids.filtered(
            lambda move: move.sale_line_id.b2b_backorder
        )
        self.assertEqual(backorder_move.date.date(), date(2026, 3, 20))

    def test_convert_refused_unless_answered(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "cannot be turned into an order"):
            request.action_b2b_convert()

    def test_convert_refused_when_nothing_available(self):
        request = self._create_request()
        self._answer(request, {})
        with self.assertRaisesRegex(UserError, "nothing to order"):
            request.action_b2b_convert()

    def test_cancel_requires_reason_and_always_notifies(self):
        request = self._create_request()
        with self.assertRaisesRegex(UserError, "reason"):
            request.action_b2b_cancel("")
        request.with_user(self.b2b_user).action_b2b_cancel(
            "Customer changed their mind"
        )
        self.assertRecordValues(
            request,
            [
                {
                    "b2b_state": "cancelled",
                    "state": "cancel",
                    "b2b_cancel_reason": "Customer changed their mind",
                }
            ],
        )
        mails = self._messages_to(request, self.retailer)
        self.assertIn("has been cancelled", mails[0].subject)
        with self.assertRaisesRegex(UserError, "cannot be cancelled"):
            request.action_b2b_cancel("twice")

    def test_cancel_order_cancels_pickings(self):
        request = self._create_request()
        self._answer(request, {self.product_a: {"b2b_qty_available": 5}})
        request.action_b2b_convert()
        picking = request.picking_ids
        request.action_b2b_cancel("Out of budget")
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(request.b2b_state, "cancelled")

    def test_retailer_cancel_tells_supplier(self):
        request = self._create_request(user_id=self.b2b_user.id)
        request.with_user(self.portal_user).sudo().action_b2b_cancel("Found elsewhere")
        notes = request.message_ids.filtered(
            lambda m: self.b2b_user.partner_id in m.partner_ids
        )
        self.assertTrue(any("Found elsewhere" in str(m.body) for m in notes))

    def test_remaining_time_and_urgency_filters(self):
        soon = self._create_request(
            ref="SOON", b2b_answer_deadline=NOW + timedelta(minutes=59)
        )
        later = self._create_request(
            ref="LATER", b2b_answer_deadline=NOW + timedelta(minutes=61)
        )
        self.assertEqual(soon.b2b_remaining_time, "59 min left")
        self.assertEqual(soon.b2b_deadline_status, "soon")
        self.assertEqual(later.b2b_remaining_time, "1 h 1 min left")
        SaleOrder = self.env["sale.order"]
        found_soon = SaleOrder.search([("b2b_urgency", "=", "answer_soon")])
        found_later = SaleOrder.search([("b2b_urgency", "=", "answer_later")])
        self.assertIn(soon, found_soon)
        self.assertNotIn(later, found_soon)
        self.assertIn(later, found_later)
        self.assertNotIn(soon, found_later)
        self.assertEqual(soon.b2b_urgency, "answer_soon")
        self.assertEqual(later.b2b_urgency, "answer_later")

    def test_retailer_sku_finds_product(self):
        self.assertEqual(
            self.connection._find_product(retailer_sku="R1-CHAIR"), self.product_a
        )
        self.assertEqual(self.connection._find_product(sku="TABLE-01"), self.product_b)
        self.assertFalse(self.connection._find_product(retailer_sku="UNKNOWN"))

    def test_picking_list_report_renders(self):
        request = self._create_request(b2b_note="Please pack with care")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("b2b_dropship.action_report_picking_list", request.ids)[
                0
            ]
            .decode()
        )
        self.assertIn("Garden Chair", html)
        self.assertIn("Please pack with care", html)
        self.assertIn("WH/Stock", html)

    def test_picking_list_shows_the_stock_of_the_orders_company_only(self):
        other_company = self.env["res.company"].create({"name": "Sister Company"})
        other_stock = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", other_company.id)], limit=1)
            .lot_stock_id
        )
        self.env["stock.quant"].with_company(other_company)._update_available_quantity(
            self.product_a, other_stock, 7
        )
        request = self._create_request()
        # a user working in both companies at once
        stock = request.with_context(
            allowed_company_ids=[self.env.company.id, other_company.id]
        )._b2b_stock_by_product()
        locations = [location for location, _qty in stock[self.product_a.id]]
        self.assertIn(self.stock_location, locations)
        self.assertNotIn(other_stock, locations)
