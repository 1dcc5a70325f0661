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
