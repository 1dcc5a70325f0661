#!/usr/bin/env python3
"""Fill a benchmark database with B2B requests and orders, fast.

Shared by the benchmarks that need a big ``sale_order`` table (the dashboard
benchmark, the request-expiry benchmark). Database used by convention:
``b2b_bench`` (one database for every benchmark; a benchmark that changes the
orders says so and can put them back, see ``reset_overdue``).

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/populate.py --db b2b_bench --orders 1000000 --overdue 100000

- PostgreSQL is reached through the usual libpq variables (PGHOST, PGPORT,
  PGUSER, PGPASSWORD) or --db-host/--db-port/--db-user; Odoo's source folder
  (the one holding odoo-bin) through ODOO_PATH or --odoo-path.
- A missing database is created as a copy of --template (default: the
  B2B_TEMPLATE_DB variable, else ``mytpl`` when it exists: a database with the
  addon's dependencies installed), or from scratch; b2b_dropship is then
  installed without demo data.
- The orders are written with one ``INSERT ... SELECT generate_series`` per
  kind of order (no order lines: the benchmarks read order headers only), then
  the table is vacuumed and analysed. 1,000,000 orders take a few minutes.
- Re-running with the same figures reuses the data; --force replaces it.

Shape of the data (``--orders`` N, of which ``--overdue`` O): O requests still
waiting although their answer deadline passed (what the expiry cron picks up),
and the N - O others spread like the history of a supplier that has worked for
two years: most orders shipped, a few hundred requests waiting, a few thousand
orders to ship (some late), answered, expired, declined and cancelled ones.

From Python (another benchmark)::

    from populate import odoo_env, populate
    with odoo_env("b2b_bench") as env:
        populate(env, orders=1_000_000, overdue=100_000)
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent.parent
ADDON = "b2b_dropship"
MARKER = "b2b_bench.populated"
REF_PREFIX = "BENCH-"
OVERDUE_PREFIX = "BENCH-OVD-"

# Share of the orders that are not "overdue", per b2b_state, and how their
# dates spread (days before now; negative = in the future).
BUCKETS = [
    # state, share, date_order age span (days)
    ("request", 0.002, (0, 2)),
    ("answered", 0.02, (0, 60)),
    ("expired", 0.03, (1, 730)),
    ("declined", 0.02, (1, 730)),
    ("order", 0.005, (0, 5)),
    ("cancelled", 0.033, (1, 730)),
    ("shipped", None, (1, 730)),  # the rest
]
SALE_STATE = {
    "request": "draft",
    "answered": "sent",
    "expired": "draft",
    "declined": "cancel",
    "order": "sale",
    "shipped": "sale",
    "cancelled": "cancel",
}
CITIES = [
    ("Paris", "FR", "75001"),
    ("Lyon", "FR", "69001"),
    ("Berlin", "DE", "10115"),
    ("Hamburg", "DE", "20095"),
    ("Madrid", "ES", "28001"),
    ("Barcelona", "ES", "08001"),
    ("Milano", "IT", "20121"),
    ("Bruxelles", "BE", "1000"),
    ("Amsterdam", "NL", "1011"),
    ("Wien", "AT", "1010"),
]


def say(message):
    print(f"[populate] {message}", flush=True)


# ---------------------------------------------------------------------------
# Odoo and PostgreSQL
# ---------------------------------------------------------------------------


def _db_args(db_host=None, db_port=None, db_user=None):
    host = db_host or os.environ.get("PGHOST")
    port = db_port or os.environ.get("PGPORT")
    user = db_user or os.environ.get("PGUSER")
    args = []
    if host:
        args.append(f"--db_host={host}")
    if port:
        args.append(f"--db_port={port}")
    if user:
        args.append(f"--db_user={user}")
    if os.environ.get("PGPASSWORD"):
        args.append(f"--db_password={os.environ['PGPASSWORD']}")
    return args


def _odoo_path(odoo_path=None):
    path = odoo_path or os.environ.get("ODOO_PATH")
    if path:
        return Path(path)
    try:
        import odoo  # noqa: F401  (an installed odoo package)
    except ImportError:
        sys.exit("Odoo not found: set ODOO_PATH to the folder holding odoo-bin")
    return None


def _addons_path(odoo_path):
    """Odoo's addons plus a folder where the addon has its own name."""
    link_dir = Path(tempfile.gettempdir()) / f"b2b_bench_addons_{os.getuid()}"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / ADDON
    if not link.exists():
        link.symlink_to(ADDON_DIR)
    paths = [str(link_dir)]
    if odoo_path:
        paths.insert(0, str(odoo_path / "odoo" / "addons"))
        paths.insert(0, str(odoo_path / "addons"))
    return ",".join(p for p in paths if Path(p).is_dir())


def _connect(dbname, db_host=None, db_port=None, db_user=None):
    import psycopg2

    params = {"dbname": dbname}
    if db_host or os.environ.get("PGHOST"):
        params["host"] = db_host or os.environ["PGHOST"]
    if db_port or os.environ.get("PGPORT"):
        params["port"] = db_port or os.environ["PGPORT"]
    if db_user or os.environ.get("PGUSER"):
        params["user"] = db_user or os.environ["PGUSER"]
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def _filestore_root():
    return Path(os.path.expanduser("~/.local/share/Odoo/filestore"))


def ensure_database(
    db, template=None, odoo_path=None, db_host=None, db_port=None, db_user=None
):
    """Create ``db`` (from ``template`` when given) and install the addon in it."""
    odoo_path = _odoo_path(odoo_path)
    conn = _connect("postgres", db_host, db_port, db_user)
    with conn.cursor() as cr:
        cr.execute("SELECT datname FROM pg_database")
        existing = {name for (name,) in cr.fetchall()}
        if template is None:
            template = os.environ.get("B2B_TEMPLATE_DB") or (
                "mytpl" if "mytpl" in existing else ""
            )
        if db not in existing and template:
            say(f"creating database {db} from template {template}")
            cr.execute(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
            source = _filestore_root() / template
            if source.is_dir():
                shutil.copytree(source, _filestore_root() / db, dirs_exist_ok=True)
    conn.close()
    installed = False
    with contextlib.suppress(Exception):
        conn = _connect(db, db_host, db_port, db_user)
        with conn.cursor() as cr:
            cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
            row = cr.fetchone()
            installed = bool(row and row[0] == "installed")
        conn.close()
    if installed:
        return
    say(f"installing {ADDON} in {db} (without demo data)")
    cmd = _odoo_command(
        db,
        odoo_path,
        db_host,
        db_port,
        db_user,
        "-i",
        ADDON,
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
    )
    subprocess.run(cmd, check=True)


def _odoo_command(db, odoo_path, db_host, db_port, db_user, *options):
    """The command line of an Odoo server on ``db`` with the addon, logging
    warnings only, plus ``options``."""
    launcher = [sys.executable, str(odoo_path / "odoo-bin")] if odoo_path else ["odoo"]
    return [
        *launcher,
        *_db_args(db_host, db_port, db_user),
        f"--addons-path={_addons_path(odoo_path)}",
        "-d",
        db,
        "--log-level=warn",
        *options,
    ]


def free_port():
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def odoo_http_server(
    db, port, options, odoo_path=None, db_host=None, db_port=None, db_user=None
):
    """An Odoo server on ``db``, listening on 127.0.0.1:``port``, started with
    the extra command-line ``options``; yields its base URL once it answers
    ``/web/health``, and stops it on exit."""
    import urllib.request

    cmd = _odoo_command(
        db,
        _odoo_path(odoo_path),
        db_host,
        db_port,
        db_user,
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        *options,
    )
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/web/health", timeout=2
                ):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Odoo HTTP server did not start") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def odoo_env(
    db, odoo_path=None, db_host=None, db_port=None, db_user=None, log_level="warn"
):
    """An environment (superuser) on ``db``; committed on a normal exit."""
    odoo_path = _odoo_path(odoo_path)
    if odoo_path and str(odoo_path) not in sys.path:
        sys.path.insert(0, str(odoo_path))
    import odoo
    from odoo.tools import config

    config.parse_config(
        [
            *_db_args(db_host, db_port, db_user),
            f"--addons-path={_addons_path(odoo_path)}",
            f"--log-level={log_level}",
            "--max-cron-threads=0",
        ]
    )
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _retailers(env, count):
    """``count`` connected retailers, each with a few ship-to addresses."""
    Connection = env["b2b.connection"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    existing = Connection.search([("code", "=like", "bench-%")], order="id")
    if len(existing) >= count:
        return existing[:count]
    countries = {
        code: env["res.country"].search([("code", "=", code)], limit=1).id
        for code in {c for _city, c, _zip in CITIES}
    }
    Partner = env["res.partner"].with_context(tracking_disable=True)
    vals = []
    for index in range(len(existing), count):
        city, country, zip_code = CITIES[index % len(CITIES)]
        vals.append(
            {
                "name": f"Bench Retailer {index + 1:03d}",
                "is_company": True,
                "email": f"orders@retailer-{index + 1}.example",
                "city": city,
                "zip": zip_code,
                "country_id": countries[country],
            }
        )
    partners = Partner.create(vals)
    ship_vals = []
    for partner_index, partner in enumerate(partners):
        for offset in range(10):
            city, country, zip_code = CITIES[(partner_index + offset) % len(CITIES)]
            ship_vals.append(
                {
                    "name": f"Customer {partner_index + 1}-{offset + 1}",
                    "type": "delivery",
                    "parent_id": partner.id,
                    "street": f"{offset + 1} Main Street",
                    "city": city,
                    "zip": zip_code,
                    "country_id": countries[country],
                }
            )
    Partner.create(ship_vals)
    Connection.create(
        [
            {
                "name": partner.name,
                "code": f"bench-{len(existing) + index + 1:03d}",
                "partner_id": partner.id,
                "state": "connected",
                "answer_delay_hours": 24,
                "ship_delay_hours": 48,
            }
            for index, partner in enumerate(partners)
        ]
    )
    return Connection.search([("code", "=like", "bench-%")], order="id")[:count]


def _bucket_sizes(orders, overdue):
    rest = orders - overdue
    sizes = []
    used = 0
    for state, share, span in BUCKETS:
        size = int(rest * share) if share is not None else rest - used
        used += size
        sizes.append((state, size, span))
    return sizes


def _insert_bucket(cr, state, size, span, ctx, ref_prefix):
    """One INSERT ... SELECT for ``size`` orders in ``state``.

    Per row, ``received`` is when the order came in (``span``: from how many
    days ago to how many days ago); deadlines and dates follow from it the way
    the addon sets them (24 h to answer, 48 h to ship).
    """
    if size <= 0:
        return
    low, high = span
    cr.execute(
        """
        WITH src AS (
            SELECT g AS n,
                   (random() * %(conn_count)s)::int %% %(conn_count)s AS c,
                   (random() * 10)::int %% 10 AS s,
                   now() AT TIME ZONE 'UTC' - make_interval(
                       secs => (%(low)s + random() * (%(high)s - %(low)s)) * 86400
                   ) AS received,
                   round((20 + random() * 980)::numeric, 2) AS untaxed
              FROM generate_series(1, %(size)s) AS g
        ), rows AS (
            SELECT src.*, nextval('sale_order_id_seq') AS id,
                   conn.id AS connection_id, conn.partner_id AS retailer_id,
                   ship.id AS ship_id
              FROM src
              JOIN unnest(%(conn_ids)s::int[], %(retailer_ids)s::int[])
                   WITH ORDINALITY AS conn(id, partner_id, pos)
                   ON conn.pos = src.c + 1
              JOIN LATERAL (
                   SELECT (%(ship_ids)s::int[])[(src.c * 10) + src.s + 1] AS id
              ) ship ON true
        )
        INSERT INTO sale_order (
            id, name, client_order_ref, company_id, currency_id, pricelist_id,
            date_order, create_date, write_date, create_uid, write_uid,
            partner_id, partner_invoice_id, partner_shipping_id,
            picking_policy, state, invoice_status,
            amount_untaxed, amount_tax, amount_total,
            b2b_connection_id, b2b_partner_id, b2b_state,
            b2b_answer_deadline, b2b_answered_at, b2b_ship_deadline, b2b_shipped_at
        )
        SELECT id, 'B' || lpad(id::text, 8, '0'), %(ref_prefix)s || id,
               %(company)s, %(currency)s, NULL, received, received, received, 1, 1,
               retailer_id, retailer_id, ship_id, 'direct', %(sale_state)s, 'no',
               untaxed, round(untaxed * 0.2, 2), round(untaxed * 1.2, 2),
               connection_id, retailer_id, %(state)s,
               -- answer deadline: 24 h after reception (none for instant orders)
               CASE WHEN %(state)s = 'request' AND %(overdue)s
                        THEN received + interval '24 hours'
                    WHEN %(state)s = 'request'
                        THEN now() AT TIME ZONE 'UTC'
                             + make_interval(secs => random() * 48 * 3600)
                    WHEN %(state)s IN ('order', 'shipped') AND n %% 3 = 0 THEN NULL
                    ELSE received + interval '24 hours' END,
               CASE WHEN %(state)s IN ('answered', 'order', 'shipped') OR
                         (%(state)s = 'cancelled' AND n %% 2 = 0)
                    THEN received + make_interval(secs => random() * 20 * 3600) END,
               -- ship deadline: 48 h after the order; orders to ship spread from
               -- 2 days late to 3 days left
               CASE WHEN %(state)s = 'order'
                        THEN now() AT TIME ZONE 'UTC'
                             + make_interval(secs => (random() * 5 - 2) * 86400)
                    WHEN %(state)s = 'shipped'
                         OR (%(state)s = 'cancelled' AND n %% 2 = 0)
                        THEN received + interval '48 hours' END,
               CASE WHEN %(state)s = 'shipped'
                    THEN received + make_interval(secs => random() * 40 * 3600) END
          FROM rows
        """,
        dict(
            ctx,
            state=state,
            sale_state=SALE_STATE[state],
            size=size,
            low=low,
            high=high,
            overdue=ref_prefix == OVERDUE_PREFIX,
            ref_prefix=ref_prefix,
        ),
    )


def bench_count(env):
    env.cr.execute(
        "SELECT count(*) FROM sale_order WHERE client_order_ref LIKE %s",
        [REF_PREFIX + "%"],
    )
    return env.cr.fetchone()[0]


def populate(
    env, orders=1_000_000, overdue=100_000, connections=50, force=False, seed=0.42
):
    """Make ``env``'s database hold ``orders`` benchmark orders (see module doc).

    Returns the figures the data was built with (a dict); reuses data built
    with the same figures unless ``force``.
    """
    if overdue > orders:
        raise ValueError("--overdue cannot exceed --orders")
    wanted = {"orders": orders, "overdue": overdue, "connections": connections}
    params = env["ir.config_parameter"].sudo()
    done = json.loads(params.get_param(MARKER) or "{}")
    if (
        not force
        and {k: done.get(k) for k in wanted} == wanted
        and bench_count(env) == orders
    ):
        say(f"reusing {orders} orders built on {done.get('built_at')}")
        return done
    cr = env.cr
    started = time.time()
    if bench_count(env):
        say("removing the previous benchmark orders")
        cr.execute(
            "DELETE FROM sale_order WHERE client_order_ref LIKE %s", [REF_PREFIX + "%"]
        )
    retailers = _retailers(env, connections)
    env.flush_all()
    ship_ids = []
    for connection in retailers:
        children = connection.partner_id.child_ids.filtered(
            lambda p: p.type == "delivery"
        )[:10]
        ids = children.ids + [connection.partner_id.id] * (10 - len(children))
        ship_ids.extend(ids)
    company = env.company
    ctx = {
        "conn_count": len(retailers),
        "conn_ids": retailers.ids,
        "retailer_ids": retailers.partner_id.ids,
        "ship_ids": ship_ids,
        "company": company.id,
        "currency": company.currency_id.id,
    }
    cr.execute("SELECT setseed(%s)", [seed])
    if overdue:
        say(f"inserting {overdue} overdue requests")
        # received 25 h to 31 days ago: the 24 h to answer have run out
        _insert_bucket(cr, "request", overdue, (25 / 24, 31), ctx, OVERDUE_PREFIX)
    for state, size, span in _bucket_sizes(orders, overdue):
        say(f"inserting {size} orders in state {state}")
        _insert_bucket(cr, state, size, span, ctx, REF_PREFIX)
    done = dict(wanted, built_at=time.strftime("%Y-%m-%d %H:%M:%S"))
    params.set_param(MARKER, json.dumps(done))
    env.invalidate_all()
    cr.commit()  # the VACUUM below needs the rows committed
    say(f"{orders} orders inserted in {time.time() - started:.0f}s; vacuum and analyse")
    _vacuum_analyse(env, ["sale_order"])
    say(f"done in {time.time() - started:.0f}s")
    return done


def reset_overdue(env):
    """Put the overdue requests back to ``request`` (after an expiry benchmark)."""
    env.cr.execute(
        "UPDATE sale_order SET b2b_state = 'request', state = 'draft' "
        "WHERE client_order_ref LIKE %s AND b2b_state != 'request'",
        [OVERDUE_PREFIX + "%"],
    )
    return env.cr.rowcount


def _vacuum_analyse(env, tables):
    conn = _connect(env.cr.dbname, *_conn_params_from_config())
    with conn.cursor() as cr:
        for table in tables:
            cr.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def _conn_params_from_config():
    from odoo.tools import config

    return (
        config.get("db_host") or None,
        config.get("db_port") or None,
        config.get("db_user") or None,
    )


def add_server_arguments(parser):
    """The options every benchmark takes to find Odoo and PostgreSQL
    (``PGHOST``, ``PGPORT``, ``PGUSER`` and ``ODOO_PATH`` otherwise)."""
    parser.add_argument("--odoo-path", default=None)
    parser.add_argument("--db-host", default=None)
    parser.add_argument("--db-port", default=None)
    parser.add_argument("--db-user", default=None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="b2b_bench")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--force", action="store_true", help="rebuild the orders even if present"
    )
    parser.add_argument(
        "--reset-overdue",
        action="store_true",
        help="only put the overdue requests back to 'request'",
    )
    parser.add_argument("--template", default=None)
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    pg = (args.db_host, args.db_port, args.db_user)
    ensure_database(args.db, args.template, args.odoo_path, *pg)
    with odoo_env(args.db, args.odoo_path, *pg) as env:
        if args.reset_overdue:
            say(f"{reset_overdue(env)} overdue requests put back to 'request'")
            return
        populate(env, args.orders, args.overdue, args.connections, force=args.force)


if __name__ == "__main__":
    main()
