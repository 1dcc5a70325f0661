"""Helpers of the webhook and API tests: deliveries signed by the PyPI
``standardwebhooks`` library a retailer would use, and a real HTTP endpoint
on 127.0.0.1 that records what the supplier sends to it."""

import contextlib
import json
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import standardwebhooks

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import TransactionCase

SHIP_TO = {
    "name": "Jane Customer",
    "street": "1 rue de Rivoli",
    "city": "Paris",
    "zip": "75001",
    "country_code": "FR",
    "email": "jane@customer.example",
}


def request_data(reference="WH-1", **values):
    """``request.created`` data of 3 lines of the B2bCommon products."""
    return dict(
        {
            "reference": reference,
            "ship_to": dict(SHIP_TO),
            "lines": [
                {"retailer_sku": "R1-CHAIR", "quantity": 2},
                {
                    "sku": "TABLE-01",
                    "quantity": 1,
                    "description": "Table for the terrace",
                },
                {"sku": "CHAIR-01", "quantity": 3},
            ],
            "note": "Leave at the door",
        },
        **values,
    )


@contextlib.contextmanager
def conflict_on_first_call(model_class, method):
    """The first call of ``method`` of ``model_class`` meets a real
    serialization failure from PostgreSQL, as when a concurrent transaction
    took the same row first: Odoo then replays the whole HTTP request. Yields
    the list of the calls' arguments."""
    original = getattr(model_class, method)
    calls = []

    def conflicting(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            self.env.cr.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'concurrent update' "
                "USING ERRCODE = 'serialization_failure'; END $$",
                log_exceptions=False,
            )
        return original(self, *args, **kwargs)

    with patch.object(model_class, method, conflicting):
        yield calls


def wait_until_blocked(registry, pid, timeout=20):
    """Wait until the PostgreSQL backend ``pid`` waits for a lock (another
    transaction's row in a unique index): True, or False after ``timeout``
    seconds."""
    deadline = time.monotonic() + timeout
    with registry.cursor() as cr:
        while time.monotonic() < deadline:
            cr.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            )
            row = cr.fetchone()
            if row and row[0] == "Lock":
                return True
            cr.rollback()
            time.sleep(0.05)
    return False


def signed_headers(secret, body, msg_id=None, timestamp=None):
    """Standard Webhooks headers of ``body`` (bytes), signed by the reference
    library."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    moment = datetime.fromtimestamp(timestamp or time.time(), tz=timezone.utc)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, moment, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def envelope(event_type, data):
    return json.dumps(
        {"type": event_type, "timestamp": "2025-06-30T08:00:00Z", "data": data}
    ).encode()


class RecordingEndpoint:
    """An HTTP server on 127.0.0.1, in a thread, answering each POST with the
    next status of ``statuses`` (200 when none is left) and recording it.
    With ``endless_answer``, the answer's body goes on until the client hangs
    up (or 64 MiB): ``answer_bytes_sent`` tells how much it took. With
    ``slow_headers``, the answer's headers come a byte every 20 ms, each well
    within any read timeout, for up to ``SLOW_FOR`` seconds."""

    ENDLESS_LIMIT = 64 * 1024 * 1024
    SLOW_FOR = 10

    def __init__(self):
        self.requests = []
        self.statuses = queue.Queue()
        self.endless_answer = False
        self.slow_headers = False
        self.answer_bytes_sent = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - name required by http.server
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                endpoint.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
                try:
                    status = endpoint.statuses.get_nowait()
                except queue.Empty:
                    status = 200
                if endpoint.endless_answer:
                    self._answer_endlessly(status)
                    return
                if endpoint.slow_headers:
                    self._answer_slowly(status)
                    return
                payload = b'{"ok": true}'
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _answer_endlessly(self, status):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                chunk = b"ok " * 21845
                # until the client hangs up (the write then fails)
                with contextlib.suppress(OSError):
                    while endpoint.answer_bytes_sent < endpoint.ENDLESS_LIMIT:
                        self.wfile.write(chunk)
                        endpoint.answer_bytes_sent += len(chunk)

            def _answer_slowly(self, status):
                head = (
                    f"HTTP/1.1 {status} OK\r\nX-Slow: {'x' * 1000}\r\n"
                    "Content-Length: 2\r\nConnection: close\r\n\r\nok"
                ).encode()
                until = time.monotonic() + endpoint.SLOW_FOR
                with contextlib.suppress(OSError):
                    for position in range(len(head)):
                        if time.monotonic() > until:
                            self.wfile.write(head[position:])
                            break
                        self.wfile.write(head[position : position + 1])
                        time.sleep(0.02)
                self.close_connection = True

            def log_message(self, format, *args):  # noqa: A002 - signature of http.server
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/supplier"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def answer(self, *statuses):
        for status in statuses:
            self.statuses.put(status)


class RaceCase(TransactionCase):
    """Two real database transactions racing, each in its own cursor on its
    own PostgreSQL connection. A retailer and its connection (with
    ``connection_values``) are committed first, in a throwaway connection,
    and removed at the end, with what :meth:`_remove_more` removes."""

    connection_values = {}

    def setUp(self):
        super().setUp()
        self.registry = self.env.registry
        # The test runner holds the registry lock while tests run; the racing
        # threads look the registry up by name, which takes it. Lift it as
        # HttpCase does for its server threads (Registry.enter_test_mode).
        self.startPatcher(patch.object(Registry, "_lock", DummyRLock()))
        self.tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            retailer = env["res.partner"].create(
                {"name": f"Race Retailer {self.tag}", "is_company": True}
            )
            connection = env["b2b.connection"].create(
                dict(
                    {
                        "name": f"Race {self.tag}",
                        "code": f"race-{self.tag}",
                        "partner_id": retailer.id,
                        "state": "connected",
                    },
                    **self.connection_values,
                )
            )
            self.connection_id = connection.id
            self.retailer_id = retailer.id
            self._commit_more(env, connection)
        self.addCleanup(self._remove_committed_records)

    def _commit_more(self, env, connection):
        """More records the racing transactions need, committed with the
        connection."""

    def _remove_more(self, env):
        """Remove what the test committed before the connection goes."""

    def _remove_committed_records(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self._remove_more(env)
            env["b2b.connection"].browse(self.connection_id).unlink()
            env["res.partner"].search([("id", "child_of", self.retailer_id)]).unlink()
