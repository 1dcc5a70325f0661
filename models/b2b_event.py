import json
import logging
import secrets
import time
from datetime import timedelta

import psycopg2.errors
import requests

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools import api_schema, http_post, json_schema, webhook_signature

_logger = logging.getLogger(__name__)

# Delays before the retries of an outbound event, after its 1st, 2nd, ...
# failed attempt; after the last one the event is abandoned.
RETRY_DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
SEND_TIMEOUT = 15
# On a connection that processes webhooks at once, a request or order with
# more lines than this is still answered 202 and created by the scheduled
# action, so that the sender gets its answer within 2 seconds.
DEFAULT_SYNC_MAX_LINES = 50
# Queued inbound events the scheduled action creates together.
PROCESS_BATCH_SIZE = 100
SYNC_MAX_LINES_PARAM = "b2b_dropship.webhook_sync_max_lines"
RETENTION_DAYS_PARAM = "b2b_dropship.event_retention_days"
# Events the daily clean-up deletes per query.
GC_BATCH_SIZE = 10000
# Checked against when the connection code is unknown, so that an unknown
# code and a wrong signature cost the same time.
_DECOY_SECRET = webhook_signature.generate_secret()
UNAUTHORIZED_DETAIL = "The webhook signature could not be verified."
MAX_STORED_RESPONSE = 2000


class B2bEvent(models.Model):
    """One delivery of a retailer channel: an inbound webhook or an outbound
    notification, with what it carried and what came of it."""

    _name = "b2b.event"
    _description = "B2B Channel Event"
    _order = "id desc"

    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        index=True,
        readonly=True,
    )
    connection_id = fields.Many2one(
        "b2b.connection", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(
        related="connection_id.partner_id", string="Retailer", store=True, index=True
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    event_type = fields.Char(string="Type", index=True, readonly=True)
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        help=(
            "The webhook-id of the message: the sender's for inbound events, ours "
            "for outbound ones."
        ),
    )
    payload = fields.Text(readonly=True, help="The body, exactly as received or sent.")
    payload_altered = fields.Boolean(
        readonly=True,
        help="The body was not UTF-8 text: the payload shows it with replacement "
        "characters, and it cannot be processed again (the sender must send it "
        "anew).",
    )
    state = fields.Selection(
        [
            ("received", "Received"),
            ("done", "Done"),
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("abandoned", "Abandoned"),
        ],
        required=True,
        index=True,
        readonly=True,
    )
    attempts = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)
    next_attempt_at = fields.Datetime(string="Next Attempt", index=True, readonly=True)
    order_id = fields.Many2one(
        "sale.order",
        string="Request or Order",
        index=True,
        ondelete="set null",
        readonly=True,
    )
    reference = fields.Char(
        readonly=True, help="The retailer's reference named by the event."
    )
    response_status = fields.Integer(readonly=True)
    response = fields.Text(
        readonly=True,
        help="Inbound: the answer given to the first delivery, given again to every "
        "redelivery. Outbound: what the retailer's endpoint last answered.",
    )
    processed_at = fields.Datetime(readonly=True)
    sent_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "unique(connection_id, direction, idempotency_key)",
            "An event with this id was already delivered on this connection.",
        ),
    ]

    @api.depends("event_type", "idempotency_key")
    def _compute_display_name(self):
        for event in self:
            event.display_name = (
                f"{event.event_type or _('Unreadable event')} ({event.idempotency_key})"
            )

    # Actions ---------------------------------------------------------------

    def action_retry(self):
        """Process failed inbound events again, send failed outbound ones again."""
        inbound = self.filtered(lambda event: event.direction == "inbound")
        outbound = self - inbound
        for event in self:
            if event.state not in ("failed", "abandoned", "received"):
                raise UserError(
                    _(
                        "%(event)s is %(state)s: only failed events are retried.",
                        event=event.display_name,
                        state=dict(
                            self._fields["state"]._description_selection(self.env)
                        )[event.state],
                    )
                )
        for event in outbound:
            if not event.connection_id.webhook_url:
                raise UserError(
                    _(
                        "The connection %(name)s has no webhook URL to send to.",
                        name=event.connection_id.name,
                    )
                )
        inbound._b2b_process()
        if outbound:
            outbound.write(
                {
                    "state": "pending",
                    "next_attempt_at": fields.Datetime.now(),
                    "attempts": 0,
                }
            )
            self.env.ref("b2b_dropship.cron_send_events").sudo()._trigger()
        return True

    # Inbound webhooks --------------------------------------------------------

    @api.model
    def _b2b_receive_webhook(self, code, headers, body):
        """Verify, record and process one webhook delivery.

        :param str code: the connection code of the URL.
        :param headers: the ``webhook-id``, ``webhook-timestamp`` and
            ``webhook-signature`` header values (text or bytes), by name.
        :param bytes body: the raw body, at most 1 MiB.
        :return: ``(status, body)``, the HTTP answer: the body is a dict,
            an RFC 9457 problem when ``status`` is 400 or more.
        """
        self = self.sudo()
        connection = self.env["b2b.connection"]._b2b_webhook_connection(code)
        try:
            verification = webhook_signature.verify(
                connection._b2b_webhook_secrets() if connection else [_DECOY_SECRET],
                headers.get(webhook_signature.HEADER_ID),
                headers.get(webhook_signature.HEADER_TIMESTAMP),
                headers.get(webhook_signature.HEADER_SIGNATURE),
                body,
            )
        except (
            webhook_signature.WebhookVerificationError,
            webhook_signature.InvalidSecretError,
        ) as error:
            _logger.info("Webhook refused for connection code %r: %s", code, error)
            return 401, api_schema.problem(401, UNAUTHORIZED_DETAIL)
        if not connection:
            return 401, api_schema.problem(401, UNAUTHORIZED_DETAIL)
        key = verification.msg_id
        if "\x00" in key:
            return 422, api_schema.problem(
                422,
                _("The webhook-id header must not contain the NUL character."),
                errors=[
                    {
                        "path": webhook_signature.HEADER_ID,
                        "message": _("Invalid character."),
                    }
                ],
            )
        if connection.state != "connected" or not connection.active:
            # the retry of a delivery answered before the connection stopped
            # gets that answer: the retailer may never have received it
            earlier = self.search(
                self._b2b_inbound_domain(connection, key)
                + [("response_status", "!=", False)],
                limit=1,
            )
            if earlier:
                return earlier._b2b_stored_answer()
            try:
                connection._check_can_receive()
            except B2bRefusedError as refusal:
                return 403, api_schema.problem(403, refusal.args[0])
        # checked as bytes: a body that is not UTF-8 is refused, not mended
        envelope, errors = self._b2b_read_payload(body)
        payload = body.decode("utf-8", "replace").replace("\x00", "\ufffd")
        event = self._b2b_inbound_event(
            connection, key, payload, *self._b2b_envelope_labels(envelope)
        )
        if payload.encode() != body:
            event.payload_altered = True
        if event.response_status:
            # a redelivery: nothing new, the answer of the first delivery
            return event._b2b_stored_answer()
        if errors:
            return event._b2b_answer_first(
                422,
                api_schema.problem(
                    422, _("The webhook body is not valid."), errors=errors
                ),
                "failed",
            )
        if event._b2b_defer(envelope):
            status, answer = event._b2b_check_envelope(envelope)
            if status:
                return event._b2b_answer_first(status, answer, "failed")
            self._b2b_trigger_processing()
            return event._b2b_answer_first(
                202,
                {"status": "accepted", "reference": event.reference},
                "received",
            )
        status, answer = event._b2b_process_envelope(envelope)
        return event._b2b_answer_first(status, answer)

    @api.model
    def _b2b_inbound_event(self, connection, key, payload, event_type, reference):
        """The inbound event of this webhook-id, created if new.

        Two deliveries of one id may arrive at once on two workers. The event
        is inserted with ``ON CONFLICT DO NOTHING`` on the unique
        (connection, direction, key) index: the second insert waits for the
        first transaction; when that one commits, PostgreSQL aborts the
        second with a serialization failure (its snapshot cannot see the
        row), Odoo replays that request in a new transaction, and the replay
        finds the event and answers what the first delivery was answered.
        """
        # the insert comes first: a new delivery (the common case) costs no
        # search; a redelivery inserts nothing and finds the first one's event
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO b2b_event (
                    connection_id, partner_id, company_id, direction, idempotency_key,
                    event_type, reference, state, attempts, payload,
                    create_uid, write_uid, create_date, write_date
                )
                VALUES (%s, %s, %s, 'inbound', %s, %s, %s, 'received', 0, %s, %s, %s,
                        now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (connection_id, direction, idempotency_key) DO NOTHING
                RETURNING id
                """,
                connection.id,
                connection.partner_id.id,
                connection.company_id.id,
                key,
                event_type,
                reference or None,
                payload,
                self.env.uid,
                self.env.uid,
            ),
            # a serialization failure here is the expected end of a duplicate
            # racing its first delivery: Odoo replays the request, no error
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0])
        return self.search(self._b2b_inbound_domain(connection, key), limit=1)

    @api.model
    def _b2b_inbound_domain(self, connection, key):
        return [
            ("connection_id", "=", connection.id),
            ("direction", "=", "inbound"),
            ("idempotency_key", "=", key),
        ]

    def _b2b_stored_answer(self):
        self.ensure_one()
        return self.response_status, json.loads(self.response)

    def _b2b_answer_first(self, status, answer, state=None):
        """Record the answer given to the first delivery, and give it."""
        self.ensure_one()
        values = {"response_status": status, "response": json.dumps(answer)}
        if state:
            values["state"] = state
        if state == "failed":
            values.update(
                processed_at=fields.Datetime.now(),
                last_error=self._b2b_error_text(answer),
            )
        self.write(values)
        return status, answer

    @api.model
    def _b2b_read_payload(self, payload):
        """Parse and check a body (bytes or text): ``(envelope, errors)``."""
        try:
            envelope = json_schema.loads(payload or "")
        except json_schema.JsonBodyError as error:
            return None, [{"path": "", "message": str(error)}]
        errors = json_schema.validate(envelope, api_schema.ENVELOPE_SCHEMA)
        if not errors:
            schema = api_schema.inbound_data_schema(envelope["type"], envelope["data"])
            errors = json_schema.validate(envelope["data"], schema, "data")
        return envelope, errors

    @api.model
    def _b2b_payload_reference(self, envelope):
        return self._b2b_envelope_labels(envelope)[1] or False

    @api.model
    def _b2b_envelope_labels(self, envelope):
        """``(type, reference)`` of a body, as far as they can be read, for the
        event log (even of a body refused as invalid)."""

        def text(value, size):
            if isinstance(value, str) and "\x00" not in value and value.strip():
                return value.strip()[:size]
            return None

        if not isinstance(envelope, dict):
            return None, None
        data = envelope.get("data")
        reference = data.get("reference") if isinstance(data, dict) else None
        return text(envelope.get("type"), 64), text(reference, 128)

    @api.model
    def _b2b_trigger_processing(self):
        """Have the scheduled action process the queue as soon as possible.

        Like ``ir.cron._trigger``, but the cron workers are woken (a NOTIFY,
        on a new connection to the ``postgres`` database) only when no
        trigger is pending already: during a burst of deliveries, the
        pending trigger's wake-up serves them all, and a run that ends with
        triggers created while it ran wakes the workers again
        (:meth:`_cron_process_events`).
        """
        cron = self.env.ref("b2b_dropship.cron_process_events").sudo()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s "
                "LIMIT 1",
                cron.id,
                now,
            )
        )
        if not self.env.cr.fetchone():
            cron._trigger()
        else:
            self.env["ir.cron.trigger"].sudo().create(
                {"cron_id": cron.id, "call_at": now}
            )

    @api.model
    def _b2b_creation_kind(self, envelope):
        """``request`` or ``order`` when the event creates one, else None."""
        event_type, data = envelope["type"], envelope["data"]
        if event_type == "request.created":
            return "request"
        if event_type == "order.created" and ("lines" in data or "ship_to" in data):
            return "order"
        return None

    def _b2b_defer(self, envelope):
        """Whether the event is answered 202 and processed by the scheduled
        action: a new request or order on a connection that queues them, or
        one too large to be created within the answer's time."""
        if not self._b2b_creation_kind(envelope):
            return False
        if self.connection_id.webhook_processing == "queued":
            return True
        lines = envelope["data"].get("lines")
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(SYNC_MAX_LINES_PARAM, DEFAULT_SYNC_MAX_LINES)
        )
        return isinstance(lines, list) and len(lines) > limit

    def _b2b_check_envelope(self, envelope):
        """Check a request or order to be created later as it will be created,
        so that the sender hears at once of what it must fix: ``(None,
        None)`` when it can be queued, else the ``(status, problem)`` to
        answer. Creates nothing."""
        self.ensure_one()
        connection = self.connection_id.with_env(self._b2b_public_env())
        data = envelope["data"]
        try:
            connection._b2b_receive_values(
                self._b2b_creation_kind(envelope),
                data,
                known_references=self._b2b_used_references(connection, [data]),
            )
        except (B2bInputError, B2bRefusedError) as error:
            return self._b2b_problem(error, data)
        return None, None

    def _b2b_used_references(self, connection, data_list, queued=True):
        """The references of ``data_list`` that the connection's requests and
        orders already use, or (``queued``) its other queued events."""
        references = [
            data["reference"].strip()
            for data in data_list
            if isinstance(data.get("reference"), str)
        ]
        if not references:
            return set()
        self.env["sale.order"].flush_model(["b2b_connection_id", "client_order_ref"])
        query = SQL(
            """
            SELECT client_order_ref FROM sale_order
            WHERE b2b_connection_id = %s AND client_order_ref = ANY(%s)
            """,
            connection.id,
            references,
        )
        if queued:
            self.flush_model()
            query = SQL(
                """
                %s
                UNION ALL
                SELECT reference FROM b2b_event
                WHERE connection_id = %s AND direction = 'inbound'
                  AND state = 'received' AND response_status = 202
                  AND event_type IN ('request.created', 'order.created')
                  AND reference = ANY(%s) AND NOT id = ANY(%s)
                """,
                query,
                connection.id,
                references,
                self.ids,
            )
        self.env.cr.execute(query)
        return {row[0] for row in self.env.cr.fetchall()}

    def _b2b_public_env(self):
        """The environment the retailer's changes are made in: the public
        user's (the webhook's user) with superuser rights."""
        return self.env(user=self.env.ref("base.public_user").id, su=True)

    def _b2b_process(self):
        """Process received or failed inbound events; done ones are left alone."""
        for event in self:
            if event.direction != "inbound" or event.state == "done":
                continue
            envelope, errors = event._b2b_read_payload(event.payload)
            if event.payload_altered:
                # what was stored is not what was sent: it was refused (422)
                # and the sender was told to send it again
                errors = [
                    {
                        "path": "",
                        "message": _(
                            "The body was not UTF-8 text: it cannot be processed "
                            "from what was stored. Ask the retailer to send it again."
                        ),
                    }
                ]
            if errors:
                event.write(
                    {
                        "state": "failed",
                        "attempts": event.attempts + 1,
                        "processed_at": fields.Datetime.now(),
                        "last_error": "\n".join(
                            f"{e['path']}: {e['message']}" for e in errors
                        ),
                    }
                )
                continue
            event.write(
                {
                    "event_type": envelope["type"],
                    "reference": self._b2b_payload_reference(envelope),
                }
            )
            event._b2b_process_envelope(envelope)

    def _b2b_process_envelope(self, envelope):
        """Apply a valid event to the requests and orders; ``(status, answer)``.

        Runs in a savepoint: an event that fails changes nothing but itself.
        The retailer's changes are made as the public user (the webhook's
        user) with superuser rights, whether the event is processed on
        arrival, by the scheduled action, or retried by a manager.
        """
        self.ensure_one()
        connection = self.connection_id
        public_env = self._b2b_public_env()
        data = envelope["data"]
        try:
            with self.env.cr.savepoint():
                order = self.with_env(public_env)._b2b_apply(
                    connection.with_env(public_env), envelope["type"], data
                )
                # computations left pending by the changes are made now, with
                # the rights they were made with, not later in the request's
                # environment (the public user's)
                public_env.flush_all()
        except AccessError:
            # a fault of ours, not of the sender: never explained to it
            raise
        except (
            B2bInputError,
            B2bRefusedError,
            psycopg2.errors.UniqueViolation,
            UserError,
        ) as error:
            return self._b2b_processed(*self._b2b_problem(error, data))
        return self._b2b_processed(200, self._b2b_order_answer(order), order)

    @api.model
    def _b2b_order_answer(self, order):
        return {
            "status": "processed",
            "reference": order.client_order_ref or None,
            "name": order.name,
            "state": order.b2b_state,
        }

    @api.model
    def _b2b_problem(self, error, data):
        """``(status, RFC 9457 problem)`` of an event that cannot be applied:
        ``error`` is what applying it raised."""
        if isinstance(error, B2bInputError):
            errors = [
                dict(e, path=f"data.{e['path']}" if e.get("path") else "data")
                for e in error.errors
            ]
            return 422, api_schema.problem(
                422, _("The event could not be processed."), errors=errors
            )
        if isinstance(error, B2bRefusedError):
            return 403, api_schema.problem(403, error.args[0])
        if isinstance(error, psycopg2.errors.UniqueViolation):
            message = _(
                "The reference %(reference)s is already used by another request or "
                "order.",
                reference=data.get("reference"),
            )
        else:
            # the guards of the transitions: not in a state that allows it
            message = error.args[0]
        return 409, api_schema.problem(
            409, message, errors=[{"path": "data.reference", "message": message}]
        )

    def _b2b_processed(self, status, answer, order=None):
        self.ensure_one()
        values = {
            "attempts": self.attempts + 1,
            "processed_at": fields.Datetime.now(),
            "state": "done" if status < 300 else "failed",
            "last_error": False if status < 300 else self._b2b_error_text(answer),
        }
        if order:
            values["order_id"] = order.id
        elif self.reference and not self.order_id:
            values["order_id"] = (
                self.env["sale.order"]
                .search(
                    [
                        ("b2b_connection_id", "=", self.connection_id.id),
                        ("client_order_ref", "=", self.reference),
                    ],
                    limit=1,
                )
                .id
            )
        self.write(values)
        return status, answer

    @api.model
    def _b2b_error_text(self, answer):
        errors = answer.get("errors") or []
        if not errors:
            return answer.get("detail") or ""
        return "\n".join(
            f"{error['path']}: {error['message']}"
            if error["path"]
            else error["message"]
            for error in errors
        )

    @api.model
    def _b2b_apply(self, connection, event_type, data):
        """Do what an inbound event asks; return the request or order concerned."""
        kind = self._b2b_creation_kind({"type": event_type, "data": data})
        if kind:
            # the references of the other queued events are theirs, this
            # one's own (when retried) is not
            return connection._b2b_receive(
                kind,
                data,
                known_references=self._b2b_used_references(connection, [data]),
            )
        order = self._b2b_find_order(connection, data["reference"])
        if event_type == "order.created":
            order.action_b2b_convert()
        elif event_type == "request.reopened":
            order.action_b2b_reopen()
        elif event_type == "order.cancelled":
            order.action_b2b_cancel(data["reason"])
        else:
            raise KeyError(event_type)
        return order

    @api.model
    def _b2b_find_order(self, connection, reference):
        """The request or order of ``reference``; when it is still queued
        (a cancellation right behind its creation), created first."""
        domain = [
            ("b2b_connection_id", "=", connection.id),
            ("client_order_ref", "=", reference.strip()),
        ]
        order = self.env["sale.order"].search(domain, limit=1)
        if not order:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id FROM b2b_event
                    WHERE connection_id = %s AND direction = 'inbound'
                      AND state = 'received' AND response_status = 202
                      AND reference = %s
                    ORDER BY id FOR UPDATE
                    """,
                    connection.id,
                    reference.strip(),
                )
            )
            queued = self.browse(row[0] for row in self.env.cr.fetchall())
            if queued:
                queued._b2b_process_queued()
                order = self.env["sale.order"].search(domain, limit=1)
        if not order:
            raise B2bInputError(
                [
                    {
                        "path": "reference",
                        "message": _(
                            "No request or order has the reference %(reference)s.",
                            reference=reference,
                        ),
                    }
                ]
            )
        return order

    # Outbound events -----------------------------------------------------------

    @api.model
    def _b2b_create_outbound(self, orders_data, event_type):
        """Record outbound events, pending: ``orders_data`` is ``[(order, data)]``.

        Orders of connections without a webhook URL are skipped.
        """
        now = fields.Datetime.now()
        timestamp = now.isoformat() + "Z"
        vals_list = []
        for order, data in orders_data:
            connection = order.b2b_connection_id
            if not connection.webhook_url:
                continue
            vals_list.append(
                {
                    "direction": "outbound",
                    "connection_id": connection.id,
                    "event_type": event_type,
                    "idempotency_key": "msg_" + secrets.token_urlsafe(18),
                    "payload": json.dumps(
                        {"type": event_type, "timestamp": timestamp, "data": data},
                        separators=(",", ":"),
                    ),
                    "state": "pending",
                    "next_attempt_at": now,
                    "order_id": order.id,
                    "reference": order.client_order_ref,
                }
            )
        if not vals_list:
            return self.browse()
        events = self.sudo().create(vals_list)
        self.env.ref("b2b_dropship.cron_send_events").sudo()._trigger()
        return events

    def _b2b_send(self):
        """POST one outbound event to the retailer's endpoint, signed."""
        self.ensure_one()
        connection = self.connection_id
        url = connection.webhook_url
        body = self.payload.encode()
        headers = webhook_signature.sign_headers(
            connection._b2b_outbound_secrets(), self.idempotency_key, body
        )
        headers.update(
            {
                "Content-Type": "application/json",
                "User-Agent": "b2b-dropship-webhooks/1.0",
            }
        )
        attempts = self.attempts + 1
        try:
            # the whole exchange is bounded, and of the answer only its start
            # is read: an endpoint cannot hold the scheduled action
            answer = http_post.post(
                url,
                body,
                headers,
                deadline=SEND_TIMEOUT,
                # a character takes up to 4 bytes
                max_bytes=4 * MAX_STORED_RESPONSE,
            )
        except requests.RequestException as error:
            _logger.info(
                "Webhook event %s to connection %s failed: %s",
                self.id,
                connection.id,
                type(error).__name__,
            )
            self._b2b_delivery_failed(attempts, _("No answer: %(error)s", error=error))
            return False
        text = answer.text[:MAX_STORED_RESPONSE]
        if 200 <= answer.status < 300:
            self.write(
                {
                    "state": "sent",
                    "attempts": attempts,
                    "sent_at": fields.Datetime.now(),
                    "next_attempt_at": False,
                    "last_error": False,
                    "response_status": answer.status,
                    "response": text,
                }
            )
            return True
        if answer.status == 410:
            self.write({"attempts": attempts, "response_status": 410, "response": text})
            connection._b2b_webhook_gone(self)
            return False
        self._b2b_delivery_failed(
            attempts,
            _("The endpoint answered %(status)s.", status=answer.status),
            answer.status,
            text,
        )
        return False

    def _b2b_send_isolated(self):
        """:meth:`_b2b_send` for the scheduled action: an error of ours with
        this event counts as a failed attempt (tried again later, then
        abandoned), rather than stopping the queue at it for every retailer."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return self._b2b_send()
        except psycopg2.OperationalError:
            # a conflict with a concurrent transaction: the next run
            raise
        except Exception as error:  # pylint: disable=broad-exception-caught
            _logger.exception("Webhook event %s could not be sent", self.id)
            self._b2b_delivery_failed(
                self.attempts + 1,
                _(
                    "Not sent because of an error on our side: %(error)s",
                    error=type(error).__name__,
                ),
            )
            return False

    def _b2b_delivery_failed(self, attempts, error, status=None, text=None):
        self.ensure_one()
        values = {"attempts": attempts, "last_error": error}
        if status is not None:
            values.update(response_status=status, response=text)
        if attempts > len(RETRY_DELAYS):
            values.update(state="abandoned", next_attempt_at=False)
            self.write(values)
            self.connection_id._b2b_notify_abandoned(self)
            return
        next_attempt = fields.Datetime.now() + RETRY_DELAYS[attempts - 1]
        values.update(state="failed", next_attempt_at=next_attempt)
        self.write(values)
        self.env.ref("b2b_dropship.cron_send_events").sudo()._trigger(next_attempt)

    # Scheduled actions -----------------------------------------------------------

    @api.model
    def _cron_send_events(self, limit=200, time_budget=240):
        """Send the outbound events that are due, one transaction each."""
        return self._b2b_run_queue(
            lambda: SQL(
                """
                SELECT event.id FROM b2b_event event
                JOIN b2b_connection connection ON connection.id = event.connection_id
                WHERE event.direction = 'outbound'
                  AND event.state IN ('pending', 'failed')
                  AND event.next_attempt_at <= %s
                  AND connection.webhook_url IS NOT NULL
                  AND connection.webhook_url != ''
                ORDER BY event.next_attempt_at, event.id
                LIMIT 1 FOR UPDATE OF event SKIP LOCKED
                """,
                fields.Datetime.now(),
            ),
            lambda event: event._b2b_send_isolated(),
            limit,
            time_budget,
        )

    @api.model
    def _cron_process_events(
        self, limit=5000, time_budget=240, batch_size=PROCESS_BATCH_SIZE
    ):
        """Process the inbound events answered 202, oldest first, a batch per
        transaction: the requests and orders of a batch are created
        together, which is several times cheaper than one by one."""
        start = time.monotonic()
        started_at = fields.Datetime.now()
        done = 0
        handled = set()
        while done < limit and time.monotonic() - start < time_budget:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id FROM b2b_event
                    WHERE direction = 'inbound' AND state = 'received'
                      AND response_status IS NOT NULL
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                    """,
                    min(batch_size, limit - done),
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall() if row[0] not in handled]
            if not ids:
                break
            handled.update(ids)
            self.browse(ids)._b2b_process_queued()
            done += len(ids)
            self._b2b_commit()
        self._b2b_wake_for_later_triggers(started_at)
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=0 if done < limit else 1
        )
        return done

    @api.model
    def _b2b_wake_for_later_triggers(self, started_at):
        """Deliveries queued while the run went on found its trigger pending
        and did not wake the cron workers (:meth:`_b2b_trigger_processing`):
        their triggers outlive the run, and the workers are woken for them
        once it is committed, as the deliveries would have done."""
        cron = self.env.ref("b2b_dropship.cron_process_events").sudo()
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at >= %s "
                "LIMIT 1",
                cron.id,
                started_at,
            )
        )
        if self.env.cr.fetchone():
            self.env.cr.postcommit.add(cron._notifydb)

    def _b2b_process_queued(self):
        """Process received inbound events: the new requests and orders of a
        connection together, the other events one by one, in their order.

        When a connection's batch breaks on a fault of ours, its events are
        processed one by one, and one that still breaks is failed (and can be
        retried once the cause is fixed): one event never holds back the
        queue of every retailer."""
        for connection, events in self.grouped("connection_id").items():
            try:
                with self.env.cr.savepoint():
                    events._b2b_process_queued_batch(connection)
            except psycopg2.OperationalError:
                # a conflict with a concurrent transaction: the next run
                raise
            except Exception as error:  # pylint: disable=broad-exception-caught
                if len(events) > 1:
                    for event in events:
                        event._b2b_process_queued()
                    continue
                events._b2b_failed_on_our_side(error)

    def _b2b_process_queued_batch(self, connection):
        creations = []
        for event in self:
            if event.direction != "inbound" or event.state != "received":
                continue
            envelope, errors = event._b2b_read_payload(event.payload)
            if not errors and event._b2b_creation_kind(envelope):
                creations.append((event, envelope))
            else:
                event._b2b_process()
        if creations:
            self._b2b_create_queued(connection, creations)

    @api.model
    def _b2b_create_queued(self, connection, creations):
        """Create the requests and orders of ``[(event, envelope)]``, all of
        one connection, together."""
        public_env = self._b2b_public_env()
        connection = connection.with_env(public_env)
        data_list = [envelope["data"] for _event, envelope in creations]
        products = connection._b2b_find_products(
            [line for data in data_list for line in data.get("lines") or []]
        )
        events = self.browse(event.id for event, _envelope in creations)
        # the batch is processed in the order of arrival: the first event of a
        # reference wins over a later one, queued or in this batch
        used = events._b2b_used_references(connection, data_list, queued=False)
        pending = []
        for event, envelope in creations:
            data = envelope["data"]
            try:
                values = connection._b2b_receive_values(
                    event._b2b_creation_kind(envelope), data, products, used
                )
            except (B2bInputError, B2bRefusedError) as error:
                event._b2b_processed(*event._b2b_problem(error, data))
                continue
            # a later event of the batch naming the same reference is refused
            used.add(values["client_order_ref"])
            pending.append((event, data, values))
        if pending:
            connection._b2b_prepare_received([item[2] for item in pending])
            self._b2b_create_pending(connection, pending)

    @api.model
    def _b2b_create_pending(self, connection, pending):
        """Create the checked ``[(event, data, values)]`` together; when that
        fails (a reference taken meanwhile, or any fault of one of them),
        one by one, so that one event never holds the others back."""
        try:
            with self.env.cr.savepoint():
                orders = connection._b2b_create_received(
                    [values for _event, _data, values in pending]
                )
                connection.env.flush_all()
        except (AccessError, psycopg2.OperationalError):
            # a fault of ours, or a conflict with a concurrent transaction
            # that the scheduled action's next run resolves
            raise
        except Exception as error:
            if len(pending) > 1:
                for item in pending:
                    self._b2b_create_pending(connection, [item])
                return
            event, data, _values = pending[0]
            if isinstance(error, psycopg2.errors.UniqueViolation | UserError):
                event._b2b_processed(*event._b2b_problem(error, data))
                return
            event._b2b_failed_on_our_side(error)
            return
        for (event, _data, _values), order in zip(pending, orders, strict=True):
            event._b2b_processed(200, event._b2b_order_answer(order), order)

    def _b2b_failed_on_our_side(self, error):
        """Fail the event on an error of ours (``error``, being handled): the
        details go to the log, the sender reads only what kind of error."""
        self.ensure_one()
        _logger.exception("Inbound event %s could not be processed", self.id)
        self._b2b_processed(
            500,
            api_schema.problem(
                500,
                _(
                    "The event could not be processed: %(error)s",
                    error=type(error).__name__,
                ),
            ),
        )

    @api.model
    def _b2b_run_queue(self, next_query, handle, limit, time_budget):
        """Take due events one at a time (locked, so that two workers never
        take the same), handle each and commit it before the next."""
        start = time.monotonic()
        done = 0
        handled = set()
        while done < limit and time.monotonic() - start < time_budget:
            self.env.flush_all()
            self.env.cr.execute(next_query())
            row = self.env.cr.fetchone()
            if not row or row[0] in handled:
                break
            handled.add(row[0])
            handle(self.browse(row[0]))
            done += 1
            self._b2b_commit()
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=0 if done < limit else 1
        )
        return done

    @api.autovacuum
    def _gc_events(self):
        """Delete the events that ended well (inbound ``done``, outbound
        ``sent``) and did not change for the retention period (days, system
        parameter ``b2b_dropship.event_retention_days``, 90 at installation;
        0 or none keeps them all).
        Webhooks can arrive by the million: their payloads live on in the
        orders they created. Failed, abandoned and waiting events stay until
        someone deals with them."""
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_DAYS_PARAM)
        try:
            days = int(value or 0)
        except ValueError:
            _logger.warning(
                "Channel events kept: %s is not a number of days.", RETENTION_DAYS_PARAM
            )
            return 0
        if days <= 0:
            return 0
        domain = [
            ("state", "in", ("done", "sent")),
            ("write_date", "<", fields.Datetime.now() - timedelta(days=days)),
        ]
        deleted = 0
        while events := self.sudo().search(domain, limit=GC_BATCH_SIZE, order="id"):
            events.unlink()
            deleted += len(events)
            if len(events) < GC_BATCH_SIZE:
                break
        if deleted:
            _logger.info("Deleted %d channel events older than %d days.", deleted, days)
        return deleted

    def _b2b_commit(self):
        # Each event is its own unit of work: an outbound POST cannot be taken
        # back, so its outcome is committed before the next one. Tests run in
        # one transaction and must never commit.
        self.env["sale.order"]._b2b_commit_batch()
