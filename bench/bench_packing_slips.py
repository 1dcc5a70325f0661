#!/usr/bin/env python3
"""Packing slips of 200 orders in one batch, against Odoo's own delivery slip.

    PGHOST=/tmp/mypg PGPORT=55432 PGUSER=odoo ODOO_PATH=/opt/odoo18 \\
        python3 bench/bench_packing_slips.py --db b2b_bench_slips

The database is created (from the ``mytpl`` template when there is one, see
bench/populate.py) and given, on first use, one connected retailer and 200
confirmed orders of 3 lines each, their deliveries reserved (``SLIPBENCH-*``;
re-runs reuse them). An Odoo HTTP server is started on a free loopback port for
the run, and ``report.url`` points wkhtmltopdf at it, so that both reports
load their CSS and the slips their barcodes as when a user prints them.

Measured in the same run, on the same 200 deliveries (wall-clock, one run):

1. the QWeb HTML of the 200 documents, ours (``b2b_dropship.action_report_
   packing_slip_picking``) and Odoo's (``stock.action_report_delivery``);
2. the PDF of the 200 documents in one batch, ours and Odoo's. wkhtmltopdf
   builds with an unpatched Qt (Debian's) accept one page object only: our
   report puts every slip in one, Odoo's delivery slip makes one per picking
   and cannot be printed in one batch there; the script says so;
3. with ``--one-by-one N`` (default 200), the PDFs of the first N deliveries
   printed one at a time, ours and Odoo's, which works with every build.

Prints every timing and the ratios ours / Odoo's, and writes them to
bench/results/packing_slips.json. The orders are not changed.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import populate  # noqa: E402

REF_PREFIX = "SLIPBENCH-"
OURS = "b2b_dropship.action_report_packing_slip_picking"
ODOOS = "stock.action_report_delivery"


def say(message):
    print(f"[bench] {message}", flush=True)


def ensure_orders(env, count):
    """``count`` confirmed B2B orders, deliveries reserved; returns the pickings."""
    SaleOrder = env["sale.order"].with_context(tracking_disable=True, mail_notrack=True)
    orders = SaleOrder.search(
        [("client_order_ref", "=like", REF_PREFIX + "%")], order="id"
    )
    if len(orders) < count:
        say(f"creating {count - len(orders)} orders (once)")
        retailer = env["res.partner"].search(
            [("ref", "=", "slipbench-retailer")], limit=1
        )
        if not retailer:
            retailer = env["res.partner"].create(
                {
                    "name": "Slip Bench Retail Ltd",
                    "ref": "slipbench-retailer",
                    "is_company": True,
                    "street": "1 Bench Street",
                    "city": "Lyon",
                    "zip": "69002",
                    "country_id": env.ref("base.fr").id,
                }
            )
        connection = env["b2b.connection"].search([("code", "=", "slipbench")], limit=1)
        if not connection:
            connection = env["b2b.connection"].create(
                {
                    "name": "Slip Bench Retail Ltd",
                    "code": "slipbench",
                    "partner_id": retailer.id,
                    "state": "connected",
                    "instant_ordering": True,
                    "lang": "en_US",
                }
            )
        products = env["product.product"].search(
            [("default_code", "=like", "SLIPBENCH-%")]
        )
        if len(products) < 10:
            location = env.ref("stock.stock_location_stock")
            for index in range(len(products), 10):
                product = env["product.product"].create(
                    {
                        "name": f"Bench Product {index}",
                        "default_code": f"SLIPBENCH-{index:02d}",
                        "is_storable": True,
                        "list_price": 10.0 + index,
                    }
                )
                env["stock.quant"]._update_available_quantity(
                    product, location, 100_000
                )
                env["b2b.product.reference"].create(
                    {
                        "connection_id": connection.id,
                        "product_id": product.id,
                        "retailer_sku": f"R-{index:02d}",
                        "retailer_name": f"Retail Product {index}",
                    }
                )
                products |= product
        for index in range(len(orders), count):
            ship_to = connection._b2b_ship_to_partners(
                [
                    {
                        "name": f"Customer {index}",
                        "street": f"{index} Avenue des Tests",
                        "street2": False,
                        "city": "Paris",
                        "zip": "75001",
                        "country_id": env.ref("base.fr").id,
                        "state_id": False,
                        "email": False,
                        "phone": False,
                    }
                ]
            )
            order = SaleOrder.create(
                {
                    "b2b_connection_id": connection.id,
                    "b2b_state": "order",
                    "client_order_ref": f"{REF_PREFIX}{index:04d}",
                    "partner_shipping_id": ship_to.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": products[(index + k) % 10].id,
                                "product_uom_qty": k + 1,
                            },
                        )
                        for k in range(3)
                    ],
                }
            )
            order.action_confirm()
            orders |= order
        env.cr.commit()
    pickings = orders[:count]._b2b_pending_pickings()
    assert (
        len(pickings) == count
    ), f"{len(pickings)} pending deliveries, {count} expected"
    return pickings


def http_server(args, port):
    """An Odoo server on the benchmark database, for wkhtmltopdf's requests."""
    return populate.odoo_http_server(
        args.db,
        port,
        [f"--db-filter=^{args.db}$", "--max-cron-threads=0", "--workers=0"],
        args.odoo_path,
        args.db_host,
        args.db_port,
        args.db_user,
    )


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def render_pdf(env, report, records):
    Report = env["ir.actions.report"].with_context(force_report_rendering=True)
    pdf, kind = Report._render_qweb_pdf(report, records.ids)
    assert kind == "pdf" and pdf.startswith(b"%PDF-"), "not a PDF"
    return pdf


def page_count(pdf):
    from odoo.tools.pdf import PdfFileReader

    return PdfFileReader(io.BytesIO(pdf)).getNumPages()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="b2b_bench_slips")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--one-by-one", type=int, default=200, dest="one_by_one")
    populate.add_server_arguments(parser)
    args = parser.parse_args()

    populate.ensure_database(
        args.db, None, args.odoo_path, args.db_host, args.db_port, args.db_user
    )
    port = populate.free_port()
    with populate.odoo_env(
        args.db, args.odoo_path, args.db_host, args.db_port, args.db_user
    ) as env:
        pickings = ensure_orders(env, args.count)
        ICP = env["ir.config_parameter"].sudo()
        previous_url = ICP.get_param("report.url")
        figures = {"deliveries": len(pickings)}
        with http_server(args, port) as url:
            ICP.set_param("report.url", url)
            env.cr.commit()
            try:
                # Warm-up: asset bundles, report templates, first wkhtmltopdf start.
                render_pdf(env, OURS, pickings[:1])
                render_pdf(env, ODOOS, pickings[:1])

                Report = env["ir.actions.report"]
                for key, report in (("ours", OURS), ("odoo", ODOOS)):
                    env.invalidate_all()
                    seconds, (html, __) = timed(
                        lambda r=report: Report._render_qweb_html(r, pickings.ids)
                    )
                    figures[f"html_{key}_s"] = round(seconds, 3)
                    figures[f"html_{key}_bytes"] = len(html)

                env.invalidate_all()
                seconds, pdf = timed(lambda: render_pdf(env, OURS, pickings))
                figures["batch_pdf_ours_s"] = round(seconds, 3)
                figures["batch_pdf_ours_pages"] = page_count(pdf)
                env.invalidate_all()
                from odoo.exceptions import UserError
                from odoo.tools.pdf import PdfReadError

                try:
                    seconds, pdf = timed(lambda: render_pdf(env, ODOOS, pickings))
                except (UserError, PdfReadError) as error:
                    # wkhtmltopdf refused the batch (several page objects) and gave
                    # no PDF: reported in the results.
                    figures["batch_pdf_odoo_s"] = None
                    figures["batch_pdf_odoo_error"] = (
                        str(error).strip().splitlines()[0][:200]
                    )
                else:
                    figures["batch_pdf_odoo_s"] = round(seconds, 3)
                    figures["batch_pdf_odoo_pages"] = page_count(pdf)

                subset = pickings[: args.one_by_one]
                if subset:
                    for key, report in (("ours", OURS), ("odoo", ODOOS)):
                        env.invalidate_all()
                        seconds, __ = timed(
                            lambda r=report: [
                                render_pdf(env, r, picking) for picking in subset
                            ]
                        )
                        figures[f"one_by_one_{key}_s"] = round(seconds, 3)
                    figures["one_by_one_count"] = len(subset)
            finally:
                if previous_url:
                    ICP.set_param("report.url", previous_url)
                else:
                    ICP.search([("key", "=", "report.url")]).unlink()
                env.cr.commit()

    def ratio(ours, odoo):
        return (
            round(figures[ours] / figures[odoo], 2)
            if figures.get(ours) and figures.get(odoo)
            else None
        )

    figures["ratio_html"] = ratio("html_ours_s", "html_odoo_s")
    figures["ratio_batch_pdf"] = ratio("batch_pdf_ours_s", "batch_pdf_odoo_s")
    figures["ratio_one_by_one"] = ratio("one_by_one_ours_s", "one_by_one_odoo_s")
    figures["wkhtmltopdf"] = subprocess.run(
        ["wkhtmltopdf", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()

    n = figures["deliveries"]
    print(f"\n{n} deliveries, {figures['wkhtmltopdf']}")
    print(f"{'':34}{'ours':>10}{'Odoo':>10}{'ratio':>8}")
    print(
        f"{'QWeb HTML, one batch':34}"
        f"{figures['html_ours_s']:>9.2f}s{figures['html_odoo_s']:>9.2f}s"
        f"{figures['ratio_html']:>8}"
    )
    odoo_batch = figures["batch_pdf_odoo_s"]
    print(
        f"{'PDF, one batch':34}{figures['batch_pdf_ours_s']:>9.2f}s"
        + (
            f"{odoo_batch:>9.2f}s{figures['ratio_batch_pdf']:>8}"
            if odoo_batch
            else f"{'failed':>10}"
        )
    )
    if odoo_batch is None:
        print(
            "  Odoo's batch gave no PDF (wkhtmltopdf refuses several page objects "
            f"with an unpatched Qt): {figures['batch_pdf_odoo_error']}"
        )
    if "one_by_one_count" in figures:
        label = f"PDF, {figures['one_by_one_count']} one at a time"
        print(
            f"{label:34}{figures['one_by_one_ours_s']:>9.2f}s{figures['one_by_one_odoo_s']:>9.2f}s"
            f"{figures['ratio_one_by_one']:>8}"
        )
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "packing_slips.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PGAPPNAME", "bench_packing_slips")
    main()
