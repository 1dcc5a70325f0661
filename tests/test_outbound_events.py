import json
import socket
import time
from datetime import datetime, timedelta
from unittest.mock import patch

import jsonschema
import standardwebhooks

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..models.b2b_event import RETRY_DELAYS
from ..tools import api_schema, http_post
from .channels_common import RecordingEndpoint, request_data
from .common import B2bCommon
from .shipping_common import B2bShippingCommon

NOW = datetime(2025, 6, 30, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestOutboundEvents(B2bCommon):
    """Events POSTed to a real HTTP endpoint on 127.0.0.1, verified there
    with the ``standardwebhooks`` library a retailer would use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = RecordingEndpoint().start()
        cls.addClassCleanup(cls.endpoint.stop)
        cls.connection.write(
            {"webhook_url": cls.endpoint.url, "user_id": cls.b2b_manager.id}
        )

    def setUp(self):
        super().setUp()
        self.endpoint.requests.clear()
        while not self.endpoint.statuses.empty():
            self.endpoint.statuses.get_nowait()
        self.endpoint.endless_answer = False
        self.endpoint.slow_headers = False
        self.endpoint.answer_bytes_sent = 0

    def _outbound(self, **values):
        domain = [
            ("connection_id", "=", self.connection.id),
            ("direction", "=", "outbound"),
        ]
        return self.env["b2b.event"].search(
            domain + [(k, "=", v) for k, v in values.items()], order="id"
        )

    def _send(self):
        return self.env["b2b.event"]._cron_send_events()

    def _verify(self, request, secret=None):
        """The retailer's side: check the signature, return the payload."""
        secret = secret or self.connection.sudo().webhook_outbound_secret
        return standardwebhooks.Webhook(secret).verify(
            request["body"].decode(), request["headers"]
        )

    def _answered_request(self, ref):
        request = self._create_request(ref)
        self._answer(
            request,
            {
                self.product_a: {"b2b_qty_available": 3},
                self.product_b: {"b2b_qty_available": 2},
            },
        )
        return request

    def test_answer_is_posted_signed_with_the_answer_lines(self):
        request = self._answered_request("OUT-1")
        event = self._outbound(event_type="request.answered")
        self.assertRecordValues(
            event, [{"state": "pending", "order_id": request.id, "reference": "OUT-1"}]
        )
        self.assertEqual(self._send(), 1)
        self.assertEqual(len(self.endpoint.requests), 1)
        sent = self.endpoint.requests[0]
        self.assertEqual(sent["path"], "/hooks/supplier")
        payload = self._verify(sent)
        self.assertEqual(sent["headers"]["webhook-id"], event.idempotency_key)
        self.assertEqual(payload["type"], "request.answered")
        self.assertEqual(payload["data"]["reference"], "OUT-1")
        self.assertEqual(payload["data"]["state"], "answered")
        self.assertEqual(
            [
                (line["sku"], line["available_quantity"])
                for line in payload["data"]["lines"]
            ],
            [("CHAIR-01", 3), ("TABLE-01", 2)],
        )
        self.assertEqual(payload["data"]["lines"][0]["retailer_sku"], "R1-CHAIR")
        self.assertRecordValues(
            event, [{"state": "sent", "attempts": 1, "response_status": 200}]
        )
        self.assertTrue(event.sent_at)
        # sent events are not sent again
        self.assertEqual(self._send(), 0)
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_nothing_is_recorded_without_a_webhook_url(self):
        self.connection.webhook_url = False
        self._answered_request("OUT-2")
        self.assertFalse(self._outbound())

    def test_decline_expiry_and_conversion_are_events(self):
        declined = self._create_request("OUT-3")
        declined.with_user(self.b2b_user).action_b2b_decline("Out of stock for months")
        with freeze_time(NOW):
            expired = self._create_request(
                "OUT-4", b2b_answer_deadline=NOW - timedelta(minutes=1)
            )
            self.env["sale.order"]._cron_expire_requests()
        self.assertEqual(expired.b2b_state, "expired")
        converted = self._answered_request("OUT-5")
        converted.action_b2b_convert()
        self.assertEqual(
            [(event.event_type, event.reference) for event in self._outbound()],
            [
                ("request.declined", "OUT-3"),
                ("request.expired", "OUT-4"),
                ("request.answered", "OUT-5"),
                ("order.confirmed", "OUT-5"),
            ],
        )
        declined_data = json.loads(
            self._outbound(event_type="request.declined").payload
        )["data"]
        self.assertEqual(declined_data["decline_reason"], "Out of stock for months")
        self.assertEqual(self._send(), 4)
        # sent oldest due first: the expiry was recorded at NOW, in 2025
        self.assertEqual(
            [self._verify(request)["type"] for request in self.endpoint.requests],
            [
                "request.expired",
                "request.declined",
                "request.answered",
                "order.confirmed",
            ],
        )

    def test_instant_order_is_confirmed_by_an_event(self):
        self.connection.instant_ordering = True
        order = self.connection._b2b_receive("order", request_data("OUT-6"))
        event = self._outbound(event_type="order.confirmed")
        self.assertEqual(event.order_id, order)
        self.assertEqual(json.loads(event.payload)["data"]["state"], "order")

    def test_order_cancellation_is_an_event_with_the_reason(self):
        order = self._answered_request("OUT-7")
        order.action_b2b_convert()
        order.with_user(self.b2b_user).action_b2b_cancel("The customer moved away")
        events = self._outbound(event_type="order.cancelled")
        self.assertEqual(len(events), 1)
        self.assertEqual(
            json.loads(events.payload)["data"]["reason"], "The customer moved away"
        )

    def test_shipment_payload_is_sent_as_given(self):
        order = self._answered_request("OUT-8")
        payload = {
            "reference": "OUT-8",
            "tracking": [
                {"reference": "TRK1", "url": "https://track.example.com/TRK1"}
            ],
            "lines": [{"sku": "CHAIR-01", "quantity": 3}],
        }
        order._b2b_emit_event("shipment.confirmed", payload)
        self._send()
        sent = [self._verify(request) for request in self.endpoint.requests]
        self.assertEqual(sent[-1]["type"], "shipment.confirmed")
        self.assertEqual(sent[-1]["data"], payload)

    def test_failures_are_retried_on_schedule_then_abandoned_and_the_supplier_is_told(
        self,
    ):
        self.endpoint.answer(*[500] * (len(RETRY_DELAYS) + 1))
        with freeze_time(NOW):
            self._answered_request("OUT-9")
        event = self._outbound(event_type="request.answered")
        moment = NOW
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            with freeze_time(moment):
                self.assertEqual(self._send(), 1)
                # not due before its delay has passed
                self.assertEqual(self._send(), 0)
            self.assertRecordValues(
                event,
                [
                    {
                        "state": "failed",
                        "attempts": attempt,
                        "next_attempt_at": moment + delay,
                        "response_status": 500,
                    }
                ],
            )
            self.assertIn("500", event.last_error)
            moment = moment + delay
        self.assertEqual(
            [delay.total_seconds() for delay in RETRY_DELAYS],
            [5, 300, 1800, 7200, 18000, 36000, 36000],
        )
        with freeze_time(moment):
            self._send()
        self.assertRecordValues(
            event, [{"state": "abandoned", "attempts": 8, "next_attempt_at": False}]
        )
        self.assertEqual(len(self.endpoint.requests), 8)
        self.assertEqual(
            len(
                {request["headers"]["webhook-id"] for request in self.endpoint.requests}
            ),
            1,
        )
        message = self.connection.message_ids[:1]
        self.assertIn("abandoned", message.body)
        activity = self.connection.activity_ids.filtered(
            lambda a: a.summary == "Webhook event abandoned"
        )
        self.assertEqual(activity.user_id, self.b2b_manager)
        # once the retailer fixed its endpoint, a manager sends it again
        event.with_user(self.b2b_manager).action_retry()
        self.assertEqual(event.state, "pending")
        self._send()
        self.assertEqual(event.state, "sent")

    def test_410_gone_clears_the_url_and_abandons_what_is_waiting(self):
        self._answered_request("OUT-10")
        self._answered_request("OUT-11")
        self.endpoint.answer(410)
        self._send()
        events = self._outbound()
        self.assertEqual(events.mapped("state"), ["abandoned", "abandoned"])
        self.assertEqual(len(self.endpoint.requests), 1)
        self.assertFalse(self.connection.webhook_url)
        told = self.connection.message_ids.filtered(lambda m: "410 Gone" in m.body)
        self.assertEqual(len(told), 1)
        # nothing more is recorded or sent without a URL
        self._answered_request("OUT-12")
        self.assertEqual(len(self._outbound()), 2)

    def test_unreachable_endpoint_is_a_failure_with_the_reason(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.connection.webhook_url = f"http://127.0.0.1:{port}/closed"
        self._answered_request("OUT-13")
        self._send()
        event = self._outbound()
        self.assertEqual((event.state, event.attempts), ("failed", 1))
        self.assertIn("refused", event.last_error.lower())

    def test_redirect_is_not_followed_and_counts_as_a_failure(self):
        self.endpoint.answer(302)
        self._answered_request("OUT-14")
        self._send()
        event = self._outbound()
        self.assertRecordValues(event, [{"state": "failed", "response_status": 302}])
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_rotated_outbound_secret_signs_with_both_secrets_for_24_hours(self):
        old = self.connection.sudo().webhook_outbound_secret
        self.connection.with_user(
            self.b2b_manager
        ).action_rotate_webhook_outbound_secret()
        new = self.connection.sudo().webhook_outbound_secret
        self.assertNotEqual(old, new)
        self._answered_request("OUT-15")
        self._send()
        request = self.endpoint.requests[-1]
        self.assertEqual(len(request["headers"]["webhook-signature"].split()), 2)
        self.assertEqual(self._verify(request, old)["type"], "request.answered")
        self.assertEqual(self._verify(request, new)["type"], "request.answered")
        self.connection.sudo().webhook_outbound_secret_rotated_at = (
            fields.Datetime.now() - timedelta(hours=25)
        )
        self._answered_request("OUT-16")
        self._send()
        request = self.endpoint.requests[-1]
        self.assertEqual(len(request["headers"]["webhook-signature"].split()), 1)
        with self.assertRaises(standardwebhooks.webhooks.WebhookVerificationError):
            self._verify(request, old)

    def test_outbound_secret_renewed_twice_still_signs_with_the_one_in_use(self):
        in_use = self.connection.sudo().webhook_outbound_secret
        manager_connection = self.connection.with_user(self.b2b_manager)
        manager_connection.action_rotate_webhook_outbound_secret()
        manager_connection.action_rotate_webhook_outbound_secret()
        new = self.connection.sudo().webhook_outbound_secret
        self._answered_request("OUT-17")
        self._send()
        request = self.endpoint.requests[-1]
        self.assertEqual(len(request["headers"]["webhook-signature"].split()), 2)
        self.assertEqual(self._verify(request, in_use)["type"], "request.answered")
        self.assertEqual(self._verify(request, new)["type"], "request.answered")

    def test_endless_answer_is_cut_after_what_is_stored(self):
        # only the start of the answer is stored: the rest is not downloaded
        self.endpoint.endless_answer = True
        self._answered_request("OUT-18")
        self._send()
        event = self._outbound()
        self.assertEqual(event.state, "sent")
        self.assertTrue(event.response.startswith("ok ok"))
        self.assertLessEqual(len(event.response), 2000)
        self.assertLess(
            self.endpoint.answer_bytes_sent, self.endpoint.ENDLESS_LIMIT // 2
        )

    def test_answer_trickled_byte_by_byte_is_cut_at_the_send_timeout(self):
        # each byte comes within the read timeout: the whole exchange is
        # bounded all the same, so one endpoint cannot hold back the others
        self.endpoint.slow_headers = True
        self._answered_request("OUT-19")
        started = time.monotonic()
        with patch("odoo.addons.b2b_dropship.models.b2b_event.SEND_TIMEOUT", 1):
            self._send()
        self.assertLess(time.monotonic() - started, self.endpoint.SLOW_FOR / 2)
        self.assertRecordValues(
            self._outbound(),
            [
                {
                    "state": "failed",
                    "attempts": 1,
                    "last_error": "No answer: no complete answer within 1 seconds",
                }
            ],
        )

    def test_event_meeting_a_fault_of_ours_fails_alone(self):
        # the first event breaks something of ours: it counts as a failed
        # attempt, and the events behind it are sent all the same
        self._answered_request("OUT-20")
        self._answered_request("OUT-21")
        post = http_post.post
        calls = []

        def broken_first(*args, **kwargs):
            calls.append(args[0])
            if len(calls) == 1:
                raise ValueError("defect met")
            return post(*args, **kwargs)

        with (
            patch.object(http_post, "post", broken_first),
            mute_logger("odoo.addons.b2b_dropship.models.b2b_event"),
        ):
            self.assertEqual(self._send(), 2)
        self.assertRecordValues(
            self._outbound(),
            [
                {
                    "reference": "OUT-20",
                    "state": "failed",
                    "attempts": 1,
                    "last_error": "Not sent because of an error on our side: "
                    "ValueError",
                },
                {
                    "reference": "OUT-21",
                    "state": "sent",
                    "attempts": 1,
                    "last_error": False,
                },
            ],
        )
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_webhook_url_must_be_http(self):
        with self.assertRaises(ValidationError) as error:
            self.connection.webhook_url = "ftp://retailer.example.com/in"
        self.assertIn("http", str(error.exception))


@tagged("post_install", "-at_install")
class TestOutboundEventSchemas(B2bShippingCommon):
    """What each outbound event carries is what the OpenAPI document says."""

    def _data(self, event_type):
        event = self.env["b2b.event"].search(
            [("direction", "=", "outbound"), ("event_type", "=", event_type)],
            order="id desc",
            limit=1,
        )
        self.assertTrue(event, event_type)
        payload = json.loads(event.payload)
        webhook = self.document["webhooks"][event_type]["post"]
        schema = webhook["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.validate(
            payload, {**schema, "components": self.document["components"]}
        )
        return payload["data"]

    def test_events_follow_the_published_schemas(self):
        self.document = api_schema.openapi_document()
        self.connection.webhook_url = "https://retailer.example.com/hooks"
        request = self._create_request("SCHEMA-1")
        for line in request.order_line:
            line.b2b_qty_available = line.product_uom_qty
        request.with_user(self.b2b_user).action_b2b_answer()
        self.assertEqual(self._data("request.answered")["reference"], "SCHEMA-1")
        request.action_b2b_convert()
        self.assertEqual(self._data("order.confirmed")["state"], "order")
        self._ship(
            request,
            quantities={self.product_a: 2, self.product_b: 0},
            carrier_id=self.carrier_tracked.id,
            tracking_ref="TRK-9",
        )
        shipment = self._data("shipment.confirmed")
        self.assertEqual(shipment["tracking"][0]["reference"], "TRK-9")
        # absent values are null, never false
        self.assertIsNone(shipment["message"])
        self.assertEqual(
            sorted(
                (line["sku"], line["retailer_sku"], line["quantity"])
                for line in shipment["backorder"]
            ),
            [("CHAIR-01", "R1-CHAIR", 3), ("TABLE-01", None, 2)],
        )
        request.with_user(self.b2b_user).action_b2b_cancel("Customer gone")
        cancelled = self._data("order.cancelled")
        self.assertEqual(cancelled["reason"], "Customer gone")
        self.assertEqual(cancelled["shipped"][0]["quantity"], 2)
        declined = self._create_request("SCHEMA-2")
        declined.with_user(self.b2b_user).action_b2b_decline("No stock")
        self.assertEqual(self._data("request.declined")["decline_reason"], "No stock")
