#!/usr/bin/env python3
"""Benchmark of the request-expiry scheduled action (cron_expire_requests).

Expires 100,000 overdue requests among 1,000,000 sale orders, as the scheduled
action does (batches of 1,000, committed one by one), then shows that the cost
follows the number of overdue requests and not the size of the table: the same
run on 10,000 overdue requests in the same 1,000,000 orders.

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_expiry.py --db b2b_bench

The database is filled by bench/populate.py on first use (a few minutes) and
the overdue requests are put back after each measurement, so the benchmark can
be run again.
"""

import argparse
import time

from populate import (
    OVERDUE_PREFIX,
    ensure_database,
    odoo_env,
    populate,
    reset_overdue,
    say,
)


def _overdue_domain(env):
    return [
        ("b2b_state", "=", "request"),
        ("b2b_answer_deadline", "<", env.cr.now().replace(tzinfo=None)),
    ]


def _keep_overdue(env, count):
    """Leave ``count`` benchmark requests overdue; move the others' deadline ahead."""
    reset_overdue(env)
    env.cr.execute(
        """
        WITH ranked AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM sale_order WHERE client_order_ref LIKE %s
        )
        UPDATE sale_order so
           SET b2b_answer_deadline = CASE WHEN ranked.n <= %s
                   THEN (now() at time zone 'UTC') - interval '1 hour'
                   ELSE (now() at time zone 'UTC') + interval '10 days' END
          FROM ranked WHERE ranked.id = so.id
        """,
        [OVERDUE_PREFIX + "%", count],
    )
    env.cr.commit()
    env.invalidate_all()


def _measure(env, expected):
    SaleOrder = env["sale.order"]
    overdue = SaleOrder.search_count(_overdue_domain(env))
    queries_before = env.cr.sql_log_count
    started = time.perf_counter()
    expired = SaleOrder._cron_expire_requests()
    elapsed = time.perf_counter() - started
    queries = env.cr.sql_log_count - queries_before
    # A few requests of the populated history may have become overdue since.
    assert expired == overdue and overdue >= expected, (expired, overdue, expected)
    return expired, elapsed, queries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="b2b_bench")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument(
        "--measure",
        type=int,
        default=None,
        help="overdue requests to expire in the first measurement (default: --overdue)",
    )
    args = parser.parse_args(argv)
    measure = min(args.measure or args.overdue, args.overdue)
    ensure_database(args.db)
    with odoo_env(args.db) as env:
        populate(env, orders=args.orders, overdue=args.overdue)
        env.cr.commit()
        total = env["sale.order"].search_count([])
        env.cr.execute(
            "EXPLAIN SELECT id FROM sale_order WHERE b2b_state = 'request' "
            "AND b2b_answer_deadline < now() at time zone 'UTC' "
            "ORDER BY b2b_answer_deadline, id "
            "LIMIT 1000"
        )
        plan = "\n    ".join(row[0] for row in env.cr.fetchall())
        say(f"sale orders in the database: {total:,}")
        say(f"plan of the batch search:\n    {plan}")
        results = []
        for overdue in (measure, measure // 10):
            _keep_overdue(env, overdue)
            overdue, elapsed, queries = _measure(env, overdue)
            results.append((overdue, elapsed, queries))
            say(
                f"expired {overdue:,} overdue requests among {total:,} orders in "
                f"{elapsed:.1f} s ({overdue / elapsed:,.0f} requests/s, "
                f"{queries:,} SQL queries, "
                f"{queries / overdue:.1f} per request)"
            )
        _keep_overdue(env, args.overdue)
        (big, big_time, _q1), (small, small_time, _q2) = results
        say(
            f"cost ratio {big_time / small_time:.1f}x for {big / small:.0f}x "
            "the overdue requests "
            f"in the same table (linear in the overdue requests)"
        )


if __name__ == "__main__":
    main()
