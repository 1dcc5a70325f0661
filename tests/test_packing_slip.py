import base64
import io
import shutil
import subprocess
import tempfile
from datetime import date, datetime, timedelta

from PIL import Image

from odoo.exceptions import UserError
from odoo.tests import HttpCase, freeze_time, tagged

from .shipping_common import B2bShippingCommon

NOW = datetime(2026, 3, 4, 9, 0)  # a Wednesday, 10:00 in Paris

# Packing slip labels as the translations of the addon render them.
LABELS = {
    "en_US": [
        "Packing Slip",
        "Ship To",
        "Return Address",
        "Order Reference",
        "Shipped",
        "Back-ordered",
    ],
    "fr_FR": [
        "Bordereau de livraison",
        "Adresse de livraison",
        "Adresse de retour",
        "Référence de commande",
        "Expédié",
        "En reliquat",
    ],
    "de_DE": [
        "Lieferschein",
        "Lieferadresse",
        "Rücksendeadresse",
        "Bestellnummer",
        "Versandt",
        "Rückstand",
    ],
    "es_ES": [
        "Albarán",
        "Dirección de envío",
        "Dirección de devolución",
        "Referencia del pedido",
        "Enviado",
        "Pendiente",
    ],
    "zh_CN": ["装箱单", "收货地址", "退货地址", "订单号", "已发货", "缺货待发"],
}


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPackingSlip(B2bShippingCommon):
    """What the packing slips contain and how they are printed (HTML of the PDF)."""

    def _html(self, report, records):
        return (
            self.env["ir.actions.report"]
            ._render_qweb_html(report, records.ids)[0]
            .decode()
        )

    def test_slip_of_an_order_to_ship(self):
        order = self._create_order(lines=[(self.product_a, 5), (self.product_b, 2)])
        html = self._html("b2b_dropship.action_report_packing_slip", order)
        self.assertIn("ORD-1", html)
        self.assertIn(order.name, html)
        self.assertIn("R1-CHAIR", html, "the retailer's SKU")
        self.assertIn("CHAIR-01", html, "our SKU")
        self.assertIn("Marie Durand", html)
        self.assertIn("69003", html)
        self.assertIn(
            "/report/barcode/?barcode_type=Code128&amp;value="
            + order.name.replace("/", "%2F"),
            html,
        )

    def test_slip_prices_are_per_unit_of_the_quantities_shown(self):
        # ordered by the dozen at 120, shown as 12 units at 10
        order = self._create_request(
            ref="ORD-DOZEN",
            lines=[(self.product_a, 1)],
            b2b_state="order",
            partner_shipping_id=self.ship_to.id,
        )
        order.order_line.write(
            {"product_uom": self.env.ref("uom.product_uom_dozen").id, "price_unit": 120}
        )
        order.action_confirm()
        [line] = order._b2b_slip_lines(order._b2b_slip_pickings())
        self.assertEqual((line["shipped"], line["price_unit"]), (12, 10))
        html = self._html("b2b_dropship.action_report_packing_slip", order)
        self.assertNotIn("1,440", html)

    def test_slip_shows_backorder_with_its_expected_date(self):
        order = self._create_order()
        self._ship(order, quantities={self.product_a: 3, self.product_b: 0})
        done = order.picking_ids.filtered(lambda picking: picking.state == "done")
        lines = {line["sku"]: line for line in order._b2b_slip_lines(done)}
        self.assertEqual(
            (lines["CHAIR-01"]["shipped"], lines["CHAIR-01"]["backordered"]), (3, 2)
        )
        self.assertEqual(
            (lines["TABLE-01"]["shipped"], lines["TABLE-01"]["backordered"]), (0, 2)
        )
        self.assertEqual(lines["CHAIR-01"]["expected"], NOW.date())
        # The order's slip is now the parcel still to ship.
        self.assertEqual(order._b2b_slip_pickings(), order._b2b_pending_pickings())

    def test_slip_of_answered_backorder_line(self):
        request = self._create_request(ref="REQ-BO")
        self._answer_with_backorder(request)
        request.action_b2b_convert()
        lines = request._b2b_slip_lines(request._b2b_slip_pickings())
        self.assertEqual(
            [
                (line["sku"], line["shipped"], line["backordered"], line["expected"])
                for line in lines
            ],
            [("CHAIR-01", 3, 2, date(2026, 3, 20))],
        )

    def test_blind_slip_shows_the_retailer_and_no_prices(self):
        self.retailer.write(
            {"street": "1 Retail Park", "city": "Lille", "zip": "59000"}
        )
        order = self._create_order(lines=[(self.product_a, 5)])
        self.assertTrue(self.connection.blind_dropship, "blind dropship by default")
        html = self._html("b2b_dropship.action_report_packing_slip", order)
        self.assertIn("Retailer One", html)
        self.assertIn("1 Retail Park", html)
        self.assertNotIn(self.company.name, html)
        self.assertNotIn("Unit Price", html)
        self.connection.blind_dropship = False
        html = self._html("b2b_dropship.action_report_packing_slip", order)
        self.assertIn(self.company.name, html)
        self.assertNotIn("1 Retail Park", html)
        self.assertIn("Unit Price", html)

    def test_language_is_the_connection_one_then_the_wizard_one(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms(
            ["b2b_dropship"], ["fr_FR", "es_ES"]
        )
        order = self._create_order()
        html = self._html("b2b_dropship.action_report_packing_slip", order)
        self.assertIn("Bordereau de livraison", html)
        self.assertEqual(order._b2b_slip_lang(order._b2b_slip_pickings()), "fr_FR")
        es = self.env["res.lang"]._lang_get("es_ES")
        self._ship(order, lang_id=es.id, message="¡Que lo disfrute!")
        picking = order.picking_ids
        self.assertEqual(picking.b2b_slip_lang, "es_ES")
        self.assertEqual(order._b2b_slip_pickings(), picking)
        self.assertEqual(order._b2b_slip_lang(picking), "es_ES")
        html = self._html("b2b_dropship.action_report_packing_slip_picking", picking)
        self.assertIn("Albarán", html)
        self.assertNotIn("Bordereau de livraison", html)
        self.assertIn("¡Que lo disfrute!", html)

    def test_print_all_prints_exactly_the_unprinted_orders_to_ship(self):
        unprinted_1 = self._create_order(ref="U1")
        unprinted_2 = self._create_order(ref="U2")
        printed = self._create_order(ref="P1")
        printed.b2b_slip_printed = True
        shipped = self._create_order(ref="S1")
        self._ship(shipped)
        request = self._create_request(ref="R1")
        SaleOrder = self.env["sale.order"].with_user(self.b2b_user)
        action = SaleOrder.action_b2b_print_unprinted_slips()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "b2b_dropship.report_packing_slip")
        self.assertEqual(
            sorted(action["context"]["active_ids"]),
            sorted((unprinted_1 + unprinted_2).ids),
        )
        self.assertTrue(unprinted_1.b2b_slip_printed and unprinted_2.b2b_slip_printed)
        self.assertFalse(shipped.b2b_slip_printed or request.b2b_slip_printed)
        again = SaleOrder.action_b2b_print_unprinted_slips()
        self.assertEqual(again["type"], "ir.actions.client")
        self.assertEqual(again["tag"], "display_notification")
        self.assertIn(
            "already has its packing slip printed", again["params"]["message"]
        )
        # Reprinting one order stays possible.
        reprint = unprinted_1.with_user(self.b2b_user).action_b2b_print_packing_slip()
        self.assertEqual(reprint["context"]["active_ids"], unprinted_1.ids)

    def test_print_all_from_the_orders_list_action(self):
        order = self._create_order(ref="U1")
        server_action = self.env.ref(
            "b2b_dropship.sale_order_action_server_print_unprinted_slips"
        )
        self.assertEqual(server_action.binding_model_id.model, "sale.order")
        action = (
            server_action.with_user(self.b2b_user)
            .with_context(active_model="sale.order")
            .run()
        )
        self.assertEqual(action["context"]["active_ids"], order.ids)
        self.assertTrue(order.b2b_slip_printed)

    def test_partial_shipment_needs_a_new_slip(self):
        order = self._create_order()
        self.env["sale.order"].with_user(
            self.b2b_user
        ).action_b2b_print_unprinted_slips()
        self._ship(order, quantities={self.product_a: 1})
        action = (
            self.env["sale.order"]
            .with_user(self.b2b_user)
            .action_b2b_print_unprinted_slips()
        )
        self.assertEqual(action["context"]["active_ids"], order.ids)

    def test_collection_sheet_lists_the_day_parcels_of_one_carrier(self):
        first = self._create_order(ref="COLL-A")
        second = self._create_order(ref="COLL-B")
        other_carrier = self._create_order(ref="COLL-OTHER")
        self._ship(
            first, carrier_id=self.carrier_tracked.id, tracking_ref="TRK-1, TRK-2"
        )
        self._ship(second, carrier_id=self.carrier_tracked.id, tracking_ref="TRK-3")
        self._ship(other_carrier, carrier_id=self.carrier_plain.id)
        with freeze_time(NOW + timedelta(days=1)):
            tomorrow = self._create_order(ref="COLL-NEXT")
            self._ship(
                tomorrow, carrier_id=self.carrier_tracked.id, tracking_ref="TRK-4"
            )
        sheet = (
            self.env["b2b.collection.sheet"]
            .with_user(self.b2b_user)
            .create({"date": NOW.date(), "carrier_id": self.carrier_tracked.id})
        )
        self.assertEqual(sheet.picking_ids, (first + second).picking_ids)
        self.assertEqual(sheet.parcel_count, 3)
        action = sheet.action_print()
        self.assertEqual(action["report_name"], "b2b_dropship.report_collection_sheet")
        html = self._html("b2b_dropship.action_report_collection_sheet", sheet)
        for text in (
            "COLL-A",
            "COLL-B",
            "TRK-1",
            "TRK-2",
            "TRK-3",
            "Marie Durand",
            "Signature",
        ):
            self.assertIn(text, html)
        self.assertNotIn("COLL-OTHER", html)
        self.assertNotIn("TRK-4", html)
        empty = self.env["b2b.collection.sheet"].create(
            {
                "date": NOW.date() - timedelta(days=3),
                "carrier_id": self.carrier_tracked.id,
            }
        )
        with self.assertRaisesRegex(
            UserError, "No parcel was handed to Parcel Express"
        ):
            empty.action_print()

    def test_collection_sheet_day_is_the_company_day_for_a_user_without_tz(self):
        """23:30 UTC is already the next day in Paris: a parcel handed over
        then is on the next day's sheet, which is also the sheet the user
        gets by default at that moment."""
        self.b2b_user.tz = False
        late = datetime(2026, 3, 4, 22, 30)  # 23:30 in Paris
        after_midnight = datetime(2026, 3, 4, 23, 30)  # 00:30 in Paris
        parcels = {}
        for moment, ref in ((late, "COLL-LATE"), (after_midnight, "COLL-NIGHT")):
            with freeze_time(moment):
                order = self._create_order(ref=ref)
                self._ship(order, carrier_id=self.carrier_tracked.id, tracking_ref=ref)
                parcels[ref] = order.picking_ids
        Sheet = self.env["b2b.collection.sheet"].with_user(self.b2b_user)
        with freeze_time(after_midnight):
            tonight = Sheet.create({"carrier_id": self.carrier_tracked.id})
        self.assertEqual(tonight.date, date(2026, 3, 5))
        self.assertEqual(tonight.picking_ids, parcels["COLL-NIGHT"])
        wednesday = Sheet.create(
            {"date": date(2026, 3, 4), "carrier_id": self.carrier_tracked.id}
        )
        self.assertEqual(wednesday.picking_ids, parcels["COLL-LATE"])


@tagged("post_install", "-at_install")
class TestPackingSlipPdf(B2bShippingCommon, HttpCase):
    """Real PDFs through wkhtmltopdf, read back with pdftotext."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("de_DE", "es_ES", "zh_CN"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(
            ["b2b_dropship"], ["fr_FR", "de_DE", "es_ES", "zh_CN"], overwrite=True
        )
        cls.retailer.write({"street": "1 Retail Park", "city": "Lille", "zip": "59000"})
        cls.company.name = "Supplier Works"
        cls.env["stock.quant"]._update_available_quantity(
            cls.product_b, cls.stock_location, 100
        )

    def setUp(self):
        super().setUp()
        for tool in ("wkhtmltopdf", "pdftotext", "pdfimages"):
            self.assertTrue(shutil.which(tool), f"{tool} is required")

    def _pdf(self, report, records):
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"), "a real PDF")
        return pdf

    def _pdf_text(self, pdf):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
            file.write(pdf)
            file.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", "-enc", "UTF-8", file.name, "-"],
                capture_output=True,
                check=True,
            ).stdout.decode()
            images = subprocess.run(
                ["pdfimages", "-list", file.name], capture_output=True, check=True
            ).stdout.decode()
        image_count = len(images.strip().splitlines()) - 2  # two header lines
        return text, image_count

    def test_packing_slip_pdf_in_five_languages_blind_and_not_blind(self):
        for lang, labels in LABELS.items():
            for blind in (True, False):
                with self.subTest(lang=lang, blind=blind):
                    self.connection.write({"lang": lang, "blind_dropship": blind})
                    order = self._create_order(
                        ref=f"{lang}-{blind}",
                        lines=[(self.product_a, 5), (self.product_b, 2)],
                    )
                    self._ship(
                        order,
                        quantities={self.product_b: 1},
                        message=f"Message {lang}",
                        lang_id=self.env["res.lang"]._lang_get(lang).id,
                    )
                    pdf = self._pdf(
                        "b2b_dropship.action_report_packing_slip_picking",
                        order.picking_ids.filtered(
                            lambda picking: picking.state == "done"
                        ),
                    )
                    text, image_count = self._pdf_text(pdf)
                    for label in labels:
                        self.assertIn(label, text)
                    for value in (
                        f"{lang}-{blind}",
                        order.name,
                        "R1-CHAIR",
                        "CHAIR-01",
                        "Marie Durand",
                    ):
                        self.assertIn(value, text)
                    self.assertIn(f"Message {lang}", text)
                    self.assertGreaterEqual(
                        image_count, 1, "the barcode was fetched from Odoo"
                    )
                    if blind:
                        self.assertIn("Retailer One", text)
                        self.assertIn("1 Retail Park", text)
                        self.assertNotIn("Supplier Works", text)
                        self.assertNotRegex(text, r"40[.,]00", "no supplier price")
                    else:
                        self.assertIn("Supplier Works", text)
                        self.assertNotIn("1 Retail Park", text)
                        self.assertRegex(text, r"40[.,]00")

    def test_barcode_and_retailer_logo_are_drawn(self):
        order = self._create_order(ref="LOGO-1")
        text, images_without_logo = self._pdf_text(
            self._pdf("b2b_dropship.action_report_packing_slip", order)
        )
        self.assertEqual(
            images_without_logo, 1, "the barcode, fetched through Odoo's barcode route"
        )
        logo = io.BytesIO()
        Image.new("RGB", (120, 40), "navy").save(logo, "PNG")
        self.retailer.image_1920 = base64.b64encode(logo.getvalue())
        text, images_with_logo = self._pdf_text(
            self._pdf("b2b_dropship.action_report_packing_slip", order)
        )
        self.assertEqual(images_with_logo, 2)
        self.assertIn(
            "Bordereau de livraison", text, "the connection's language before shipping"
        )

    def test_print_all_is_one_pdf_with_every_unprinted_slip(self):
        orders = self._create_order(ref="ALL-1") + self._create_order(ref="ALL-2")
        action = (
            self.env["sale.order"]
            .with_user(self.b2b_user)
            .action_b2b_print_unprinted_slips()
        )
        pdf = self._pdf(
            action["report_name"],
            self.env["sale.order"].browse(action["context"]["active_ids"]),
        )
        text, __ = self._pdf_text(pdf)
        self.assertIn("ALL-1", text)
        self.assertIn("ALL-2", text)
        self.assertEqual(text.count("Bordereau de livraison"), 2)
        self.assertTrue(all(orders.mapped("b2b_slip_printed")))

    def test_collection_sheet_pdf(self):
        order = self._create_order(ref="COL-1")
        self._ship(order, carrier_id=self.carrier_tracked.id, tracking_ref="CP77, CP78")
        # today's sheet, as the user opens it after shipping
        sheet = self.env["b2b.collection.sheet"].create(
            {"carrier_id": self.carrier_tracked.id}
        )
        text, __ = self._pdf_text(
            self._pdf("b2b_dropship.action_report_collection_sheet", sheet)
        )
        for value in (
            "Collection Sheet",
            "Parcel Express",
            "COL-1",
            "CP77",
            "CP78",
            "Marie Durand",
            "Signature",
        ):
            self.assertIn(value, text)
