#!/usr/bin/env python3
"""How long opening the supplier dashboard takes on 1,000,000 sale orders.

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_dashboard.py --db b2b_bench --orders 1000000 \\
        --overdue 100000

Uses the benchmark database shared with the other benchmarks (``b2b_bench``,
built or reused by bench/populate.py with the same figures; see there for
PostgreSQL and Odoo settings). A user ``bench.dashboard`` gets the 7 default
widgets (their snapshots are taken then, as on a real first opening), a few
hundred records are made "unread", then, in the same run:

- ``get_dashboard()``: the server method the page calls, timed ``--runs``
  times in the Odoo process (ORM cache emptied before each run, PostgreSQL
  warm), with the number of SQL queries of each run;
- the naive way: per widget one ``search_count`` and one ``search`` (plus the
  same reading of the shown columns; no unread counter), timed the same way;
- the one counting query of ``get_dashboard()`` alone.

The three are interleaved run by run, so that a busy machine weighs on each
alike.

Prints the median, the fastest and the slowest run of each, and writes them
to bench/results/dashboard.json. Nothing of the orders is changed.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import populate  # noqa: E402

LOGIN = "bench.dashboard"
UNREAD_PER_WIDGET = 100


def bench_user(env):
    user = (
        env["res.users"].with_context(active_test=False).search([("login", "=", LOGIN)])
    )
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Dashboard Benchmark",
                    "login": LOGIN,
                    "email": "bench.dashboard@example.com",
                    "groups_id": [(6, 0, [env.ref("b2b_dropship.group_b2b_user").id])],
                }
            )
        )
    return user


def timed(env, functions, runs):
    """Run each of ``functions`` ``runs`` times, interleaved so that the load of
    the machine weighs on them alike; return {label: (timings ms, queries)}."""
    measures = {label: ([], []) for label in functions}
    for _index in range(runs):
        for label, function in functions.items():
            env.invalidate_all()
            before = env.cr.sql_log_count
            started = time.perf_counter()
            function()
            measures[label][0].append((time.perf_counter() - started) * 1000)
            measures[label][1].append(env.cr.sql_log_count - before)
    return measures


def naive_dashboard(widgets):
    """What the page would cost with one search_count and one search per widget."""
    from odoo.addons.b2b_dropship.models.b2b_dashboard_widget import SORT_SPECS

    result = []
    for widget in widgets:
        Model = widget.env[widget.res_model]
        domain = widget._b2b_domain()
        total = Model.search_count(domain)
        records = Model.search(
            domain, limit=widget.row_count, order=SORT_SPECS[widget.sort_order]
        )
        values = widget._b2b_values_sale_order(
            records, set(widget.column_ids.mapped("code"))
        )
        result.append((widget.id, total, values))
    return result


def summary(timings, queries):
    return {
        "median_ms": round(statistics.median(timings), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": sorted(set(queries)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="b2b_bench")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of the query"
    )
    parser.add_argument("--template", default=None)
    parser.add_argument("--odoo-path", default=None)
    args = parser.parse_args(argv)

    populate.ensure_database(args.db, args.template, args.odoo_path)
    with populate.odoo_env(args.db, args.odoo_path) as env:
        populate.populate(env, args.orders, args.overdue)
        env.cr.commit()
        user = bench_user(env)
        Widget = env["b2b.dashboard.widget"].with_user(user)
        started = time.perf_counter()
        Widget.action_reset_to_default()
        env.flush_all()
        first_setup_ms = (time.perf_counter() - started) * 1000
        widgets = Widget.search([])
        # some records "entered since the last reset": forget them in the snapshots
        for widget in widgets.filtered("alert_dashboard"):
            env.cr.execute(
                "DELETE FROM b2b_dashboard_widget_seen WHERE ctid IN (SELECT ctid FROM "
                "b2b_dashboard_widget_seen WHERE widget_id = %s AND kind = 'read' "
                "LIMIT %s)",
                [widget.id, UNREAD_PER_WIDGET],
            )
        env.cr.commit()
        # as autovacuum would after the snapshots were written
        populate._vacuum_analyse(env, ["b2b_dashboard_widget_seen"])
        env.cr.execute("SELECT count(*) FROM sale_order")
        table_rows = env.cr.fetchone()[0]
        env.cr.execute(
            "SELECT kind, count(*) FROM b2b_dashboard_widget_seen GROUP BY kind"
        )
        seen_rows = dict(env.cr.fetchall())

        dashboard = Widget.get_dashboard()  # warm-up (PostgreSQL and ORM caches)
        naive_dashboard(widgets)
        measures = timed(
            env,
            {
                "fast": Widget.get_dashboard,
                "naive": lambda: naive_dashboard(widgets),
                # the part of get_dashboard() spent in its one counting query
                "sql": lambda: widgets._b2b_figures(with_records=True),
            },
            args.runs,
        )
        fast, naive, sql_only = (
            summary(*measures[k]) for k in ("fast", "naive", "sql")
        )
        if args.explain:
            from odoo.tools import SQL

            # after the timed runs: the plan of a warm run
            sql = widgets.with_user(user)._b2b_figures_sql(with_records=True)
            env.cr.execute("SET LOCAL jit = off")
            env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", sql))
            print("\n".join(line for (line,) in env.cr.fetchall()))

        env.cr.rollback()

    print(f"\nsale_order rows: {table_rows:,}; snapshot rows (read/mail): {seen_rows}")
    print(
        f"default widgets created with their snapshots in {first_setup_ms:.0f} ms "
        "(once per user)"
    )
    print(f"{'widget':58} {'total':>8} {'unread':>7}")
    for widget in dashboard:
        print(f"{widget['name']:58} {widget['total']:>8,} {widget['unread']:>7,}")
    print(f"\n{'':22}{'median':>10}{'fastest':>10}{'slowest':>10}   SQL queries")
    rows = (
        ("get_dashboard()", fast),
        ("  its counting query", sql_only),
        ("naive (per widget)", naive),
    )
    for label, figures in rows:
        print(
            f"{label:22}{figures['median_ms']:>8.1f}ms{figures['min_ms']:>8.1f}ms"
            f"{figures['max_ms']:>8.1f}ms   {figures['queries']}"
        )
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "dashboard.json").write_text(
        json.dumps(
            {
                "orders": table_rows,
                "runs": args.runs,
                "first_setup_ms": round(first_setup_ms),
                "get_dashboard": fast,
                "naive": naive,
                "counting_query": sql_only,
                "widgets": [
                    {"name": w["name"], "total": w["total"], "unread": w["unread"]}
                    for w in dashboard
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
