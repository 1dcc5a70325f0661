#!/usr/bin/env python3
"""Benchmark of the CSV drop pipeline against Odoo's own import (base_import).

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_csv_import.py --db b2b_bench_csv --fresh

The same 1,000 orders of 3 lines, three ways, in the same run and database:

- Odoo's import: what a user does instead with the import screen
  (``base_import.import.execute_import``, the options the screen sends): the
  ship-to addresses as contacts, then the orders with their lines in a CSV of
  ``sale.order`` (``order_line/product_id``...), each import committed;
- the drop pipeline as the SFTP poll runs it: CSV files (one per order, as
  retailers send them), 100 at a time (``--batch``) stored in the file
  history and committed, then imported (parsed, checked, ship-to contacts and
  requests created) and committed;
- the drop pipeline one file at a time, as an upload, an API call or an
  e-mail with one file: ``b2b.connection.import_csv`` and a commit per file,
  for 200 files (``--single``);
- for reference, no file and no check at all: the ship-to contacts and the
  orders created by the ORM directly (``res.partner.create`` then
  ``sale.order.create``, 100 at a time, committed), what a script written
  for these very orders, with nothing to parse or check, would do.

The ways take turns, 100 orders each (and 20 files one by one), so that the
load of a shared machine weighs on all of them alike. Each way has its own
retailer, with ``--history`` ship-to contacts from earlier orders (default
0): every order adds one, and sale.order computes each order's invoice
address by walking the retailer's contacts. All create the same draft
requests (``b2b_state`` request) with the same lines, note and ship-to
address, which the script checks. Figures go to
bench/results/csv_import_history_<N>.json. The database is created from the
tests' template (``mytpl``) or from scratch with the addon installed
(bench/populate.py); ``--fresh`` drops it first.
"""

import argparse
import csv
import io
import json
import random
import time
from pathlib import Path

from populate import _connect, ensure_database, odoo_env, say

PRODUCTS = 30
WAYS = ("import", "batch", "single", "orm")
CITIES = [
    ("Paris", "FR", "75001", "France"),
    ("Lyon", "FR", "69001", "France"),
    ("Berlin", "DE", "10115", "Germany"),
    ("Madrid", "ES", "28001", "Spain"),
    ("Milano", "IT", "20121", "Italy"),
]
HEADER = [
    "order_reference",
    "type",
    "ship_to_name",
    "ship_to_street",
    "ship_to_city",
    "ship_to_zip",
    "ship_to_country",
    "ship_to_email",
    "sku",
    "quantity",
    "note",
]


def _setup(env, history=0):
    """One retailer and connection per way of importing (each gains the
    ship-to contacts of its own orders only), and the products; kept between
    runs. ``history``: ship-to contacts each retailer has from earlier orders."""
    env = env(context=dict(env.context, tracking_disable=True))
    Connection = env["b2b.connection"]
    connections = {}
    for way in WAYS:
        code = f"bench-csv-{way}"
        connection = Connection.search([("code", "=", code)])
        if not connection:
            name = f"Bench CSV Retailer {way.title()}"
            retailer = env["res.partner"].create(
                {"name": name, "is_company": True, "email": f"{way}@bench.example"}
            )
            connection = Connection.create(
                {
                    "name": name,
                    "code": code,
                    "partner_id": retailer.id,
                    "state": "connected",
                }
            )
        connections[way] = connection
        if history:
            Partner = env["res.partner"].with_context(mail_create_nolog=True)
            known = Partner.search_count([("parent_id", "=", connection.partner_id.id)])
            Partner.create(
                [
                    {
                        "name": f"Past customer {number}",
                        "parent_id": connection.partner_id.id,
                        "type": "delivery",
                        "street": f"{number} Old Street",
                        "city": "Paris",
                        "zip": "75001",
                        "country_id": env.ref("base.fr").id,
                    }
                    for number in range(known, history)
                ]
            )
    Product = env["product.product"]
    existing = set(
        Product.search([("default_code", "=like", "BCSV-%")]).mapped("default_code")
    )
    Product.create(
        [
            {
                "name": f"Bench product {n}",
                "default_code": f"BCSV-{n:03d}",
                "list_price": 10 + n,
            }
            for n in range(PRODUCTS)
            if f"BCSV-{n:03d}" not in existing
        ]
    )
    env.cr.commit()
    return connections


def _orders(prefix, run, count, lines, seed):
    rng = random.Random(seed)
    orders = []
    for index in range(count):
        city, country, zip_code, country_name = CITIES[index % len(CITIES)]
        orders.append(
            {
                "reference": f"CSV-{prefix}{run}-{index:05d}",
                "name": f"Customer {run} {index}",
                "street": f"{index} Bench Street",
                "city": city,
                "zip": zip_code,
                "country": country,
                "country_name": country_name,
                "email": f"customer{index}@bench.example",
                "note": f"Order {index} of the benchmark",
                "lines": [
                    (f"BCSV-{sku:03d}", rng.randint(1, 5))
                    for sku in rng.sample(range(PRODUCTS), lines)
                ],
            }
        )
    return orders


def _drop_file(order):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for sku, quantity in order["lines"]:
        writer.writerow(
            [
                order["reference"],
                "request",
                order["name"],
                order["street"],
                order["city"],
                order["zip"],
                order["country"],
                order["email"],
                sku,
                quantity,
                order["note"],
            ]
        )
    return buffer.getvalue().encode()


def _run_pipeline(env, connection, orders, batch):
    """The files through the drop pipeline; ``batch`` files at a time as the
    SFTP poll takes them (stored and committed, then imported and committed),
    or one by one through ``import_csv`` (``batch`` 1: an upload, an API call)."""
    files = [(f"{order['reference']}.csv", _drop_file(order)) for order in orders]
    connection = connection.with_env(env)
    Drop = env["b2b.file.drop"]
    states = {}
    started = time.perf_counter()
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        if batch == 1:
            drops = connection.import_csv(chunk[0][0], chunk[0][1], "api")
        else:
            drops = Drop._b2b_store_many(
                connection, [(name, content, None) for name, content in chunk], "sftp"
            )
            env.cr.commit()
            drops._b2b_import(
                {
                    drop.id: content
                    for drop, (_name, content) in zip(drops, chunk, strict=True)
                }
            )
        env.cr.commit()
        for drop in drops:
            states[drop.state] = states.get(drop.state, 0) + 1
    elapsed = time.perf_counter() - started
    assert states == {"imported": len(orders)}, states
    return elapsed


IMPORT_OPTIONS = {
    # what the import screen sends by default
    "import_skip_records": [],
    "import_set_empty_fields": [],
    "fallback_values": {},
    "name_create_enabled_fields": {},
    "encoding": "utf-8",
    "separator": ",",
    "quoting": '"',
    "date_format": "",
    "datetime_format": "",
    "float_thousand_separator": ",",
    "float_decimal_separator": ".",
    "advanced": True,
    "has_headers": True,
    "keep_matches": False,
    "limit": 2000,
    "skip": 0,
    "tracking_disable": True,
}


def _csv(rows):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def _execute_import(env, model, rows):
    """Import ``rows`` (the first one: (column label, field path) pairs) as the
    import screen does: batches of ``limit`` rows, each committed, the next
    one starting where the previous one stopped (a record is never split)."""
    header, fields = zip(*rows[0], strict=True)
    wizard = env["base_import.import"].create(
        {"res_model": model, "file": _csv([header, *rows[1:]]), "file_type": "text/csv"}
    )
    ids = []
    skip = 0
    while True:
        options = dict(IMPORT_OPTIONS, skip=skip)
        result = wizard.execute_import(list(fields), list(header), options)
        errors = [
            message
            for message in result.get("messages", [])
            if message.get("type") == "error"
        ]
        assert not errors and result.get("ids"), errors or result
        ids += result["ids"]
        env.cr.commit()
        if not result.get("nextrow"):
            return ids
        skip = result["nextrow"]


def _run_base_import(env, connection, orders, run):
    retailer = connection.partner_id
    contacts = [
        [
            ("External ID", "id"),
            ("Name", "name"),
            ("Related Company", "parent_id"),
            ("Address Type", "type"),
            ("Street", "street"),
            ("City", "city"),
            ("Zip", "zip"),
            ("Country", "country_id"),
            ("Email", "email"),
        ]
    ]
    for order in orders:
        contacts.append(
            [
                f"bench_ship_to_{run}_{order['reference']}",
                order["name"],
                retailer.name,
                "Delivery Address",
                order["street"],
                order["city"],
                order["zip"],
                order["country_name"],
                order["email"],
            ]
        )
    sale_orders = [
        [
            ("Customer Reference", "client_order_ref"),
            ("Customer", "partner_id"),
            ("Delivery Address", "partner_shipping_id/id"),
            ("B2B Connection", "b2b_connection_id"),
            ("B2B State", "b2b_state"),
            ("Note to Supplier", "b2b_note"),
            ("Order Lines / Product", "order_line/product_id"),
            ("Order Lines / Quantity", "order_line/product_uom_qty"),
        ]
    ]
    for order in orders:
        for position, (sku, quantity) in enumerate(order["lines"]):
            head = (
                [
                    order["reference"],
                    retailer.name,
                    f"bench_ship_to_{run}_{order['reference']}",
                    connection.name,
                    "Waiting for Answer",
                    order["note"],
                ]
                if position == 0
                else ["", "", "", "", "", ""]
            )
            sale_orders.append([*head, sku, quantity])
    started = time.perf_counter()
    contact_ids = _execute_import(env, "res.partner", contacts)
    order_ids = _execute_import(env, "sale.order", sale_orders)
    elapsed = time.perf_counter() - started
    assert len(contact_ids) == len(orders) and len(order_ids) == len(orders), (
        len(contact_ids),
        len(order_ids),
    )
    return elapsed, order_ids


def _run_orm(env, connection, orders):
    """The ship-to contacts and the requests created by the ORM directly, no
    file and no check: the retailer, its connection and the products are
    known, the values are right."""
    from odoo.fields import Command  # once odoo_env made odoo importable

    retailer = connection.partner_id
    products = {
        product.default_code: product.id
        for product in env["product.product"].search(
            [("default_code", "=like", "BCSV-%")]
        )
    }
    country_ids = {
        code: env["res.country"].search([("code", "=", code)]).id
        for code in {order["country"] for order in orders}
    }
    started = time.perf_counter()
    contacts = env["res.partner"].create(
        [
            {
                "name": order["name"],
                "parent_id": retailer.id,
                "type": "delivery",
                "street": order["street"],
                "city": order["city"],
                "zip": order["zip"],
                "country_id": country_ids[order["country"]],
                "email": order["email"],
            }
            for order in orders
        ]
    )
    created = env["sale.order"].create(
        [
            {
                "partner_id": retailer.id,
                "partner_shipping_id": contact.id,
                "client_order_ref": order["reference"],
                "b2b_connection_id": connection.id,
                "b2b_state": "request",
                "b2b_note": order["note"],
                "order_line": [
                    Command.create(
                        {"product_id": products[sku], "product_uom_qty": quantity}
                    )
                    for sku, quantity in order["lines"]
                ],
            }
            for order, contact in zip(orders, contacts, strict=True)
        ]
    )
    env.cr.commit()
    elapsed = time.perf_counter() - started
    assert len(created) == len(orders)
    return elapsed


def _check_same_orders(env, connections, orders, run_drop, imported_ids):
    """The drop pipeline made the same requests as Odoo's import: state, lines,
    ship-to address, note (each way has its own retailer)."""
    SaleOrder = env["sale.order"]
    dropped = SaleOrder.search(
        [("client_order_ref", "=like", f"CSV-{run_drop}-%")], order="client_order_ref"
    )
    imported = SaleOrder.browse(imported_ids).sorted("client_order_ref")
    assert len(dropped) == len(imported) == len(orders)
    for left, right in zip(dropped, imported, strict=True):
        assert left.client_order_ref[-5:] == right.client_order_ref[-5:]
        assert (left.b2b_state, right.b2b_state) == ("request", "request")
        assert right.b2b_connection_id == connections["import"]
        assert left.b2b_connection_id in (
            connections["batch"],
            connections["single"],
            connections["orm"],
        )
        assert left.partner_id == left.b2b_connection_id.partner_id
        assert left.b2b_note == right.b2b_note
        assert sorted(
            (line.product_id.default_code, line.product_uom_qty)
            for line in left.order_line
        ) == sorted(
            (line.product_id.default_code, line.product_uom_qty)
            for line in right.order_line
        )
        for field in ("name", "street", "city", "zip", "country_id", "email", "type"):
            assert (
                left.partner_shipping_id[field] == right.partner_shipping_id[field]
            ), field
        assert left.partner_shipping_id.parent_id == left.partner_id


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="b2b_bench_csv")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument(
        "--batch", type=int, default=100, help="files a batch (the SFTP poll takes 100)"
    )
    parser.add_argument(
        "--single", type=int, default=200, help="files imported one by one as well"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="ship-to contacts each retailer has from earlier orders",
    )
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)
    if args.fresh:
        conn = _connect("postgres")
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.close()
    ensure_database(args.db)
    run = time.strftime("%Y%m%d%H%M%S")
    rounds = -(-args.orders // args.batch)
    single_per_round = -(-args.single // rounds)
    with odoo_env(args.db) as env:
        connections = _setup(env, args.history)
        # The same orders (and ship-to names) under three series of references.
        import_orders = _orders("I", run, args.orders, args.lines, seed=7)
        batch_orders = _orders("D", run, args.orders, args.lines, seed=7)
        single_orders = _orders("S", run, args.single, args.lines, seed=7)
        orm_orders = _orders("O", run, args.orders, args.lines, seed=7)
        say(
            f"{args.orders:,} orders of {args.lines} lines, in {rounds} rounds of "
            f"{args.batch}: Odoo's import, the drop pipeline by batches and one by "
            "one, the ORM directly"
        )
        times = dict.fromkeys(WAYS, 0.0)
        imported_ids = []
        for number in range(rounds):
            chunk = slice(number * args.batch, (number + 1) * args.batch)
            single_chunk = slice(
                number * single_per_round, (number + 1) * single_per_round
            )
            seconds, ids = _run_base_import(
                env, connections["import"], import_orders[chunk], run
            )
            times["import"] += seconds
            imported_ids += ids
            times["batch"] += _run_pipeline(
                env, connections["batch"], batch_orders[chunk], args.batch
            )
            if single_orders[single_chunk]:
                times["single"] += _run_pipeline(
                    env, connections["single"], single_orders[single_chunk], 1
                )
            times["orm"] += _run_orm(env, connections["orm"], orm_orders[chunk])
        _check_same_orders(env, connections, batch_orders, f"D{run}", imported_ids)
        _check_same_orders(
            env, connections, single_orders, f"S{run}", imported_ids[: args.single]
        )
        _check_same_orders(env, connections, orm_orders, f"O{run}", imported_ids)
        base_ms = times["import"] / args.orders * 1000
        batch_ms = times["batch"] / args.orders * 1000
        single_ms = times["single"] / args.single * 1000
        orm_ms = times["orm"] / args.orders * 1000
        for label, way, per in (
            ("base_import:              ", "import", f"{base_ms:6.1f} ms an order"),
            ("drop pipeline, by batches:", "batch", f"{batch_ms:6.1f} ms a file"),
            ("drop pipeline, one by one:", "single", f"{single_ms:6.1f} ms a file"),
            ("the ORM directly:         ", "orm", f"{orm_ms:6.1f} ms an order"),
        ):
            say(f"{label} {times[way]:6.1f} s, {per}")
        say(f"by batches, the drop pipeline is {base_ms / batch_ms:.2f} times as fast")
        say(f"one by one, the drop pipeline is {base_ms / single_ms:.2f} times as fast")
        say(f"the ORM directly is {base_ms / orm_ms:.2f} times as fast")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"csv_import_history_{args.history}.json").write_text(
        json.dumps(
            {
                "orders": args.orders,
                "lines_per_order": args.lines,
                "history_contacts": args.history,
                "batch": args.batch,
                "base_import_s": round(times["import"], 2),
                "base_import_ms_per_order": round(base_ms, 1),
                "drop_batches_s": round(times["batch"], 2),
                "drop_batches_ms_per_file": round(batch_ms, 1),
                "drop_one_by_one_files": args.single,
                "drop_one_by_one_ms_per_file": round(single_ms, 1),
                "speedup_batches": round(base_ms / batch_ms, 2),
                "speedup_one_by_one": round(base_ms / single_ms, 2),
                "orm_directly_s": round(times["orm"], 2),
                "orm_directly_ms_per_order": round(orm_ms, 1),
                "speedup_orm_directly": round(base_ms / orm_ms, 2),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
