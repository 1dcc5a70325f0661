from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import B2bCommon


@tagged("post_install", "-at_install")
class TestMonthlySummary(B2bCommon, MockEmail):
    """On the first day of the month each connected retailer gets one e-mail
    about the month that ended (in its time zone)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.write({"notify_emails": "reports@retailer-one.example"})
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Parcel Express",
                "product_id": cls.env["product.product"]
                .create({"name": "Parcel Express delivery", "type": "service"})
                .id,
                "delivery_type": "fixed",
            }
        )
        cls.suspended_retailer = cls.env["res.partner"].create(
            {"name": "Paused Shop", "is_company": True, "email": "paused@shop.example"}
        )
        cls.env["b2b.connection"].create(
            {
                "name": "Paused Shop",
                "code": "paused-shop",
                "partner_id": cls.suspended_retailer.id,
                "state": "suspended",
            }
        )

    def _order(self, ref, ordered_at):
        """A request answered and turned into an order at ``ordered_at`` (UTC)."""
        with freeze_time(ordered_at):
            order = self._create_request(ref, lines=[(self.product_a, 1)])
            self._answer(order, {self.product_a: {"b2b_qty_available": 1}})
            order.action_b2b_convert()
        return order

    def _ship(self, order, shipped_at):
        with freeze_time(shipped_at):
            self.env["b2b.shipment.confirm"].with_user(self.b2b_user).with_context(
                active_model="sale.order", active_id=order.id
            ).create({"carrier_id": self.carrier.id}).action_confirm()
        self.assertEqual(order.b2b_state, "shipped")

    def test_summary_of_last_month_with_orders_shipments_cancellations_and_delays(self):
        on_time = self._order("MAY-ON-TIME", datetime(2026, 5, 5, 9))
        self._ship(on_time, datetime(2026, 5, 6, 9))
        late = self._order("MAY-LATE", datetime(2026, 5, 10, 9))
        self._ship(late, datetime(2026, 5, 20, 9))
        cancelled = self._order("MAY-CANCELLED", datetime(2026, 5, 12, 9))
        with freeze_time(datetime(2026, 5, 13, 9)):
            cancelled.action_b2b_cancel("Customer moved away")
        still_late = self._order("MAY-STILL-LATE", datetime(2026, 5, 25, 9))
        april = self._order("APRIL-ORDER", datetime(2026, 4, 20, 9))
        self._ship(april, datetime(2026, 4, 21, 9))
        # 23:30 UTC on May 31 is already June 1 in Paris.
        june = self._order("JUNE-IN-PARIS", datetime(2026, 5, 31, 23, 30))

        with freeze_time(datetime(2026, 6, 1, 12)):
            summary = self.connection._b2b_monthly_summary()
            self.assertEqual(summary["month"], date(2026, 5, 1))
            self.assertEqual(summary["orders"], on_time + late + cancelled + still_late)
            self.assertEqual(summary["shipped"], on_time + late)
            self.assertEqual(summary["cancelled"], cancelled)
            self.assertEqual(summary["late"], late + still_late)
            self.assertNotIn(june, summary["orders"])
            self.assertNotIn(april, summary["shipped"])

            with self.mock_mail_gateway():
                self.env.ref(
                    "b2b_dropship.cron_monthly_summary"
                ).method_direct_trigger()

        mails = self._new_mails.filtered(lambda mail: "monthly summary" in mail.subject)
        self.assertEqual(len(mails), 1, "one e-mail, to the connected retailer only")
        recipients = mails.recipient_ids.mapped("email") + [mails.email_to or ""]
        self.assertIn("reports@retailer-one.example", " ".join(recipients))
        self.assertIn(self.retailer.email, recipients)
        body = mails.body_html
        self.assertIn("May 2026", body)
        for ref in ("MAY-ON-TIME", "MAY-LATE", "MAY-CANCELLED", "MAY-STILL-LATE"):
            self.assertIn(ref, body)
        self.assertNotIn("APRIL-ORDER", body)
        self.assertNotIn("JUNE-IN-PARIS", body)
        self.assertIn("Customer moved away", body)
        self.assertIn("not shipped yet", body)
        self.assertEqual(self.connection.summary_sent_for, date(2026, 5, 1))

    def test_summary_is_sent_once_per_month(self):
        with freeze_time(datetime(2026, 6, 1, 12)), self.mock_mail_gateway():
            self.env["b2b.connection"]._cron_monthly_summary()
            self.env["b2b.connection"]._cron_monthly_summary()
        self.assertEqual(
            len(
                self._new_mails.filtered(lambda mail: "monthly summary" in mail.subject)
            ),
            1,
        )
        with freeze_time(datetime(2026, 7, 1, 12)), self.mock_mail_gateway():
            self.env["b2b.connection"]._cron_monthly_summary()
        self.assertEqual(
            len(
                self._new_mails.filtered(lambda mail: "monthly summary" in mail.subject)
            ),
            1,
        )
        self.assertEqual(self.connection.summary_sent_for, date(2026, 6, 1))

    def test_an_empty_month_still_gets_its_summary(self):
        with freeze_time(datetime(2026, 3, 1, 12)), self.mock_mail_gateway():
            self.env["b2b.connection"]._cron_monthly_summary()
        mails = self._new_mails.filtered(lambda mail: "monthly summary" in mail.subject)
        self.assertEqual(len(mails), 1)
        self.assertIn("February 2026", mails.body_html)
        self.assertIn("0 order(s) placed", " ".join(mails.body_html.split()))

    def test_cron_runs_monthly_from_the_first_of_next_month(self):
        cron = self.env.ref("b2b_dropship.cron_monthly_summary")
        self.assertRecordValues(
            cron, [{"interval_number": 1, "interval_type": "months"}]
        )
        self.assertEqual(cron.nextcall.day, 1)
        self.assertEqual(cron.code.strip(), "model._cron_monthly_summary()")
