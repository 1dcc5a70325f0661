#!/usr/bin/env python3
"""Webhook deliveries per second on one Odoo worker, against a plain JSON-RPC create.

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_webhooks.py --db b2b_bench_webhooks

An Odoo server is started for the run on a free loopback port with one HTTP
worker (``--workers 1``, the default: one prefork worker process, requests
served one at a time; ``--workers 0`` runs the threaded server, one process)
and one cron worker, which runs the scheduled action that creates the queued
requests. A bounded load generator then sends, from ``--clients`` threads
with keep-alive connections, ``--count`` requests of each kind below (after
``--warmup`` requests of each that are not measured), in ``--rounds``
alternating rounds so that both kinds meet the same machine, and stops after
``--max-seconds`` whatever is left:

1. webhooks: ``POST /b2b/v1/webhooks/<code>``, ``request.created`` with 3
   lines, each with its own webhook-id and reference, signed by the PyPI
   ``standardwebhooks`` library as a retailer would (the signing time counts
   in the latency, as it would for the retailer). The connection processes
   webhooks as ``--processing`` says: ``queued`` (the default of a
   connection: answered 202 once checked, created by the scheduled action)
   or ``immediate`` (created before the 200 answer). After each round of
   webhooks, the run waits until the scheduled action has created every
   queued request before it goes on, and counts that wait: ``per_second`` is
   what the retailer's sender sees, ``created_per_second`` the requests
   created per second from the first delivery of a round to the last
   request created, the rate the supplier sustains. With ``--rate``, the
   webhooks leave on a schedule, that many a second (open loop), to show
   whether the supplier keeps up with a steady stream: what
   ``seconds_until_created`` exceeds ``seconds`` by is then the time the
   queue took to empty after the last delivery;
2. the same requests created without the channel: ``sale.order.create`` through
   Odoo's ``/web/dataset/call_kw`` JSON-RPC route, as an internal user with a
   session, with the same values ``_b2b_receive`` writes (retailer,
   connection, request state, reference, ship-to contact, the 3 lines). What
   it leaves out is what the channel adds: signature, body validation,
   product and address look-ups, the event log and its idempotency.

Every request ships to the same address, so both sides create the order and
its lines only (the webhook finds the ship-to contact it created on the first
delivery). Prints, for each, the requests sent, the errors (any answer other
than 200 or 202 with the reference), deliveries per second over the measured
phase and the latency percentiles, and writes them to
bench/results/webhooks_<processing>.json. The database is created on first use
(bench/populate.py); the requests created stay, each run uses new references.

The server runs with ``-d <db>`` and no ``--db-filter``: a server of one
database. With a database filter, Odoo lists the databases (a new connection
to PostgreSQL) on every request that has no session, which webhooks never
have; that alone took a third of the answer's time here.
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import populate  # noqa: E402
import requests  # noqa: E402
import standardwebhooks  # noqa: E402

CODE = "webhookbench"
USER_LOGIN = "webhook.bench@example.com"
USER_PASSWORD = "webhook-bench-password"
SKUS = ["WHB-CHAIR", "WHB-TABLE", "WHB-LAMP"]
SHIP_TO = {
    "name": "Bench Customer",
    "street": "1 Bench Street",
    "city": "Lyon",
    "zip": "69002",
    "country_code": "FR",
    "email": "customer@bench.example",
}
RESULTS = Path(__file__).resolve().parent / "results"


def say(message):
    print(f"[bench] {message}", flush=True)


def setup(env, processing):
    """The connection, its products and the internal user of the comparison."""
    products = env["product.product"].search([("default_code", "in", SKUS)])
    for sku in set(SKUS) - set(products.mapped("default_code")):
        env["product.product"].create(
            {
                "name": f"Bench {sku}",
                "default_code": sku,
                "list_price": 20.0,
                "sale_ok": True,
            }
        )
    connection = env["b2b.connection"].search([("code", "=", CODE)], limit=1)
    if not connection:
        retailer = env["res.partner"].create(
            {
                "name": "Webhook Bench Retail",
                "is_company": True,
                "email": "orders@webhook-bench.example",
            }
        )
        connection = env["b2b.connection"].create(
            {
                "name": "Webhook Bench Retail",
                "code": CODE,
                "partner_id": retailer.id,
                "state": "connected",
            }
        )
    connection.webhook_processing = processing
    user = env["res.users"].search([("login", "=", USER_LOGIN)], limit=1)
    if not user:
        user = env["res.users"].create(
            {
                "name": "Webhook Bench",
                "login": USER_LOGIN,
                "groups_id": [(6, 0, [env.ref("b2b_dropship.group_b2b_user").id])],
            }
        )
    user.password = USER_PASSWORD
    # the ship-to contact both sides use (the webhook finds this one)
    country = env.ref("base.fr")
    ship_to = env["res.partner"].search(
        [
            ("parent_id", "=", connection.partner_id.id),
            ("type", "=", "delivery"),
            ("name", "=", SHIP_TO["name"]),
        ],
        limit=1,
    )
    if not ship_to:
        ship_to = env["res.partner"].create(
            {
                "parent_id": connection.partner_id.id,
                "type": "delivery",
                "name": SHIP_TO["name"],
                "street": SHIP_TO["street"],
                "city": SHIP_TO["city"],
                "zip": SHIP_TO["zip"],
                "country_id": country.id,
                "email": SHIP_TO["email"],
                "lang": connection.lang,
            }
        )
    products = env["product.product"].search([("default_code", "in", SKUS)])
    return {
        "secret": connection.webhook_secret,
        "connection_id": connection.id,
        "retailer_id": connection.partner_id.id,
        "ship_to_id": ship_to.id,
        "product_ids": {product.default_code: product.id for product in products},
    }


def odoo_server(args, port):
    return populate.odoo_http_server(
        args.db,
        port,
        [
            f"--max-cron-threads={1 if args.processing == 'queued' else 0}",
            f"--workers={args.workers}",
        ],
        args.odoo_path,
        args.db_host,
        args.db_port,
        args.db_user,
    )


def wait_until_created(args, context, timeout=600):
    """Wait until no webhook of the bench connection waits in the queue."""
    conn = populate._connect(args.db, args.db_host, args.db_port, args.db_user)
    try:
        deadline = time.monotonic() + timeout
        with conn.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT count(*) FROM b2b_event WHERE connection_id = %s "
                    "AND direction = 'inbound' AND state = 'received'",
                    [context["connection_id"]],
                )
                if not cr.fetchone()[0]:
                    return
                time.sleep(0.05)
        raise RuntimeError("the queued webhooks were not all processed in time")
    finally:
        conn.close()


def request_data(reference):
    return {
        "reference": reference,
        "ship_to": SHIP_TO,
        "lines": [
            {"sku": SKUS[0], "quantity": 2},
            {"sku": SKUS[1], "quantity": 1},
            {"sku": SKUS[2], "quantity": 4},
        ],
        "note": "Benchmark",
    }


class WebhookClient:
    def __init__(self, base_url, context):
        self.session = requests.Session()
        self.url = f"{base_url}/b2b/v1/webhooks/{CODE}"
        self.signer = standardwebhooks.Webhook(context["secret"])

    def send(self, reference):
        body = json.dumps({"type": "request.created", "data": request_data(reference)})
        msg_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(tz=timezone.utc)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(msg_id, now, body),
            "Content-Type": "application/json",
        }
        response = self.session.post(
            self.url, data=body.encode(), headers=headers, timeout=30
        )
        return (
            response.status_code in (200, 202)
            and response.json().get("reference") == reference
        )


class JsonRpcClient:
    def __init__(self, base_url, context, db):
        self.session = requests.Session()
        self.base_url = base_url
        self.context = context
        response = self.session.post(
            f"{base_url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": db, "login": USER_LOGIN, "password": USER_PASSWORD},
            },
            timeout=30,
        )
        response.raise_for_status()
        if response.json().get("error"):
            raise RuntimeError(f"cannot log in: {response.json()['error']}")

    def send(self, reference):
        ids = self.context["product_ids"]
        values = {
            "partner_id": self.context["retailer_id"],
            "partner_shipping_id": self.context["ship_to_id"],
            "b2b_connection_id": self.context["connection_id"],
            "b2b_state": "request",
            "client_order_ref": reference,
            "b2b_note": "Benchmark",
            "order_line": [
                [0, 0, {"product_id": ids[SKUS[0]], "product_uom_qty": 2}],
                [0, 0, {"product_id": ids[SKUS[1]], "product_uom_qty": 1}],
                [0, 0, {"product_id": ids[SKUS[2]], "product_uom_qty": 4}],
            ],
        }
        response = self.session.post(
            f"{self.base_url}/web/dataset/call_kw/sale.order/create",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": "sale.order",
                    "method": "create",
                    "args": [values],
                    "kwargs": {},
                },
            },
            timeout=30,
        )
        return response.status_code == 200 and isinstance(
            response.json().get("result"), int
        )


class Side:
    """One kind of request: its clients, and what was measured of it.
    ``settle`` is called after each round and returns when what the round
    sent is all created."""

    def __init__(self, name, make_client, prefix, clients, settle=None, rate=None):
        self.name = name
        self.rate = rate
        self.prefix = prefix
        self.clients = [make_client() for _ in range(clients)]
        self.settle = settle
        self.sent = itertools.count()
        self.latencies = []
        self.errors = 0
        self.seconds = 0.0
        self.settle_seconds = 0.0

    def run(self, count, deadline, record=True):
        """Send ``count`` requests from every client thread at once, stopping
        at ``deadline`` (time.monotonic) whatever is left."""
        lock = threading.Lock()
        left = [count]
        begin = time.perf_counter()

        def worker(client):
            while True:
                with lock:
                    if left[0] <= 0 or time.monotonic() > deadline:
                        return
                    position = count - left[0]
                    left[0] -= 1
                    reference = f"{self.prefix}-{next(self.sent)}"
                if self.rate:
                    # open loop: the n-th request of the round leaves at n / rate
                    wait = begin + position / self.rate - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                started = time.perf_counter()
                try:
                    ok = client.send(reference)
                except requests.RequestException:
                    ok = False
                elapsed = time.perf_counter() - started
                if record:
                    with lock:
                        self.latencies.append(elapsed)
                        self.errors += not ok

        threads = [
            threading.Thread(target=worker, args=(client,)) for client in self.clients
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = time.perf_counter()
        if self.settle:
            self.settle()
        if record:
            self.seconds += sent - started
            self.settle_seconds += time.perf_counter() - sent

    def figures(self):
        latencies = sorted(self.latencies)

        def percentile(p):
            index = min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))
            return round(latencies[index] * 1000, 1)

        created = len(latencies) - self.errors
        return {
            "requests": len(latencies),
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "per_second": round(created / self.seconds, 1),
            "seconds_until_created": round(self.seconds + self.settle_seconds, 2),
            "created_per_second": round(
                created / (self.seconds + self.settle_seconds), 1
            ),
            "p50_ms": percentile(50),
            "p95_ms": percentile(95),
            "p99_ms": percentile(99),
            "max_ms": round(latencies[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        }


def run_load(sides, args):
    """Warm each side up, then measure them in alternating rounds, so that
    both meet the same machine (other work on a shared machine comes and
    goes during a run)."""
    for side in sides:
        side.run(args.warmup, time.monotonic() + args.max_seconds, record=False)
    per_round = max(1, args.count // args.rounds)
    deadline = time.monotonic() + args.max_seconds
    for _round in range(args.rounds):
        for side in sides:
            side.run(per_round, deadline)
    return [side.figures() for side in sides]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="b2b_bench_webhooks")
    parser.add_argument(
        "--workers", type=int, default=1, help="Odoo --workers (0: threaded server)"
    )
    parser.add_argument(
        "--clients", type=int, default=4, help="concurrent client threads"
    )
    parser.add_argument(
        "--count", type=int, default=1000, help="measured requests per side, at most"
    )
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--rate",
        type=float,
        help="webhooks sent per second, on a schedule (open loop); by default "
        "each client sends its next one when answered",
    )
    parser.add_argument(
        "--processing",
        choices=["queued", "immediate"],
        default="queued",
        help="webhook processing of the connection",
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="alternating rounds of each side"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, dest="max_seconds")
    populate.add_server_arguments(parser)
    args = parser.parse_args()

    populate.ensure_database(
        args.db,
        odoo_path=args.odoo_path,
        db_host=args.db_host,
        db_port=args.db_port,
        db_user=args.db_user,
    )
    with populate.odoo_env(
        args.db, args.odoo_path, args.db_host, args.db_port, args.db_user
    ) as env:
        context = setup(env, args.processing)
    run = uuid.uuid4().hex[:6]
    load_before = [round(value, 2) for value in os.getloadavg()]
    say(f"load average before the run: {load_before} ({os.cpu_count()} CPUs)")
    port = populate.free_port()
    say(
        f"Odoo on 127.0.0.1:{port} with --workers={args.workers}, webhooks "
        f"{args.processing}; {args.clients} "
        "clients, "
        f"{args.count} requests per side (after {args.warmup} of warm-up), "
        f"{args.max_seconds:.0f} s at most for both"
    )
    with odoo_server(args, port) as base_url:
        webhooks, plain = run_load(
            [
                Side(
                    "webhooks",
                    lambda: WebhookClient(base_url, context),
                    f"WHB-{run}",
                    args.clients,
                    settle=lambda: wait_until_created(args, context),
                    rate=args.rate,
                ),
                Side(
                    "JSON-RPC",
                    lambda: JsonRpcClient(base_url, context, args.db),
                    f"RPC-{run}",
                    args.clients,
                ),
            ],
            args,
        )
    say(f"webhooks:       {json.dumps(webhooks)}")
    say(f"plain JSON-RPC: {json.dumps(plain)}")
    result = {
        "date": datetime.now(tz=timezone.utc).isoformat(timespec="seconds"),
        "workers": args.workers,
        "processing": args.processing,
        "rate": args.rate,
        "clients": args.clients,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "webhooks": webhooks,
        "json_rpc_create": plain,
        "overhead_per_request_ms": round(webhooks["mean_ms"] - plain["mean_ms"], 1),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"webhooks_{args.processing}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    say(f"written to {path}")


if __name__ == "__main__":
    main()
