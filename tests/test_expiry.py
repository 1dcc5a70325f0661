from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import B2bCommon

NOW = datetime(2026, 3, 4, 9, 0)


@tagged("post_install", "-at_install")
class TestExpiry(B2bCommon):
    def test_cron_expires_exactly_the_overdue_requests(self):
        with freeze_time(NOW):
            overdue = self._create_request(
                ref="OVERDUE", b2b_answer_deadline=NOW - timedelta(seconds=1)
            )
            overdue_2 = self._create_request(
                ref="OVERDUE-2", b2b_answer_deadline=NOW - timedelta(days=3)
            )
            on_time = self._create_request(
                ref="ON-TIME", b2b_answer_deadline=NOW + timedelta(seconds=1)
            )
            answered = self._create_request(
                ref="ANSWERED", b2b_answer_deadline=NOW - timedelta(hours=1)
            )
            answered.b2b_state = "answered"
            expired_count = self.env["sale.order"]._cron_expire_requests(batch_size=1)
        self.assertEqual(expired_count, 2)
        self.assertEqual(
            (overdue | overdue_2).mapped("b2b_state"), ["expired", "expired"]
        )
        self.assertEqual(on_time.b2b_state, "request")
        self.assertEqual(answered.b2b_state, "answered")
        # The supplier (followers of the connection) hears of it.
        bodies = " ".join(
            str(body) for body in self.connection.message_ids.mapped("body")
        )
        self.assertIn("expired without an answer", bodies)
        self.assertIn("OVERDUE,", bodies.replace("</p>", ","))
        self.assertIn("OVERDUE-2", bodies)
        self.assertNotIn("ON-TIME", bodies)

    def test_cron_is_a_scheduled_action(self):
        cron = self.env.ref("b2b_dropship.cron_expire_requests")
        self.assertEqual(cron.code.strip(), "model._cron_expire_requests()")
        self.assertEqual(cron.model_id.model, "sale.order")
        with freeze_time(NOW):
            overdue = self._create_request(
                b2b_answer_deadline=NOW - timedelta(minutes=1)
            )
            cron.method_direct_trigger()
        self.assertEqual(overdue.b2b_state, "expired")

    def test_open_requests_and_orders_are_indexed_by_state_and_deadline(self):
        # The expiry and late-shipment crons must not scan closed requests.
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sale_order'"
        )
        indexes = dict(self.env.cr.fetchall())
        for column in ("b2b_answer_deadline", "b2b_ship_deadline"):
            self.assertIn(
                f"(b2b_state, {column})", indexes[f"sale_order_b2b_state_{column}_idx"]
            )
