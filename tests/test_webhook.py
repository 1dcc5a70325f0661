import json
import threading
import time
import uuid
from datetime import timedelta
from unittest.mock import patch

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..exceptions import B2bInputError
from ..tools import webhook_signature
from .channels_common import (
    conflict_on_first_call,
    envelope,
    request_data,
    signed_headers,
)
from .common import B2bCommon
from .test_csv_import import csv_file

PROBLEM = "application/problem+json"


class B2bWebhookCommon(B2bCommon, HttpCase):
    # the requests and orders are created before the answer; TestWebhookQueued
    # covers the connections that queue them (the default)
    webhook_processing = "immediate"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.webhook_processing = cls.webhook_processing
        cls.secret = cls.connection.sudo().webhook_secret
        cls.url = f"/b2b/v1/webhooks/{cls.connection.code}"

    def _post(self, body, headers, url=None, timeout=12):
        # always a POST, even of an empty body (url_open would GET it)
        return self.opener.post(
            self.base_url() + (url or self.url),
            data=body,
            headers=headers,
            timeout=timeout,
        )

    def _deliver(
        self, event_type, data, secret=None, msg_id=None, timestamp=None, url=None
    ):
        body = envelope(event_type, data)
        headers = signed_headers(
            secret or self.secret, body, msg_id=msg_id, timestamp=timestamp
        )
        return self._post(body, headers, url=url)

    def _orders(self, reference):
        return self.env["sale.order"].search(
            [
                ("b2b_connection_id", "=", self.connection.id),
                ("client_order_ref", "=", reference),
            ]
        )

    def _events(self, **values):
        domain = [
            ("connection_id", "=", self.connection.id),
            ("direction", "=", "inbound"),
        ]
        return self.env["b2b.event"].search(
            domain + [(k, "=", v) for k, v in values.items()]
        )


@tagged("post_install", "-at_install")
class TestWebhook(B2bWebhookCommon):
    def test_signed_request_created_creates_request_and_answers_200_with_reference(
        self,
    ):
        response = self._deliver(
            "request.created", request_data("WH-1"), msg_id="msg_wh1"
        )
        self.assertEqual(response.status_code, 200, response.text)
        order = self._orders("WH-1")
        self.assertEqual(len(order), 1)
        self.assertEqual(
            response.json(),
            {
                "status": "processed",
                "reference": "WH-1",
                "name": order.name,
                "state": "request",
            },
        )
        self.assertEqual(len(order.order_line), 3)
        self.assertEqual(order.partner_shipping_id.city, "Paris")
        event = self._events(idempotency_key="msg_wh1")
        self.assertRecordValues(
            event,
            [
                {
                    "event_type": "request.created",
                    "state": "done",
                    "order_id": order.id,
                    "reference": "WH-1",
                    "response_status": 200,
                    "attempts": 1,
                }
            ],
        )
        self.assertEqual(json.loads(event.payload)["data"]["reference"], "WH-1")

    def test_wrong_secret_is_refused_with_401_and_creates_nothing(self):
        response = self._deliver(
            "request.created",
            request_data("WH-2"),
            secret=webhook_signature.generate_secret(),
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.headers["Content-Type"], PROBLEM)
        self.assertFalse(self._orders("WH-2"))
        self.assertFalse(self._events())

    def test_unknown_connection_and_bad_signature_get_the_same_401(self):
        bad_signature = self._deliver(
            "request.created",
            request_data("WH-3"),
            secret=webhook_signature.generate_secret(),
        )
        unknown_code = self._deliver(
            "request.created", request_data("WH-3"), url="/b2b/v1/webhooks/nobody-here"
        )
        self.assertEqual(unknown_code.status_code, 401)
        self.assertEqual(unknown_code.content, bad_signature.content)
        self.assertEqual(
            unknown_code.headers["Content-Type"], bad_signature.headers["Content-Type"]
        )
        self.assertNotIn("nobody", unknown_code.text)

    def test_timestamp_more_than_five_minutes_away_is_refused(self):
        now = time.time()
        for timestamp in (now - 310, now + 310):
            response = self._deliver(
                "request.created", request_data("WH-4"), timestamp=timestamp
            )
            self.assertEqual(response.status_code, 401)
        response = self._deliver(
            "request.created", request_data("WH-4"), timestamp=now - 240
        )
        self.assertEqual(response.status_code, 200)

    def test_tampered_body_is_refused(self):
        body = envelope("request.created", request_data("WH-5"))
        headers = signed_headers(self.secret, body)
        tampered = body.replace(b'"quantity": 2', b'"quantity": 200')
        self.assertNotEqual(body, tampered)
        response = self._post(tampered, headers)
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._orders("WH-5"))

    def test_missing_headers_are_refused(self):
        body = envelope("request.created", request_data("WH-6"))
        response = self._post(body, {"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 401)

    def test_several_signatures_one_of_them_valid_is_accepted(self):
        body = envelope("request.created", request_data("WH-7"))
        headers = signed_headers(self.secret, body)
        other = signed_headers(
            webhook_signature.generate_secret(),
            body,
            msg_id=headers["webhook-id"],
            timestamp=int(headers["webhook-timestamp"]),
        )
        headers["webhook-signature"] = (
            f"{other['webhook-signature']} {headers['webhook-signature']}"
        )
        self.assertEqual(self._post(body, headers).status_code, 200)

    def test_same_webhook_id_twice_creates_one_request_and_answers_the_same(self):
        body = envelope("request.created", request_data("WH-8"))
        first = self._post(body, signed_headers(self.secret, body, msg_id="msg_dup"))
        # a retry: same id and body, signed again a little later
        second = self._post(body, signed_headers(self.secret, body, msg_id="msg_dup"))
        self.assertEqual(first.status_code, 200)
        self.assertEqual(
            (second.status_code, second.json()), (first.status_code, first.json())
        )
        self.assertEqual(len(self._orders("WH-8")), 1)
        self.assertEqual(len(self._events(idempotency_key="msg_dup")), 1)

    def test_same_webhook_id_after_a_refusal_gets_the_same_refusal(self):
        data = request_data("WH-9", lines=[{"sku": "NO-SUCH-SKU", "quantity": 1}])
        first = self._deliver("request.created", data, msg_id="msg_bad")
        second = self._deliver("request.created", data, msg_id="msg_bad")
        self.assertEqual(first.status_code, 422)
        self.assertEqual(second.json(), first.json())
        self.assertEqual(len(self._events(idempotency_key="msg_bad")), 1)

    def test_same_webhook_id_sent_by_parallel_clients_creates_one_request(self):
        # The test server serves requests of a test one at a time on the test
        # transaction: this checks what clients see when they retry at once;
        # the race of two database transactions is in TestWebhookConcurrency.
        body = envelope("request.created", request_data("WH-10"))
        answers = []
        cookies = self.opener.cookies.get_dict()

        def deliver():
            response = requests.post(
                self.base_url() + self.url,
                data=body,
                headers=signed_headers(self.secret, body, msg_id="msg_parallel"),
                cookies=cookies,
                timeout=30,
            )
            answers.append((response.status_code, response.json()))

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(len(answers), 4)
        self.assertEqual({status for status, _answer in answers}, {200})
        self.assertEqual(
            len({json.dumps(answer, sort_keys=True) for _status, answer in answers}), 1
        )
        self.assertEqual(len(self._orders("WH-10")), 1)

    def test_delivery_replayed_after_a_concurrency_conflict_is_processed_once(self):
        # a duplicate racing its first delivery, or the scheduled action
        # holding the event's row: Odoo replays the request, which must read
        # the same signed body again
        with conflict_on_first_call(
            type(self.env["b2b.event"]), "_b2b_inbound_event"
        ) as calls:
            response = self._deliver(
                "request.created", request_data("WH-30"), msg_id="msg_replayed"
            )
        self.assertEqual(len(calls), 2)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["reference"], "WH-30")
        self.assertEqual(len(self._orders("WH-30")), 1)
        self.assertEqual(len(self._events(idempotency_key="msg_replayed")), 1)

    def test_rotated_secret_keeps_the_previous_one_valid_for_24_hours(self):
        old = self.secret
        self.connection.with_user(self.b2b_manager).action_rotate_webhook_secret()
        new = self.connection.sudo().webhook_secret
        self.assertNotEqual(new, old)
        self.assertTrue(new.startswith("whsec_"))
        self.assertEqual(
            self._deliver(
                "request.created", request_data("WH-11"), secret=old
            ).status_code,
            200,
        )
        self.assertEqual(
            self._deliver(
                "request.created", request_data("WH-12"), secret=new
            ).status_code,
            200,
        )
        self.connection.sudo().webhook_secret_rotated_at = (
            fields.Datetime.now() - timedelta(hours=25)
        )
        self.assertEqual(
            self._deliver(
                "request.created", request_data("WH-13"), secret=old
            ).status_code,
            401,
        )
        self.assertEqual(
            self._deliver(
                "request.created", request_data("WH-14"), secret=new
            ).status_code,
            200,
        )

    def _assert_answers_by_secret(self, cases):
        """Deliver a request signed with each secret: [(reference, secret,
        status expected)]."""
        for reference, secret, status in cases:
            self.assertEqual(
                self._deliver(
                    "request.created", request_data(reference), secret=secret
                ).status_code,
                status,
                reference,
            )

    def test_secret_renewed_twice_keeps_the_one_in_use_valid(self):
        # a form sent twice: the secret in between was never used by the
        # retailer, the one it signs with keeps its 24 hours
        in_use = self.secret
        manager_connection = self.connection.with_user(self.b2b_manager)
        manager_connection.action_rotate_webhook_secret()
        between = self.connection.sudo().webhook_secret
        rotated_at = self.connection.sudo().webhook_secret_rotated_at
        manager_connection.action_rotate_webhook_secret()
        new = self.connection.sudo().webhook_secret
        self.assertEqual(len({in_use, between, new}), 3)
        self.assertEqual(self.connection.sudo().webhook_secret_rotated_at, rotated_at)
        self._assert_answers_by_secret(
            [("WH-34", in_use, 200), ("WH-35", new, 200), ("WH-36", between, 401)]
        )
        self.assertIn("stays valid until", self.connection.message_ids[0].preview or "")
        # renewed again hours later, while the retailer signs with the new
        # one: that one is the previous secret, for 24 hours
        self.connection.sudo().webhook_secret_rotated_at = rotated_at - timedelta(
            hours=20
        )
        manager_connection.action_rotate_webhook_secret()
        self.assertEqual(self.connection.sudo().webhook_secret_previous, new)
        self._assert_answers_by_secret([("WH-37", new, 200), ("WH-38", in_use, 401)])

    def test_connection_not_connected_answers_403_with_the_reason(self):
        self.connection.action_suspend()
        response = self._deliver("request.created", request_data("WH-15"))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.headers["Content-Type"], PROBLEM)
        self.assertIn("suspended", response.json()["detail"].lower())
        self.assertFalse(self._events())

    def test_retry_after_the_connection_stopped_gets_the_first_answer(self):
        # the retailer lost the answer, then the supplier suspended it: the
        # request exists and will be served, the retry must not say "refused"
        body = envelope("request.created", request_data("WH-32"))
        first = self._post(body, signed_headers(self.secret, body, msg_id="msg_kept"))
        self.assertEqual(first.status_code, 200)
        self.connection.action_suspend()
        again = self._post(body, signed_headers(self.secret, body, msg_id="msg_kept"))
        self.assertEqual((again.status_code, again.json()), (200, first.json()))
        self.assertEqual(len(self._orders("WH-32")), 1)
        # a new delivery is refused
        self.assertEqual(
            self._deliver("request.created", request_data("WH-33")).status_code, 403
        )
        self.assertFalse(self._orders("WH-33"))

    def test_body_over_one_mebibyte_answers_413(self):
        data = request_data("WH-16", note="x" * (1024 * 1024))
        response = self._deliver("request.created", data)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self._events())

    def test_body_without_content_length_answers_411(self):
        body = envelope("request.created", request_data("WH-17"))
        headers = signed_headers(self.secret, body)
        response = self.opener.post(
            self.base_url() + self.url, data=iter([body]), headers=headers, timeout=12
        )
        self.assertEqual(response.status_code, 411)

    def test_invalid_json_answers_422(self):
        body = b'{"type": "request.created", "data": '
        response = self._post(
            body, signed_headers(self.secret, body, msg_id="msg_json")
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.headers["Content-Type"], PROBLEM)
        problem = response.json()
        self.assertEqual(problem["status"], 422)
        self.assertEqual(problem["errors"][0]["path"], "")
        self.assertIn("not valid JSON", problem["errors"][0]["message"])
        self.assertEqual(self._events(idempotency_key="msg_json").state, "failed")

    def test_body_that_is_not_utf8_answers_422_and_creates_nothing(self):
        # a sender's Latin-1 "ü" would otherwise reach the packing slip as "�"
        body = envelope("request.created", request_data("WH-31", note="Müller"))
        body = body.replace(b"M\\u00fcller", "Müller".encode("latin-1"))
        self.assertIn(b"M\xfcller", body)
        headers = dict(
            webhook_signature.sign_headers(self.secret, "msg_latin1", body),
            **{"Content-Type": "application/json"},
        )
        response = self._post(body, headers)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("not UTF-8", response.json()["errors"][0]["message"])
        self.assertFalse(self._orders("WH-31"))
        event = self._events(idempotency_key="msg_latin1")
        self.assertRecordValues(event, [{"state": "failed", "payload_altered": True}])
        # a retry cannot process what was stored in place of what was sent
        event.with_user(self.b2b_manager).action_retry()
        self.assertEqual(event.state, "failed")
        self.assertIn("send it again", event.last_error)
        self.assertFalse(self._orders("WH-31"))

    def test_invalid_data_answers_422_listing_every_problem(self):
        data = request_data("WH-18")
        data["ship_to"] = dict(data["ship_to"], country_code="FRA")
        data["lines"] = [
            {"sku": "CHAIR-01", "quantity": 0},
            {"sku": "NO-SUCH", "quantity": 1},
        ]
        response = self._deliver("request.created", data)
        self.assertEqual(response.status_code, 422)
        paths = [error["path"] for error in response.json()["errors"]]
        self.assertEqual(paths, ["data.ship_to.country_code", "data.lines[0].quantity"])
        # what only the database knows comes from _b2b_receive, with the same paths
        data["ship_to"]["country_code"] = "FR"
        data["lines"][0]["quantity"] = 1
        response = self._deliver("request.created", data)
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            [e["path"] for e in response.json()["errors"]], ["data.lines[1].sku"]
        )
        self.assertFalse(self._orders("WH-18"))
        # both refusals are in the event log, with what could be read of them
        events = self._events(reference="WH-18")
        self.assertEqual(events.mapped("state"), ["failed", "failed"])
        self.assertEqual(set(events.mapped("event_type")), {"request.created"})
        self.assertIn("data.lines[1].sku", events[0].last_error)

    def test_unknown_event_type_answers_422(self):
        response = self._deliver("order.exploded", {"reference": "X"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"][0]["path"], "type")

    def test_failed_event_is_retried_after_the_fix_and_processed_once(self):
        data = request_data(
            "WH-19", lines=[{"retailer_sku": "R1-TABLE", "quantity": 2}]
        )
        response = self._deliver("request.created", data, msg_id="msg_fix")
        self.assertEqual(response.status_code, 422)
        event = self._events(idempotency_key="msg_fix")
        self.assertEqual(event.state, "failed")
        self.assertIn("lines[0].retailer_sku", event.last_error)
        # the supplier maps the retailer's SKU, then retries the event
        self.env["b2b.product.reference"].create(
            {
                "connection_id": self.connection.id,
                "product_id": self.product_b.id,
                "retailer_sku": "R1-TABLE",
            }
        )
        event.with_user(self.b2b_manager).action_retry()
        order = self._orders("WH-19")
        self.assertRecordValues(
            event,
            [
                {
                    "state": "done",
                    "order_id": order.id,
                    "attempts": 2,
                    "last_error": False,
                }
            ],
        )
        self.assertEqual(order.order_line.product_id, self.product_b)
        # processing is idempotent: a done event is left alone
        event._b2b_process()
        self.assertEqual(len(self._orders("WH-19")), 1)
        self.assertEqual(event.attempts, 2)

    def test_order_created_turns_an_answered_request_into_an_order(self):
        request = self._create_request("WH-20")
        self._answer(
            request,
            {
                self.product_a: {"b2b_qty_available": 5},
                self.product_b: {"b2b_qty_available": 2},
            },
        )
        response = self._deliver("order.created", {"reference": "WH-20"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "order")
        self.assertEqual(request.b2b_state, "order")
        # an order cannot be confirmed twice: a new message for it is a conflict
        response = self._deliver("order.created", {"reference": "WH-20"})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["errors"][0]["path"], "data.reference")

    def test_order_created_with_a_full_order_needs_instant_ordering(self):
        response = self._deliver("order.created", request_data("WH-21"))
        self.assertEqual(response.status_code, 403)
        self.assertIn("instant ordering", response.json()["detail"])
        self.assertFalse(self._orders("WH-21"))
        self.connection.instant_ordering = True
        response = self._deliver("order.created", request_data("WH-21"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._orders("WH-21").b2b_state, "order")

    def test_request_reopened_and_order_cancelled(self):
        expired = self._create_request("WH-22")
        expired.b2b_state = "expired"
        response = self._deliver("request.reopened", {"reference": "WH-22"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(expired.b2b_state, "request")
        response = self._deliver(
            "order.cancelled",
            {"reference": "WH-22", "reason": "Customer changed their mind"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertRecordValues(
            expired,
            [
                {
                    "b2b_state": "cancelled",
                    "b2b_cancel_reason": "Customer changed their mind",
                }
            ],
        )
        response = self._deliver(
            "order.cancelled", {"reference": "NOT-THERE", "reason": "x"}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"][0]["path"], "data.reference")

    def test_large_request_is_accepted_with_202_and_processed_by_the_scheduled_action(
        self,
    ):
        self.env["ir.config_parameter"].set_param(
            "b2b_dropship.webhook_sync_max_lines", "2"
        )
        response = self._deliver(
            "request.created", request_data("WH-23"), msg_id="msg_later"
        )
        self.assertEqual(response.status_code, 202)
        self.assertEqual(response.json(), {"status": "accepted", "reference": "WH-23"})
        event = self._events(idempotency_key="msg_later")
        self.assertEqual(event.state, "received")
        self.assertFalse(self._orders("WH-23"))
        self.env["b2b.event"]._cron_process_events()
        order = self._orders("WH-23")
        self.assertRecordValues(event, [{"state": "done", "order_id": order.id}])
        self.assertEqual(len(order.order_line), 3)
        # a redelivery gets the first answer and creates nothing
        response = self._deliver(
            "request.created", request_data("WH-23"), msg_id="msg_later"
        )
        self.assertEqual(
            (response.status_code, response.json()),
            (202, {"status": "accepted", "reference": "WH-23"}),
        )
        self.assertEqual(len(self._orders("WH-23")), 1)

    def test_signed_body_sent_as_a_form_is_read_as_sent(self):
        # curl -d sends its body as application/x-www-form-urlencoded
        body = envelope("request.created", request_data("WH-FORM"))
        headers = dict(
            signed_headers(self.secret, body),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = self._post(body, headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self._orders("WH-FORM")), 1)

    def test_reference_of_a_queued_request_is_taken_on_every_channel(self):
        # a large request is answered 202 and queued: its reference is its
        # own, for a later webhook, a CSV file or the API alike
        self.env["ir.config_parameter"].set_param(
            "b2b_dropship.webhook_sync_max_lines", "2"
        )
        response = self._deliver("request.created", request_data("WH-Q1"))
        self.assertEqual(response.status_code, 202, response.text)
        smaller = dict(request_data("WH-Q1"), lines=request_data()["lines"][:1])
        response = self._deliver("request.created", smaller)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("already used", response.json()["errors"][0]["message"])
        drop = self.connection.import_csv("WH-Q1.csv", csv_file("WH-Q1"), "upload")
        self.assertEqual(drop.state, "error")
        self.assertIn("already used", drop.error_summary)
        with self.assertRaises(B2bInputError):
            self.connection._b2b_receive("request", smaller)
        self.assertFalse(self._orders("WH-Q1"))
        self.env["b2b.event"]._cron_process_events()
        self.assertEqual(len(self._orders("WH-Q1").order_line), 3)
        self.assertEqual(
            sorted(self._events(reference="WH-Q1").mapped("state")), ["done", "failed"]
        )

    def test_archived_connection_answers_retries_and_refuses_the_rest(self):
        first = self._deliver("request.created", request_data("WH-ARC"), msg_id="m-arc")
        self.assertEqual(first.status_code, 200, first.text)
        self.connection.action_archive()
        again = self._deliver("request.created", request_data("WH-ARC"), msg_id="m-arc")
        self.assertEqual((again.status_code, again.json()), (200, first.json()))
        response = self._deliver("request.created", request_data("WH-ARC2"))
        self.assertEqual(response.status_code, 403, response.text)
        self.assertIn("archived", response.json()["detail"])
        self.assertFalse(self._orders("WH-ARC2"))

    def test_secrets_are_for_managers_only(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.b2b_user).read(["webhook_secret"])
        self.assertTrue(self.connection.with_user(self.b2b_manager).webhook_secret)

    def test_only_managers_renew_secrets(self):
        # even as a follower of the connection, which anyone who reads it
        # may become
        secrets = self.connection.sudo().read(
            ["webhook_secret", "webhook_outbound_secret"]
        )
        for user in (self.b2b_user, self.portal_user):
            connection = self.connection.with_user(user)
            connection.message_subscribe(partner_ids=user.partner_id.ids)
            for action in (
                connection.action_rotate_webhook_secret,
                connection.action_rotate_webhook_outbound_secret,
            ):
                with self.assertRaises(AccessError):
                    action()
        self.assertEqual(
            self.connection.sudo().read(["webhook_secret", "webhook_outbound_secret"]),
            secrets,
        )

    def test_portal_users_see_their_own_company_events_only(self):
        self._deliver("request.created", request_data("WH-24"), msg_id="msg_portal")
        other_retailer = self.env["res.partner"].create(
            {"name": "Retailer Two", "is_company": True}
        )
        other_user = new_test_user(
            self.env,
            login="other_portal",
            groups="base.group_portal",
            partner_id=self.env["res.partner"]
            .create({"name": "Otto", "parent_id": other_retailer.id})
            .id,
        )
        mine = self.env["b2b.event"].with_user(self.portal_user).search([])
        self.assertEqual(mine.mapped("idempotency_key"), ["msg_portal"])
        self.assertEqual(mine.order_id.client_order_ref, "WH-24")
        self.assertFalse(self.env["b2b.event"].with_user(other_user).search([]))


@tagged("post_install", "-at_install")
class TestWebhookQueued(B2bWebhookCommon):
    """Connections that queue the requests and orders sent by webhook (the
    default): checked and answered 202 at once, created in batches by the
    scheduled action."""

    webhook_processing = "queued"

    def _queue_requests(self, *references):
        """Deliver a request for each reference, each answered 202 (queued)."""
        for reference in references:
            self.assertEqual(
                self._deliver("request.created", request_data(reference)).status_code,
                202,
            )

    def _process_queue(self):
        return self.env["b2b.event"]._cron_process_events()

    def test_default_is_queued(self):
        connection = self.env["b2b.connection"].create(
            {"name": "New", "partner_id": self.retailer.id}
        )
        self.assertEqual(connection.webhook_processing, "queued")

    def test_requests_are_answered_202_then_created_together_by_the_scheduled_action(
        self,
    ):
        cron = self.env.ref("b2b_dropship.cron_process_events")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        for index in range(3):
            response = self._deliver(
                "request.created", request_data(f"WQ-{index}"), msg_id=f"msg_q{index}"
            )
            self.assertEqual(response.status_code, 202, response.text)
            self.assertEqual(
                response.json(), {"status": "accepted", "reference": f"WQ-{index}"}
            )
        self.assertFalse(self._orders("WQ-0"))
        events = self._events().sorted("id")
        self.assertEqual(events.mapped("state"), ["received"] * 3)
        self.assertEqual(events.mapped("response_status"), [202] * 3)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
        )
        self.assertEqual(self._process_queue(), 3)
        for index, event in enumerate(events):
            order = self._orders(f"WQ-{index}")
            self.assertEqual(len(order), 1)
            self.assertRecordValues(
                event,
                [{"state": "done", "order_id": order.id, "attempts": 1}],
            )
            self.assertEqual(order.b2b_state, "request")
            self.assertEqual(len(order.order_line), 3)
            self.assertEqual(order.partner_shipping_id.city, "Paris")
            self.assertEqual(order.partner_invoice_id, self.retailer)
        # the same ship-to address: one contact for the three requests
        self.assertEqual(
            len(
                self.env["sale.order"]
                .search([("client_order_ref", "in", ["WQ-0", "WQ-1", "WQ-2"])])
                .partner_shipping_id
            ),
            1,
        )
        # a redelivery gets the first answer and creates nothing
        response = self._deliver(
            "request.created", request_data("WQ-0"), msg_id="msg_q0"
        )
        self.assertEqual(
            (response.status_code, response.json()),
            (202, {"status": "accepted", "reference": "WQ-0"}),
        )
        self.assertEqual(self._process_queue(), 0)
        self.assertEqual(len(self._orders("WQ-0")), 1)

    def test_cron_workers_are_woken_once_while_a_trigger_is_pending(self):
        cron = self.env.ref("b2b_dropship.cron_process_events")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        callbacks = self.env.cr.postcommit._funcs
        before = len(callbacks)
        for _delivery in range(3):
            self.env["b2b.event"]._b2b_trigger_processing()
        # each delivery leaves its trigger, so that a run that had already
        # started when it was queued is followed by another one
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), 3
        )
        wake_ups = [
            callback
            for callback in list(callbacks)[before:]
            if getattr(callback, "__name__", "") == "_notifydb"
        ]
        self.assertEqual(len(wake_ups), 1)

    def test_a_run_wakes_the_workers_for_triggers_created_while_it_ran(self):
        cron = self.env.ref("b2b_dropship.cron_process_events")
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        callbacks = self.env.cr.postcommit._funcs

        def wake_ups():
            return len(
                [
                    callback
                    for callback in callbacks
                    if getattr(callback, "__name__", "") == "_notifydb"
                ]
            )

        before = wake_ups()
        # a trigger of before the run is consumed by it: no wake-up
        Trigger.create(
            {
                "cron_id": cron.id,
                "call_at": fields.Datetime.now() - timedelta(minutes=1),
            }
        )
        self._process_queue()
        self.assertEqual(wake_ups(), before)
        # a delivery queued while the run went on
        Trigger.create({"cron_id": cron.id, "call_at": fields.Datetime.now()})
        self._process_queue()
        self.assertEqual(wake_ups(), before + 1)

    def test_bad_data_is_refused_at_once_and_nothing_is_queued(self):
        data = request_data("WQ-BAD", lines=[{"sku": "NO-SUCH-SKU", "quantity": 1}])
        response = self._deliver("request.created", data, msg_id="msg_qbad")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.headers["Content-Type"], PROBLEM)
        self.assertEqual(response.json()["errors"][0]["path"], "data.lines[0].sku")
        self.assertEqual(self._events(idempotency_key="msg_qbad").state, "failed")
        self.assertEqual(self._process_queue(), 0)
        self.assertFalse(self._orders("WQ-BAD"))

    def test_reference_already_queued_or_used_is_refused_at_once(self):
        self.assertEqual(
            self._deliver("request.created", request_data("WQ-DUP")).status_code, 202
        )
        again = self._deliver("request.created", request_data("WQ-DUP"))
        self.assertEqual(again.status_code, 422)
        self.assertEqual(again.json()["errors"][0]["path"], "data.reference")
        self._process_queue()
        self.assertEqual(len(self._orders("WQ-DUP")), 1)
        after = self._deliver("request.created", request_data("WQ-DUP"))
        self.assertEqual(after.status_code, 422)
        self.assertEqual(after.json()["errors"][0]["path"], "data.reference")

    def test_cancellation_right_behind_a_queued_request_creates_and_cancels_it(self):
        self.assertEqual(
            self._deliver(
                "request.created", request_data("WQ-CXL"), msg_id="msg_qcxl"
            ).status_code,
            202,
        )
        response = self._deliver(
            "order.cancelled", {"reference": "WQ-CXL", "reason": "Changed my mind"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        order = self._orders("WQ-CXL")
        self.assertEqual(order.b2b_state, "cancelled")
        self.assertRecordValues(
            self._events(idempotency_key="msg_qcxl"),
            [{"state": "done", "order_id": order.id}],
        )
        self.assertEqual(self._process_queue(), 0)

    def test_an_event_that_became_invalid_fails_alone(self):
        for reference, sku in (
            ("WQ-A", "CHAIR-01"),
            ("WQ-B", "TABLE-01"),
            ("WQ-C", "CHAIR-01"),
        ):
            data = request_data(reference, lines=[{"sku": sku, "quantity": 1}])
            self.assertEqual(self._deliver("request.created", data).status_code, 202)
        # the table is withdrawn from sale before the queue is processed
        self.product_b.sale_ok = False
        self.assertEqual(self._process_queue(), 3)
        self.assertFalse(self._orders("WQ-B"))
        failed = self._events(reference="WQ-B")
        self.assertEqual(failed.state, "failed")
        self.assertIn("data.lines[0].sku", failed.last_error)
        self.assertEqual(failed.response_status, 202)
        for reference in ("WQ-A", "WQ-C"):
            order = self._orders(reference)
            self.assertEqual(order.order_line.product_id, self.product_a)
            self.assertRecordValues(
                self._events(reference=reference),
                [{"state": "done", "order_id": order.id}],
            )

    def test_an_event_meeting_a_fault_of_ours_fails_alone_and_is_retried_after_a_fix(
        self,
    ):
        # the ship-to contact of WQ-Y breaks something of ours before any order
        # is created: the other events go in, WQ-Y fails and can be retried
        self._queue_requests("WQ-X", "WQ-Y", "WQ-Z")
        Connection = type(self.env["b2b.connection"])
        prepare = Connection._b2b_prepare_received

        def broken_for_wq_y(connection, vals_list):
            if any(values["client_order_ref"] == "WQ-Y" for values in vals_list):
                raise RuntimeError("defect met")
            return prepare(connection, vals_list)

        with (
            patch.object(Connection, "_b2b_prepare_received", broken_for_wq_y),
            mute_logger("odoo.addons.b2b_dropship.models.b2b_event"),
        ):
            self.assertEqual(self._process_queue(), 3)
        failed = self._events(reference="WQ-Y")
        self.assertRecordValues(
            failed,
            [
                {
                    "state": "failed",
                    "last_error": "The event could not be processed: RuntimeError",
                }
            ],
        )
        self.assertFalse(self._orders("WQ-Y"))
        for reference in ("WQ-X", "WQ-Z"):
            self.assertEqual(self._events(reference=reference).state, "done")
            self.assertEqual(len(self._orders(reference)), 1)
        # once the cause is fixed, a manager retries it
        failed.with_user(self.b2b_manager).action_retry()
        self.assertRecordValues(
            failed, [{"state": "done", "order_id": self._orders("WQ-Y").id}]
        )

    def test_a_reference_taken_by_a_concurrent_transaction_fails_alone(self):
        self._queue_requests("WQ-1", "WQ-2", "WQ-3")
        # WQ-2 is created by another channel after the check of the batch,
        # before its creation: the batch meets the unique index
        Event = type(self.env["b2b.event"])
        used_references = Event._b2b_used_references

        def check_then_race(event, connection, data_list, queued=True):
            used = used_references(event, connection, data_list, queued)
            self._create_request("WQ-2")
            return used

        with (
            patch.object(Event, "_b2b_used_references", check_then_race),
            mute_logger("odoo.sql_db"),
        ):
            self.assertEqual(self._process_queue(), 3)
        self.assertEqual(len(self._orders("WQ-2")), 1)
        raced = self._events(reference="WQ-2")
        self.assertEqual(raced.state, "failed")
        self.assertIn("already used", raced.last_error)
        for reference in ("WQ-1", "WQ-3"):
            order = self._orders(reference)
            self.assertEqual(len(order), 1)
            self.assertRecordValues(
                self._events(reference=reference),
                [{"state": "done", "order_id": order.id}],
            )

    def test_instant_order_is_queued_and_confirmed(self):
        self.connection.instant_ordering = True
        response = self._deliver("order.created", request_data("WQ-ORD"))
        self.assertEqual(response.status_code, 202, response.text)
        self._process_queue()
        order = self._orders("WQ-ORD")
        self.assertEqual((order.b2b_state, order.state), ("order", "sale"))

    def test_connection_suspended_before_processing_fails_the_event(self):
        self.assertEqual(
            self._deliver("request.created", request_data("WQ-SUS")).status_code, 202
        )
        self.connection.action_suspend()
        self._process_queue()
        event = self._events(reference="WQ-SUS")
        self.assertEqual(event.state, "failed")
        self.assertIn("suspended", event.last_error.lower())
        self.assertFalse(self._orders("WQ-SUS"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15,
)
SHIP_TO_KEYS = ("name", "street", "city", "zip", "country_code", "state_code")


@tagged("post_install", "-at_install")
class TestWebhookArbitraryBodies(B2bWebhookCommon):
    """Whatever a signed sender puts in the body, the answer is never a 5xx,
    and every refusal is a problem document."""

    def _check_answer(self, body):
        # signed with the addon's own signer: the reference library only signs text
        headers = webhook_signature.sign_headers(
            self.secret, f"msg_{uuid.uuid4().hex}", body
        )
        headers["Content-Type"] = "application/json"
        response = self._post(body, headers)
        self.assertLess(response.status_code, 500, response.text)
        if response.status_code >= 400:
            self.assertEqual(
                response.headers["Content-Type"],
                PROBLEM,
                (body, response.status_code, response.text),
            )
            self.assertEqual(response.json()["status"], response.status_code)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.binary(max_size=400))
    def test_arbitrary_bytes_never_answer_5xx(self, body):
        self._check_answer(body)

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        st.sampled_from(
            [
                "request.created",
                "order.created",
                "request.reopened",
                "order.cancelled",
                "other",
            ]
        ),
        st.fixed_dictionaries(
            {},
            optional={
                "reference": JSON_VALUES,
                "reason": JSON_VALUES,
                "note": JSON_VALUES,
                "ship_to": st.one_of(
                    JSON_VALUES,
                    st.fixed_dictionaries(
                        {key: JSON_VALUES | st.text(max_size=6) for key in SHIP_TO_KEYS}
                    ),
                ),
                "lines": st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "sku": st.sampled_from(["CHAIR-01", "TABLE-01", "\x00"])
                            | JSON_VALUES,
                            "retailer_sku": st.sampled_from(["R1-CHAIR"]) | JSON_VALUES,
                            "quantity": JSON_VALUES
                            | st.floats(min_value=-1e300, max_value=1e300),
                            "description": JSON_VALUES,
                        },
                    )
                    | JSON_VALUES,
                    max_size=3,
                ),
            },
        ),
    )
    def test_arbitrary_event_data_never_answers_5xx(self, event_type, data):
        body = json.dumps({"type": event_type, "data": data}).encode()
        self._check_answer(body)


@tagged("post_install", "-at_install")
class TestWebhookArbitraryBodiesQueued(TestWebhookArbitraryBodies):
    """The same bodies on a connection that queues: whatever was answered
    202 is then created by the scheduled action, never failed."""

    webhook_processing = "queued"
    # Odoo runs only the test methods a class defines, unless told otherwise
    allow_inherited_tests_method = True

    def _check_answer(self, body):
        answered = super()._check_answer(body)
        self.env["b2b.event"]._cron_process_events()
        accepted = self._events(response_status=202)
        self.assertEqual(
            set(accepted.mapped("state")) - {"done"},
            set(),
            accepted.filtered(lambda event: event.state != "done").mapped("last_error"),
        )
        return answered
