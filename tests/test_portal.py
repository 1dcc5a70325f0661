import subprocess
import tempfile
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.b2b_dropship.controllers.portal import B2bCustomerPortal
from odoo.addons.base.models.ir_actions_report import IrActionsReport

from .portal_common import B2bPortalCommon

PACKING_SLIP = "b2b_dropship.action_report_packing_slip"


def pdf_text(content):
    """The text of a PDF, as pdftotext reads it."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(content)
        pdf.flush()
        return subprocess.run(
            ["pdftotext", "-layout", pdf.name, "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout


@tagged("post_install", "-at_install")
class TestPortalAccess(B2bPortalCommon):
    """Two retailers, an administrator and a regular user each: everyone sees
    its own company's pages and documents, never the other's."""

    def _people(self):
        return [
            (self.admin_a, self.docs_a, self.docs_b, True),
            (self.user_a, self.docs_a, self.docs_b, False),
            (self.admin_b, self.docs_b, self.docs_a, True),
            (self.user_b, self.docs_b, self.docs_a, False),
        ]

    def test_list_pages_show_own_documents_only(self):
        pages = {
            "/my/b2b": ("open", "order"),
            "/my/b2b/requests": ("open", "answered"),
            "/my/b2b/orders": ("order", "shipped"),
            "/my/b2b/documents": ("invoice",),
        }
        for user, own, other, _admin in self._people():
            self._login(user)
            for url, kinds in pages.items():
                with self.subTest(user=user.login, url=url):
                    response = self._get(url)
                    self.assertEqual(response.status_code, 200)
                    for kind in kinds:
                        document = own[kind]
                        self.assertIn(
                            document.client_order_ref
                            if kind != "invoice"
                            else document.name,
                            response.text,
                        )
                        hidden = other[kind]
                        self.assertNotIn(
                            hidden.client_order_ref
                            if kind != "invoice"
                            else f"/my/b2b/documents/invoices/{hidden.id}",
                            response.text,
                        )

    def test_every_page_of_the_portal_shows_the_users_own_company(self):
        for connection, tag in ((self.connection, "A"), (self.connection_b, "B")):
            self.env["b2b.event"].create(
                {
                    "direction": "outbound",
                    "connection_id": connection.id,
                    "event_type": "request.answered",
                    "idempotency_key": f"evt-{tag}",
                    "state": "failed",
                    "reference": f"{tag}-ANSWERED",
                    "last_error": f"Endpoint of {tag} answered 500",
                }
            )
        pages = (
            "/my/b2b/requests/new",
            "/my/b2b/connection",
            "/my/b2b/files",
            "/my/b2b/events",
        )
        for user, own, other, _admin in self._people():
            tag, other_tag = (
                own["open"].client_order_ref[0],
                other["open"].client_order_ref[0],
            )
            self._login(user)
            for url in pages:
                with self.subTest(user=user.login, url=url):
                    response = self._get(url)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn(
                        other["open"].b2b_connection_id.code, response.text
                    )
            events = self._get("/my/b2b/events").text
            self.assertIn(f"Endpoint of {tag} answered 500", events)
            self.assertNotIn(f"Endpoint of {other_tag} answered 500", events)

    def test_detail_pages_and_downloads_of_the_other_retailer_are_refused(self):
        has_slip = bool(self.env.ref(PACKING_SLIP, raise_if_not_found=False))
        for user, own, other, _admin in self._people():
            self._login(user)
            # Under HttpCase the request holds the test cursor, so wkhtmltopdf
            # could not fetch the report assets: Odoo then answers the report's
            # HTML (its own test-mode fallback) instead of the PDF. The document
            # served is checked by its reference.
            routes = [
                ("/my/b2b/requests/%s", "open"),
                ("/my/b2b/requests/%s", "answered"),
                ("/my/b2b/orders/%s", "order"),
                ("/my/b2b/orders/%s", "shipped"),
                ("/my/b2b/documents/invoices/%s", "invoice"),
            ]
            if has_slip:
                routes.append(("/my/b2b/orders/%s/packing-slip", "shipped"))
            for route, kind in routes:
                reference = (
                    own[kind].name if kind == "invoice" else own[kind].client_order_ref
                )
                hidden = (
                    other[kind].name
                    if kind == "invoice"
                    else other[kind].client_order_ref
                )
                with self.subTest(user=user.login, route=route, kind=kind):
                    response = self._get(route % own[kind].id)
                    self.assertEqual(response.status_code, 200)
                    self.assertIn(reference, response.text)
                    refused = self._get(route % other[kind].id)
                    self.assertIn(refused.status_code, (403, 404))
                    self.assertNotIn(hidden, refused.text)

    def test_downloads_are_real_pdfs_of_the_users_own_documents(self):
        # wkhtmltopdf cannot fetch the report's stylesheets from the test server
        # while the request holds the test cursor: point it at a closed local
        # port (the unstyled PDF is still a real one) and lift Odoo's test-mode
        # HTML fallback for these downloads.
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        render_pdf = IrActionsReport._render_qweb_pdf

        def render_real_pdf(report, *args, **kwargs):
            report = report.with_context(force_report_rendering=True)
            return render_pdf(report, *args, **kwargs)

        self.patch(IrActionsReport, "_render_qweb_pdf", render_real_pdf)
        self._login(self.user_a)
        shipped, invoice = self.docs_a["shipped"], self.docs_a["invoice"]
        downloads = [(f"/my/b2b/documents/invoices/{invoice.id}", invoice.name)]
        if self.env.ref(PACKING_SLIP, raise_if_not_found=False):
            downloads.append((f"/my/b2b/orders/{shipped.id}/packing-slip", "A-SHIPPED"))
        for url, reference in downloads:
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Type"], "application/pdf")
                self.assertIn("attachment", response.headers["Content-Disposition"])
                self.assertTrue(response.content.startswith(b"%PDF"))
                self.assertIn(reference, pdf_text(response.content))

    def test_missing_document_answers_404(self):
        self._login(self.admin_a)
        missing = self.docs_a["order"].id + 100000
        self.assertEqual(self._get(f"/my/b2b/orders/{missing}").status_code, 404)
        self.assertEqual(self._get(f"/my/b2b/requests/{missing}").status_code, 404)

    def test_access_token_of_the_other_retailer_is_refused(self):
        other = self.docs_b["order"]
        token = other._portal_ensure_token()
        self._login(self.admin_a)
        response = self._get(f"/my/b2b/orders/{other.id}?access_token={token}")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(other.client_order_ref, response.text)

    def test_admin_pages_are_refused_to_regular_users(self):
        for user, _own, _other, admin in self._people():
            self._login(user)
            for url in ("/my/b2b/team", "/my/b2b/credentials"):
                with self.subTest(user=user.login, url=url):
                    response = self._get(url)
                    self.assertEqual(response.status_code, 200 if admin else 403)
            for url, data in (
                (
                    "/my/b2b/team/invite",
                    {"name": "Eve", "email": f"eve.{user.login}@example.com"},
                ),
                (
                    "/my/b2b/connection/settings",
                    {"notify_emails": f"{user.login}@example.com"},
                ),
            ):
                with self.subTest(user=user.login, url=url):
                    response = self._post(url, data)
                    self.assertEqual(response.status_code, 200 if admin else 403)
            invited = self.env["res.users"].search(
                [("login", "=", f"eve.{user.login}@example.com")]
            )
            self.assertEqual(bool(invited), admin)
        self.assertEqual(self.connection.notify_emails, "rita@example.com")
        self.assertEqual(self.connection_b.notify_emails, "bob@example.com")

    def test_actions_on_the_other_retailers_documents_are_refused(self):
        self._login(self.admin_a)
        answered_b, order_b = self.docs_b["answered"], self.docs_b["order"]
        for url in (
            f"/my/b2b/requests/{answered_b.id}/convert",
            f"/my/b2b/requests/{answered_b.id}/cancel",
            f"/my/b2b/orders/{order_b.id}/cancel",
        ):
            with self.subTest(url=url):
                response = self._post(url, {"reason": "not mine"})
                self.assertEqual(response.status_code, 403)
        self.assertEqual(answered_b.b2b_state, "answered")
        self.assertEqual(order_b.b2b_state, "order")

    def test_team_actions_on_another_company_user_are_not_found(self):
        self._login(self.admin_a)
        response = self._post(f"/my/b2b/team/{self.user_b.id}/deactivate")
        self.assertEqual(response.status_code, 404)
        self.assertTrue(self.user_b.active)

    def test_forms_require_the_csrf_token(self):
        self._login(self.admin_a)
        order = self.docs_a["order"]
        response = self.url_open(
            f"/my/b2b/orders/{order.id}/cancel", data={"reason": "csrf"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(order.b2b_state, "order")

    def test_supplier_internal_notes_and_costs_are_not_shown(self):
        order = self.docs_a["order"]
        order.message_post(
            body="Supplier internal note 7731", subtype_xmlid="mail.mt_note"
        )
        self.product_a.standard_price = 12.3456
        self._login(self.user_a)
        text = self._get(f"/my/b2b/orders/{order.id}").text
        self.assertNotIn("Supplier internal note 7731", text)
        self.assertNotIn("12.3456", text)
        self.assertNotIn("12.35", text)

    def test_record_rules_limit_portal_users_to_their_company(self):
        for user, own, other, _admin in self._people():
            with self.subTest(user=user.login):
                env = self.env(user=user)
                orders = env["sale.order"].search([("b2b_connection_id", "!=", False)])
                self.assertIn(own["order"].id, orders.ids)
                self.assertFalse(
                    set(orders.ids)
                    & {doc.id for key, doc in other.items() if key != "invoice"}
                )
                lines = env["sale.order.line"].search(
                    [("order_id.b2b_connection_id", "!=", False)]
                )
                self.assertFalse(lines.order_id - orders)
                pickings = env["stock.picking"].search([])
                self.assertIn(own["shipped"].picking_ids[:1].id, pickings.ids)
                self.assertFalse(pickings & other["shipped"].picking_ids)
                connections = env["b2b.connection"].search([])
                self.assertEqual(connections, own["order"].b2b_connection_id)
                with self.assertRaises(AccessError):
                    own["order"].with_user(user).write({"b2b_note": "tampered"})
                with self.assertRaises(AccessError):
                    other["order"].with_user(user).read(["client_order_ref"])

    def test_portal_user_without_connection_is_sent_to_the_connection_page(self):
        outsider = self._create_portal_user(
            self.env["res.partner"].create({"name": "Shop Three", "is_company": True}),
            "Olga Outsider",
            "olga",
        )
        self._login(outsider)
        for url in (
            "/my/b2b",
            "/my/b2b/requests",
            "/my/b2b/orders",
            "/my/b2b/documents",
        ):
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(self._path(response), "/my/b2b/connection")
                self.assertIn("Ask to connect", response.text)
        self.assertIn(
            self._get(f"/my/b2b/orders/{self.docs_a['order'].id}").status_code,
            (403, 404),
        )


@tagged("post_install", "-at_install")
class TestPortalPages(B2bPortalCommon):
    def test_home_shows_retailer_cards_with_counters(self):
        self._login(self.user_a)
        self.assertIn("/my/b2b/requests", self._get("/my").text)
        counters = self.make_jsonrpc_request(
            "/my/counters",
            {
                "counters": [
                    "b2b_request_count",
                    "b2b_order_count",
                    "b2b_answered_count",
                ]
            },
        )
        self.assertEqual(
            counters,
            {"b2b_request_count": 2, "b2b_order_count": 1, "b2b_answered_count": 1},
        )

    def test_cockpit_counts_open_requests_orders_delays_and_this_years_orders(self):
        late = self.docs_a["order"]
        late.b2b_ship_deadline = fields.Datetime.now() - timedelta(hours=1)
        self._login(self.user_a)
        text = self._get("/my/b2b").text
        for element_id, count in (
            ("b2b_open_request_count", 2),
            ("b2b_to_ship_count", 1),
            ("b2b_delayed_count", 1),
            ("b2b_shipped_count", 1),
            ("b2b_year_order_count", 2),
        ):
            with self.subTest(counter=element_id):
                self.assertRegex(text, rf'id="{element_id}">{count}<')
        self.assertIn("left", text)  # time left of the open request

    def test_lists_search_filter_sort_and_page(self):
        for index in range(3):
            self._create_request(f"A-EXTRA-{index}")
        self._login(self.user_a)
        text = self._get("/my/b2b/requests?filterby=answered").text
        self.assertIn("A-ANSWERED", text)
        self.assertNotIn("A-OPEN", text)
        text = self._get("/my/b2b/requests?search=EXTRA-1&search_in=reference").text
        self.assertIn("A-EXTRA-1", text)
        self.assertNotIn("A-EXTRA-2", text)
        text = self._get("/my/b2b/requests?search=TABLE-01&search_in=product").text
        self.assertIn("A-EXTRA-0", text)
        text = self._get("/my/b2b/requests?sortby=reference").text
        self.assertLess(text.index("A-ANSWERED"), text.index("A-OPEN"))
        with patch.object(B2bCustomerPortal, "_items_per_page", 2):
            first = self._get("/my/b2b/requests?sortby=reference").text
            second = self._get("/my/b2b/requests/page/2?sortby=reference").text
        self.assertIn("/my/b2b/requests/page/2", first)
        self.assertIn("A-EXTRA-0", first)
        self.assertNotIn("A-EXTRA-0", second)
        self.assertIn("A-EXTRA-2", second)
        text = self._get("/my/b2b/orders?filterby=shipped").text
        self.assertIn("A-SHIPPED", text)
        self.assertNotIn("A-ORDER<", text)

    def test_request_page_shows_the_answer_line_by_line(self):
        answered = self.docs_a["answered"]
        line = answered.order_line.filtered(
            lambda line: line.product_id == self.product_b
        )
        answered.write(
            {
                "b2b_has_shipping_fee": True,
                "b2b_shipping_fee": 9.5,
                "b2b_answer_message": "Tables ship from our second warehouse",
            }
        )
        line.write(
            {
                "b2b_backorder": True,
                "b2b_backorder_qty": 1,
                "b2b_qty_available": 1,
                "b2b_backorder_date": "2030-05-04",
            }
        )
        self._login(self.user_a)
        text = self._get(f"/my/b2b/requests/{answered.id}").text
        self.assertIn("Tables ship from our second warehouse", text)
        self.assertIn("R1-CHAIR", text)  # the retailer's own reference
        self.assertIn("CHAIR-01", text)
        self.assertIn("9.50", text)
        self.assertIn("05/04/2030", text)
        self.assertIn("o_b2b_convert", text)

    def test_order_page_shows_timeline_tracking_links_and_packing_slip(self):
        shipped = self.docs_a["shipped"]
        self._login(self.user_a)
        text = self._get(f"/my/b2b/orders/{shipped.id}").text
        for step in (
            "o_b2b_step_received",
            "o_b2b_step_answered",
            "o_b2b_step_ordered",
            "o_b2b_step_shipped",
        ):
            self.assertIn(step, text)
        self.assertIn('href="https://track.example.com/?parcel=TRK-A-1"', text)
        if self.env.ref(PACKING_SLIP, raise_if_not_found=False):
            self.assertIn(f"/my/b2b/orders/{shipped.id}/packing-slip", text)
        self.assertNotIn("o_b2b_cancel_form", text)

    def test_several_parcels_get_one_tracking_link_each(self):
        order = self.docs_a["order"]
        self._ship(order, "PK-1, PK-2")
        self._login(self.user_a)
        text = self._get(f"/my/b2b/orders/{order.id}").text
        self.assertIn('href="https://track.example.com/?parcel=PK-1"', text)
        self.assertIn('href="https://track.example.com/?parcel=PK-2"', text)

    def test_request_pages_redirect_to_the_right_kind(self):
        self._login(self.user_a)
        order = self.docs_a["order"]
        response = self._get(f"/my/b2b/requests/{order.id}")
        self.assertEqual(self._path(response), f"/my/b2b/orders/{order.id}")
        request = self.docs_a["open"]
        response = self._get(f"/my/b2b/orders/{request.id}")
        self.assertEqual(self._path(response), f"/my/b2b/requests/{request.id}")
        self.assertEqual(order.access_url, f"/my/b2b/orders/{order.id}")
        self.assertEqual(request.access_url, f"/my/b2b/requests/{request.id}")

    def test_documents_page_lists_invoices_and_slips(self):
        self._login(self.user_a)
        text = self._get("/my/b2b/documents").text
        invoice = self.docs_a["invoice"]
        self.assertIn(f"/my/b2b/documents/invoices/{invoice.id}", text)
        if self.env.ref(PACKING_SLIP, raise_if_not_found=False):
            self.assertIn(
                f"/my/b2b/orders/{self.docs_a['shipped'].id}/packing-slip", text
            )
        text = self._get("/my/b2b/documents?filterby=invoices").text
        self.assertIn(invoice.name, text)
        self.assertNotIn("packing-slip", text)


@tagged("post_install", "-at_install")
class TestPortalRequestActions(B2bPortalCommon):
    def test_new_request_by_our_and_the_retailers_references(self):
        self._login(self.user_a)
        self.assertEqual(self._get("/my/b2b/requests/new").status_code, 200)
        response = self._post(
            "/my/b2b/requests/new",
            self._request_form(
                line_1_ref="R1-CHAIR",
                line_1_qty="3",
                line_2_ref="TABLE-01",
                line_2_qty="1",
                note="Leave at the back door",
            ),
        )
        order = self.env["sale.order"].search([("client_order_ref", "=", "WEB-1")])
        self.assertEqual(self._path(response), f"/my/b2b/requests/{order.id}")
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "request",
                    "b2b_connection_id": self.connection.id,
                    "b2b_note": "Leave at the back door",
                }
            ],
        )
        self.assertEqual(
            sorted(
                (line.product_id.default_code, line.product_uom_qty)
                for line in order.order_line
            ),
            [("CHAIR-01", 2), ("CHAIR-01", 3), ("TABLE-01", 1)],
        )
        self.assertRecordValues(
            order.partner_shipping_id,
            [
                {
                    "name": "Carla Customer",
                    "city": "Paris",
                    "zip": "75002",
                    "parent_id": self.retailer.id,
                }
            ],
        )
        self.assertIn("Your request was sent", response.text)

    def test_new_request_errors_are_shown_next_to_their_fields(self):
        self._login(self.user_a)
        response = self._post(
            "/my/b2b/requests/new",
            self._request_form(
                ship_to_city="",
                line_1_ref="NOPE-9",
                line_1_qty="1",
                line_2_ref="TABLE-01",
                line_2_qty="lots",
            ),
        )
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "WEB-1")])
        )
        self.assertRegex(
            text,
            r'name="ship_to_city" id="ship_to_city"\s+class="form-control is-invalid"',
        )
        self.assertRegex(text, r'name="line_1_ref"[^>]*is-invalid')
        self.assertIn("Unknown product NOPE-9.", text)
        self.assertRegex(text, r'name="line_2_qty"[^>]*is-invalid')
        self.assertNotRegex(text, r'name="line_0_ref"[^>]*is-invalid')
        self.assertIn('value="NOPE-9"', text)  # what was typed is kept

    def test_add_a_line_keeps_the_form_and_creates_nothing(self):
        self._login(self.user_a)
        response = self._post("/my/b2b/requests/new", self._request_form(add_line="1"))
        self.assertIn('name="line_3_ref"', response.text)
        self.assertIn('value="CHAIR-01"', response.text)
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "WEB-1")])
        )

    def test_new_request_refused_while_not_connected(self):
        self.connection.state = "suspended"
        self._login(self.user_a)
        response = self._post("/my/b2b/requests/new", self._request_form())
        self.assertIn("cannot send requests", response.text)
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "WEB-1")])
        )

    def test_turn_an_answer_into_an_order(self):
        answered = self.docs_a["answered"]
        self._login(self.user_a)
        response = self._post(f"/my/b2b/requests/{answered.id}/convert")
        self.assertEqual(answered.b2b_state, "order")
        self.assertEqual(self._path(response), f"/my/b2b/orders/{answered.id}")
        self.assertIn("Your order is confirmed", response.text)

    def test_reopen_an_expired_request(self):
        request = self.docs_a["open"]
        request.write({"b2b_state": "expired"})
        self._login(self.user_a)
        self._post(f"/my/b2b/requests/{request.id}/reopen")
        self.assertEqual(request.b2b_state, "request")
        self.assertGreater(request.b2b_answer_deadline, fields.Datetime.now())

    def test_cancel_a_request_emails_the_supplier_with_the_reason(self):
        request = self.docs_a["open"]
        request.user_id = self.b2b_user
        self._login(self.user_a)
        with self.mock_mail_gateway():
            self._post(
                f"/my/b2b/requests/{request.id}/cancel",
                {"reason": "Customer changed mind"},
            )
        self.assertRecordValues(
            request,
            [{"b2b_state": "cancelled", "b2b_cancel_reason": "Customer changed mind"}],
        )
        supplier_mails = self._mails_to(self.b2b_user.email)
        self.assertTrue(supplier_mails)
        self.assertIn("Customer changed mind", supplier_mails[0].body_html)
        self.assertIn("A-OPEN", supplier_mails[0].subject)

    def test_cancel_without_salesperson_emails_the_company(self):
        order = self.docs_a["order"]
        order.user_id = False
        self._login(self.user_a)
        with self.mock_mail_gateway():
            self._post(f"/my/b2b/orders/{order.id}/cancel", {"reason": "Out of budget"})
        self.assertEqual(order.b2b_state, "cancelled")
        mails = self._mails_to(self.company.email)
        self.assertTrue(mails)
        self.assertIn("Out of budget", mails[0].body_html)

    def test_supplier_cancelling_emails_the_retailer_with_the_reason(self):
        order = self.docs_a["order"]
        with self.mock_mail_gateway():
            order.with_user(self.b2b_user).action_b2b_cancel("Discontinued product")
        mails = self._mails_to(self.retailer.email)
        self.assertTrue(mails)
        self.assertIn("Discontinued product", mails[0].body_html)
        self.assertFalse(self._mails_to(self.b2b_user.email))

    def test_cancel_needs_a_reason(self):
        order = self.docs_a["order"]
        self._login(self.user_a)
        response = self._post(f"/my/b2b/orders/{order.id}/cancel", {"reason": " "})
        self.assertEqual(order.b2b_state, "order")
        self.assertIn("o_b2b_error", response.text)

    def test_shipped_order_cannot_be_cancelled(self):
        shipped = self.docs_a["shipped"]
        self._login(self.user_a)
        response = self._post(
            f"/my/b2b/orders/{shipped.id}/cancel", {"reason": "Too late"}
        )
        self.assertEqual(shipped.b2b_state, "shipped")
        self.assertIn("o_b2b_error", response.text)

    def test_odoo_quotation_page_cannot_accept_or_decline_a_request(self):
        # Odoo's own Accept & Sign and Decline would confirm or cancel the
        # request outside the B2B flow
        request_a = self.docs_a["answered"]
        request_a.require_signature = True
        self._login(self.admin_a)
        accepted = self.make_jsonrpc_request(
            f"/my/orders/{request_a.id}/accept",
            {"name": "Rita", "signature": "iVBORw0KGgo="},
        )
        self.assertIn("error", accepted)
        self._post(
            f"/my/orders/{request_a.id}/decline",
            {"decline_message": "No thanks"},
        )
        self.assertRecordValues(
            request_a, [{"state": "draft", "b2b_state": "answered", "signature": False}]
        )


CSV_HEADER = (
    "order_reference,type,ship_to_name,ship_to_street,ship_to_city,ship_to_zip,"
    "ship_to_country,sku,retailer_sku,quantity"
)


def csv_drop(reference, retailer_sku="R1-CHAIR", quantity="2"):
    row = (
        f"{reference},request,Jane Customer,1 rue de Rivoli,Paris,75001,FR,,"
        f"{retailer_sku},{quantity}"
    )
    return f"{CSV_HEADER}\r\n{row}\r\n".encode()


@tagged("post_install", "-at_install")
class TestPortalFiles(B2bPortalCommon):
    """The portal face of CSV drops: upload by hand, file history, error files."""

    def _upload(self, name, content):
        return self._post(
            "/my/b2b/files", files={"csv_file": (name, content, "text/csv")}
        )

    def test_upload_a_csv_drop_creates_the_request(self):
        self._login(self.user_a)
        response = self._upload("po-77.csv", csv_drop("PO-77"))
        self.assertEqual(response.status_code, 200)
        drop = self.env["b2b.file.drop"].search([("name", "=", "po-77.csv")])
        self.assertRecordValues(
            drop,
            [
                {
                    "state": "imported",
                    "source": "upload",
                    "connection_id": self.connection.id,
                }
            ],
        )
        self.assertEqual(drop.order_id.client_order_ref, "PO-77")
        self.assertEqual(drop.order_id.order_line.product_id, self.product_a)
        self.assertIn("o_b2b_upload_result", response.text)
        self.assertIn(f"/my/b2b/requests/{drop.order_id.id}", response.text)

    def test_a_file_with_errors_creates_nothing_and_offers_its_error_file(self):
        self._login(self.user_a)
        response = self._upload(
            "bad.csv", csv_drop("PO-78", retailer_sku="NOPE", quantity="x")
        )
        drop = self.env["b2b.file.drop"].search([("name", "=", "bad.csv")])
        self.assertEqual(drop.state, "error")
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "PO-78")])
        )
        self.assertIn(f"/my/b2b/files/{drop.id}/errors", response.text)
        errors = self._get(f"/my/b2b/files/{drop.id}/errors")
        self.assertEqual(errors.status_code, 200)
        self.assertIn("attachment", errors.headers["Content-Disposition"])
        self.assertIn("row,column,value,message", errors.text)
        self.assertIn("quantity,x,", errors.text)
        original = self._get(f"/my/b2b/files/{drop.id}/original")
        self.assertEqual(
            original.content, csv_drop("PO-78", retailer_sku="NOPE", quantity="x")
        )

    def test_files_of_the_other_retailer_are_neither_listed_nor_downloadable(self):
        self._login(self.admin_b)
        self._upload("retailer-two.csv", csv_drop("PO-B1", retailer_sku="R2-CHAIR"))
        drop_b = self.env["b2b.file.drop"].search([("name", "=", "retailer-two.csv")])
        self.assertEqual(drop_b.state, "imported")
        for user in (self.admin_a, self.user_a):
            self._login(user)
            with self.subTest(user=user.login):
                self.assertNotIn("retailer-two.csv", self._get("/my/b2b/files").text)
                for kind in ("original", "errors"):
                    response = self._get(f"/my/b2b/files/{drop_b.id}/{kind}")
                    self.assertIn(response.status_code, (403, 404))
                    self.assertNotIn("PO-B1", response.text)

    def test_upload_larger_than_an_api_upload_is_refused_and_not_kept(self):
        self._login(self.user_a)
        response = self._upload("huge.csv", b"x" * (16 * 1024 * 1024 + 1))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.env["b2b.file.drop"].search([("name", "=", "huge.csv")]))

    def test_upload_without_a_file_says_so(self):
        self._login(self.user_a)
        response = self._post("/my/b2b/files", {})
        self.assertIn("Please choose a CSV file", response.text)
        self.assertFalse(
            self.env["b2b.file.drop"].search(
                [("connection_id", "=", self.connection.id)]
            )
        )
