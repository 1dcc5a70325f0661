#!/usr/bin/env python3
"""Benchmark of the CSV drop pipeline against Odoo's own import (base_import).

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_csv_import.py --db b2b_bench_csv --fresh

The same 1,000 orders of 3 lines, in the same run and the same database:

- Odoo's import, first: what a user does instead with the import screen
  (``base_import.import.execute_import``, the options the screen sends): the
  1,000 ship-to addresses as contacts, then the 1,000 orders with their 3,000
  lines in one CSV of ``sale.order`` (``order_line/product_id``...), in
  batches of 2,000 rows as the screen sends them, each committed;
- the drop pipeline as the SFTP poll runs it: 1,000 CSV files (one per order,
  as retailers send them), 100 at a time (``--batch``) stored in the file
  history and committed, then imported (parsed, checked, ship-to contacts
  and requests created) and committed;
- the drop pipeline one file at a time, as an upload, an API call or an
  e-mail with one file: ``b2b.connection.import_csv`` and a commit per file,
  for 200 files (``--single``).

All three create the same draft requests (``b2b_state`` request) with the
same lines, retailer, connection, reference, note and ship-to address, which
the script checks. Odoo's import runs first, on the emptiest database: each
order adds a ship-to contact to the retailer, and sale.order computes every
order's invoice address by walking the retailer's contacts. The result goes
to bench/results/csv_import.json. The database is created from the tests'
template (``mytpl``) or from scratch with the addon installed
(bench/populate.py); ``--fresh`` drops it first, for figures that do not
depend on earlier runs.
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


def _setup(env):
    """The retailer, its connection and the products (kept between runs)."""
    env = env(context=dict(env.context, tracking_disable=True))
    Connection = env["b2b.connection"]
    connection = Connection.search([("code", "=", "bench-csv")])
    if not connection:
        retailer = env["res.partner"].create(
            {
                "name": "Bench CSV Retailer",
                "is_company": True,
                "email": "csv@bench.example",
            }
        )
        connection = Connection.create(
            {
                "name": "Bench CSV Retailer",
                "code": "bench-csv",
                "partner_id": retailer.id,
                "state": "connected",
            }
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
    return connection


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


def _check_same_orders(env, connection, orders, run_drop, imported_ids):
    """Both paths made the same requests: state, lines, address, note."""
    SaleOrder = env["sale.order"]
    dropped = SaleOrder.search(
        [("client_order_ref", "=like", f"CSV-{run_drop}-%")], order="client_order_ref"
    )
    imported = SaleOrder.browse(imported_ids).sorted("client_order_ref")
    assert len(dropped) == len(imported) == len(orders)
    for left, right in zip(dropped, imported, strict=True):
        assert (
            left.client_order_ref.rsplit("-", 1)[1]
            == right.client_order_ref.rsplit("-", 1)[1]
        )
        assert (left.b2b_state, right.b2b_state) == ("request", "request")
        assert left.b2b_connection_id == right.b2b_connection_id == connection
        assert left.b2b_note == right.b2b_note
        assert sorted(
            (line.product_id.default_code, line.product_uom_qty)
            for line in left.order_line
        ) == sorted(
            (line.product_id.default_code, line.product_uom_qty)
            for line in right.order_line
        )
        for field in (
            "name",
            "street",
            "city",
            "zip",
            "country_id",
            "email",
            "type",
            "parent_id",
        ):
            assert (
                left.partner_shipping_id[field] == right.partner_shipping_id[field]
            ), field


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
    with odoo_env(args.db) as env:
        connection = _setup(env)
        # The same orders (and ship-to names) under three series of references.
        # Odoo's import runs first, on the emptiest database: every order
        # created adds a ship-to contact to the retailer, which later orders
        # read again (sale.order computes the invoice address of each one by
        # walking the retailer's contacts).
        import_orders = _orders("I", run, args.orders, args.lines, seed=7)
        batch_orders = _orders("D", run, args.orders, args.lines, seed=7)
        single_orders = _orders("S", run, args.single, args.lines, seed=7)
        say(f"base_import: {args.orders:,} contacts, then the orders and their lines")
        base_import, imported_ids = _run_base_import(
            env, connection, import_orders, run
        )
        per_order = base_import / args.orders * 1000
        say(f"  {base_import:.1f} s, {per_order:.1f} ms per order")
        say(f"drop pipeline, as the SFTP poll runs it ({args.batch} files a batch):")
        pipeline = _run_pipeline(env, connection, batch_orders, args.batch)
        say(f"  {pipeline:.1f} s, {pipeline / args.orders * 1000:.1f} ms per file")
        say(f"drop pipeline, one import_csv call per file ({args.single:,} files):")
        single = _run_pipeline(env, connection, single_orders, 1)
        single_ms = single / args.single * 1000
        say(f"  {single:.1f} s, {single_ms:.1f} ms per file")
        _check_same_orders(env, connection, batch_orders, f"D{run}", imported_ids)
        _check_same_orders(
            env, connection, single_orders, f"S{run}", imported_ids[: args.single]
        )
        ratio = base_import / pipeline
        say(f"the drop pipeline (batches) is {ratio:.2f} times as fast as base_import")
        say(
            "the drop pipeline (one by one) is "
            f"{base_import / args.orders * 1000 / single_ms:.2f} times as fast"
        )
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "csv_import.json").write_text(
        json.dumps(
            {
                "orders": args.orders,
                "lines_per_order": args.lines,
                "batch": args.batch,
                "drop_pipeline_s": round(pipeline, 2),
                "drop_pipeline_ms_per_file": round(pipeline / args.orders * 1000, 1),
                "drop_one_by_one_files": args.single,
                "drop_one_by_one_ms_per_file": round(single_ms, 1),
                "base_import_s": round(base_import, 2),
                "base_import_ms_per_order": round(base_import / args.orders * 1000, 1),
                "speedup": round(ratio, 2),
                "speedup_one_by_one": round(
                    base_import / args.orders * 1000 / single_ms, 2
                ),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
