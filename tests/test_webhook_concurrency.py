"""Two deliveries of one webhook-id racing in two real database transactions.

An HttpCase cannot show this race: its HTTP server runs every request of a
test on the one test transaction, one request at a time. Here the deliveries
run as the HTTP layer runs them, each in its own cursor on its own
PostgreSQL connection, the second one inside ``odoo.service.model.retrying``
(what ``odoo.http`` wraps every request in). The records they need are
committed first and removed at the end (``RaceCase``).
"""

import functools
import threading

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import tagged

from .channels_common import (
    SHIP_TO,
    RaceCase,
    envelope,
    signed_headers,
    wait_until_blocked,
)


@tagged("post_install", "-at_install")
class TestWebhookConcurrency(RaceCase):
    connection_values = {"webhook_processing": "immediate"}

    def _commit_more(self, env, connection):
        product = env["product.product"].create(
            {
                "name": f"Race Chair {self.tag}",
                "default_code": f"RACE-{self.tag}",
                "sale_ok": True,
            }
        )
        self.code = connection.code
        self.product_id = product.id
        self.secret = connection.webhook_secret
        self.sku = product.default_code

    def _remove_more(self, env):
        orders = env["sale.order"].search(
            [("b2b_connection_id", "=", self.connection_id)]
        )
        orders.with_context(disable_cancel_warning=True)._action_cancel()
        orders.unlink()
        env["b2b.event"].search([("connection_id", "=", self.connection_id)]).unlink()
        env["product.product"].browse(self.product_id).product_tmpl_id.unlink()

    def _delivery(self, reference, msg_id):
        body = envelope(
            "request.created",
            {
                "reference": reference,
                "ship_to": SHIP_TO,
                "lines": [{"sku": self.sku, "quantity": 3}],
            },
        )
        headers = signed_headers(self.secret, body, msg_id=msg_id)
        return {
            name: headers[name].encode()
            for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        }, body

    def _start_second_delivery(self, headers, body, results):
        """Deliver in a thread, as odoo.http does: inside ``retrying``."""
        started = threading.Event()

        def deliver():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                results["pid"] = cr._cnx.get_backend_pid()
                started.set()
                receive = functools.partial(
                    env["b2b.event"]._b2b_receive_webhook, self.code, headers, body
                )
                results["second"] = retrying(receive, env)

        thread = threading.Thread(target=deliver)
        thread.start()
        self.assertTrue(started.wait(10))
        return thread

    def _committed(self, reference, msg_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].search(
                [
                    ("b2b_connection_id", "=", self.connection_id),
                    ("client_order_ref", "=", reference),
                ]
            )
            events = env["b2b.event"].search(
                [
                    ("connection_id", "=", self.connection_id),
                    ("idempotency_key", "=", msg_id),
                ]
            )
            return len(orders), len(events), events.state

    def test_two_transactions_delivering_one_id_create_one_request_and_answer_the_same(
        self,
    ):
        headers, body = self._delivery("RACE-1", "msg_race_1")
        results = {}
        first_cr = self.registry.cursor()
        try:
            first_env = api.Environment(first_cr, SUPERUSER_ID, {})
            results["first"] = first_env["b2b.event"]._b2b_receive_webhook(
                self.code, headers, body
            )
            first_env.flush_all()
            # the first delivery has created its request, not committed yet
            self.assertEqual(results["first"][0], 200)
            thread = self._start_second_delivery(headers, body, results)
            self.assertTrue(
                wait_until_blocked(self.registry, results["pid"]),
                "the second delivery did not wait for the first one's event row",
            )
            first_cr.commit()
        finally:
            first_cr.close()
        thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertEqual(results["second"], results["first"])
        self.assertEqual(self._committed("RACE-1", "msg_race_1"), (1, 1, "done"))

    def test_second_delivery_processes_the_event_when_the_first_transaction_fails(self):
        headers, body = self._delivery("RACE-2", "msg_race_2")
        results = {}
        first_cr = self.registry.cursor()
        try:
            first_env = api.Environment(first_cr, SUPERUSER_ID, {})
            first_env["b2b.event"]._b2b_receive_webhook(self.code, headers, body)
            first_env.flush_all()
            thread = self._start_second_delivery(headers, body, results)
            self.assertTrue(wait_until_blocked(self.registry, results["pid"]))
            # the first worker dies before its commit: nothing of it stays
            first_cr.rollback()
        finally:
            first_cr.close()
        thread.join(30)
        self.assertFalse(thread.is_alive())
        status, answer = results["second"]
        self.assertEqual((status, answer["reference"]), (200, "RACE-2"))
        self.assertEqual(self._committed("RACE-2", "msg_race_2"), (1, 1, "done"))
