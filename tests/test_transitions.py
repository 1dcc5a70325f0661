from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import B2bCommon

NOW = datetime(2026, 3, 4, 9, 0)

# Which transition each b2b_state allows; every other pair must be refused.
ALLOWED = {
    "answer": {"request"},
    "decline": {"request", "answered"},
    "convert": {"answered"},
    "reopen": {"expired"},
    "cancel": {"request", "answered", "expired", "order"},
}
STATES = ["request", "answered", "expired", "declined", "order", "shipped", "cancelled"]


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestTransitions(B2bCommon):
    def _record_in_state(self, state):
        record = self._create_request(ref=f"T-{state}")
        record.order_line.b2b_qty_available = 1
        if state == "order":
            record.b2b_state = "answered"
            record.action_b2b_convert()
        elif state != "request":
            record.b2b_state = state
        return record

    def _call(self, record, transition):
        if transition == "answer":
            return record.with_user(self.b2b_user).action_b2b_answer()
        if transition == "decline":
            return record.with_user(self.b2b_user).action_b2b_decline("No stock")
        if transition == "convert":
            return record.with_user(self.portal_user).sudo().action_b2b_convert()
        if transition == "reopen":
            return record.with_user(self.portal_user).sudo().action_b2b_reopen()
        return record.with_user(self.b2b_user).action_b2b_cancel("Changed plans")

    def test_every_transition_from_every_state(self):
        expected_state = {
            "answer": "answered",
            "decline": "declined",
            "convert": "order",
            "reopen": "request",
            "cancel": "cancelled",
        }
        for transition, allowed in ALLOWED.items():
            for state in STATES:
                with (
                    self.subTest(transition=transition, state=state),
                    self.cr.savepoint() as sp,
                ):
                    record = self._record_in_state(state)
                    if state in allowed:
                        messages_before = len(record.message_ids)
                        self._call(record, transition)
                        self.assertEqual(record.b2b_state, expected_state[transition])
                        self.assertGreater(
                            len(record.message_ids),
                            messages_before,
                            "the chatter tells",
                        )
                    else:
                        with self.assertRaisesRegex(UserError, "cannot be"):
                            self._call(record, transition)
                        self.assertEqual(record.b2b_state, state)
                    sp.rollback()

    def test_transitions_refused_on_plain_sale_orders(self):
        order = self.env["sale.order"].create({"partner_id": self.retailer.id})
        for transition in ALLOWED:
            with self.subTest(transition=transition):
                with self.assertRaisesRegex(UserError, "not a B2B request or order"):
                    self._call(order, transition)

    def test_odoo_confirm_and_cancel_do_not_skip_the_b2b_flow(self):
        records = {
            state: self._record_in_state(state)
            for state in ("request", "answered", "order")
        }
        for state in ("request", "answered"):
            record = records[state]
            with self.assertRaisesRegex(UserError, "Turn into Order"):
                record.with_user(self.b2b_user).action_confirm()
            self.assertEqual((record.state, record.b2b_state), ("draft", state))
        for state, record in records.items():
            sale_state = record.state
            with self.assertRaisesRegex(UserError, "Cancel B2B"):
                record.with_user(self.b2b_user).action_cancel()
            self.assertEqual((record.state, record.b2b_state), (sale_state, state))
        # a plain quotation is confirmed and cancelled as ever
        order = self.env["sale.order"].create(
            {
                "partner_id": self.retailer.id,
                "order_line": [(0, 0, {"product_id": self.product_a.id})],
            }
        )
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")

    def test_odoo_quotation_page_neither_signs_nor_pays_a_request(self):
        record = self._record_in_state("request")
        record.require_signature = True
        record.require_payment = True
        self.assertFalse(record._has_to_be_signed())
        self.assertFalse(record._has_to_be_paid())
