import html
import re
from urllib.parse import urlparse

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .portal_common import CSRF_INPUT, B2bPortalCommon

SIGNUP_LINK = re.compile(r'href="([^"]*/web/signup\?[^"]*)"')


@tagged("post_install", "-at_install")
class TestInvitation(B2bPortalCommon):
    """Invite a retailer → it signs up through Odoo's signup → its connection
    goes on (connected, or pending until the supplier accepts)."""

    def _invite(self, **values):
        wizard = (
            self.env["b2b.invite.retailer"]
            .with_user(self.b2b_manager)
            .create(
                dict(
                    {
                        "company_name": "New Shop",
                        "contact_name": "Nina New",
                        "email": "nina@new-shop.example",
                        "lang": "en_US",
                        "message": "Looking forward to selling together!",
                    },
                    **values,
                )
            )
        )
        with self.mock_mail_gateway():
            action = wizard.action_invite()
        connection = self.env["b2b.connection"].browse(action["res_id"])
        mails = self._mails_to("nina@new-shop.example")
        return connection, mails

    def _sign_up(self, invitation_mail, password="nina-secret-1"):
        url = html.unescape(SIGNUP_LINK.search(invitation_mail.body_html).group(1))
        parsed = urlparse(url)
        page = self.url_open(f"{parsed.path}?{parsed.query}")
        self.assertEqual(page.status_code, 200)
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
        redirect = re.search(r'name="redirect" value="([^"]*)"', page.text)
        return self.url_open(
            "/web/signup",
            data={
                "csrf_token": CSRF_INPUT.search(page.text).group(1),
                "token": html.unescape(token),
                "login": "nina@new-shop.example",
                "name": "Nina New",
                "password": password,
                "confirm_password": password,
                "redirect": html.unescape(redirect.group(1)) if redirect else "",
            },
        )

    def test_invitation_creates_the_retailer_and_sends_the_signup_link(self):
        connection, mails = self._invite()
        self.assertRecordValues(
            connection,
            [
                {
                    "state": "invited",
                    "name": "New Shop",
                    "lang": "en_US",
                    "user_id": self.b2b_manager.id,
                }
            ],
        )
        self.assertTrue(connection.partner_id.is_company)
        contact = connection.invited_partner_id
        self.assertEqual(contact.parent_id, connection.partner_id)
        user = contact.user_ids
        self.assertTrue(user._is_portal())
        self.assertTrue(user.b2b_is_admin)
        self.assertEqual(
            len(mails), 1, "one invitation, not the generic portal welcome as well"
        )
        self.assertIn("Looking forward to selling together!", mails.body_html)
        self.assertRegex(mails.body_html, SIGNUP_LINK)
        self.assertIn("redirect=%2Fmy%2Fb2b%2Fconnection", mails.body_html)

    def test_signup_connects_at_once_with_instant_ordering(self):
        connection, mails = self._invite(instant_ordering=True)
        with self.mock_mail_gateway():
            response = self._sign_up(mails)
        self.assertEqual(urlparse(response.url).path, "/my/b2b/connection")
        self.assertEqual(connection.state, "connected")
        supplier_message = connection.message_ids.filtered(
            lambda message: self.b2b_manager.partner_id in message.partner_ids
        )
        self.assertIn("connected New Shop", supplier_message[:1].body)
        self.assertTrue(
            self._mails_to("nina@new-shop.example").filtered(
                lambda mail: "connection is active" in mail.subject
            )
        )
        self.assertEqual(self._get("/my/b2b").status_code, 200)

    def test_signup_waits_for_review_then_the_supplier_accepts(self):
        connection, mails = self._invite(instant_ordering=False)
        self._sign_up(mails)
        self.assertEqual(connection.state, "pending")
        self.assertIn(
            connection, self.env["b2b.connection"].search([("state", "=", "pending")])
        )
        activity = connection.activity_ids
        self.assertEqual(activity.user_id, self.b2b_manager)
        with self.mock_mail_gateway():
            connection.with_user(self.b2b_manager).action_b2b_accept()
        self.assertEqual(connection.state, "connected")
        self.assertFalse(connection.activity_ids)
        accepted = self._mails_to("nina@new-shop.example")
        self.assertEqual(len(accepted), 1)
        self.assertIn("connection is active", accepted.subject)

    def test_the_supplier_refuses_with_a_reason(self):
        connection, mails = self._invite(instant_ordering=False)
        self._sign_up(mails)
        wizard = (
            self.env["b2b.connection.refuse"]
            .with_user(self.b2b_manager)
            .create(
                {
                    "connection_ids": [(6, 0, connection.ids)],
                    "reason": "We only work with garden centres",
                }
            )
        )
        with self.mock_mail_gateway():
            wizard.action_confirm()
        self.assertRecordValues(
            connection,
            [{"state": "refused", "refuse_reason": "We only work with garden centres"}],
        )
        refused = self._mails_to("nina@new-shop.example")
        self.assertEqual(len(refused), 1)
        self.assertIn("We only work with garden centres", refused.body_html)
        with self.assertRaises(UserError):
            connection.action_b2b_refuse("")

    def test_terms_must_be_accepted_after_signup(self):
        self.company.b2b_terms_url = "https://supplier.example/terms-v2"
        connection, mails = self._invite(instant_ordering=True)
        self.assertIn("https://supplier.example/terms-v2", mails.body_html)
        self._sign_up(mails)
        self.assertEqual(connection.state, "invited")
        page = self._get("/my/b2b/connection")
        self.assertIn('name="terms_accepted"', page.text)
        refused = self._post("/my/b2b/connection", {}, csrf_from="/my/b2b/connection")
        self.assertIn("read the terms", refused.text)
        self.assertEqual(connection.state, "invited")
        self._post(
            "/my/b2b/connection",
            {"terms_accepted": "1"},
            csrf_from="/my/b2b/connection",
        )
        user = connection.invited_partner_id.user_ids
        self.assertRecordValues(
            connection,
            [
                {
                    "state": "connected",
                    "terms_accepted_url": "https://supplier.example/terms-v2",
                    "terms_accepted_by_id": user.id,
                }
            ],
        )
        self.assertTrue(connection.terms_accepted_at)

    def test_connection_terms_override_the_company_terms(self):
        self.company.b2b_terms_url = "https://supplier.example/terms"
        self.connection.terms_url = "https://supplier.example/terms-retailer-one"
        self.assertEqual(
            self.connection.effective_terms_url,
            "https://supplier.example/terms-retailer-one",
        )
        self.assertEqual(
            self.connection_b.effective_terms_url, "https://supplier.example/terms"
        )

    def test_send_the_invitation_again(self):
        connection, _mails = self._invite()
        with self.mock_mail_gateway():
            connection.with_user(self.b2b_manager).action_b2b_resend_invitation()
        again = self._mails_to("nina@new-shop.example")
        self.assertEqual(len(again), 1)
        self._sign_up(again)
        self.assertEqual(connection.state, "pending")

    def test_only_managers_send_the_invitation_again(self):
        connection, _mails = self._invite()
        for user in (self.b2b_user, self.user_a):
            with self.mock_mail_gateway(), self.assertRaises(AccessError):
                connection.with_user(user).action_b2b_resend_invitation()
            self.assertFalse(self._mails_to("nina@new-shop.example"))

    def test_an_existing_login_cannot_be_invited(self):
        with self.assertRaises(UserError):
            self._invite(email=self.admin_a.login)


@tagged("post_install", "-at_install")
class TestConnectionRequest(B2bPortalCommon):
    """A portal user of a company without connection asks to connect."""

    def setUp(self):
        super().setUp()
        self.shop = self.env["res.partner"].create(
            {
                "name": "Shop Three",
                "is_company": True,
                "email": "hello@shop-three.example",
            }
        )
        self.olga = self._create_portal_user(self.shop, "Olga Owner", "olga")
        self.connection.user_id = self.b2b_user

    def _ask(self, **data):
        self._login(self.olga)
        with self.mock_mail_gateway():
            response = self._post("/my/b2b/connection", data)
        return response, self.env["b2b.connection"].search(
            [("partner_id", "=", self.shop.id)]
        )

    def test_request_waits_in_the_review_queue_then_is_accepted(self):
        response, connection = self._ask()
        self.assertIn("Your request was sent", response.text)
        self.assertRecordValues(
            connection,
            [
                {
                    "state": "pending",
                    "requested_by_id": self.olga.id,
                    "instant_ordering": False,
                }
            ],
        )
        self.assertTrue(
            self.olga.b2b_is_admin, "the first user of the company administrates it"
        )
        action = self.env.ref("b2b_dropship.b2b_connection_action_to_review")
        self.assertIn("search_default_filter_to_review", action.context)
        self.assertIn(
            connection, self.env["b2b.connection"].search([("state", "=", "pending")])
        )
        self.assertTrue(connection.activity_ids)
        self.assertTrue(
            connection.message_ids.filtered(
                lambda message: self.b2b_manager.partner_id in message.partner_ids
                and "asked to connect" in message.body
            )
        )
        with self.mock_mail_gateway():
            connection.with_user(self.b2b_manager).action_b2b_accept()
        self.assertEqual(connection.state, "connected")
        self.assertTrue(
            self._mails_to("hello@shop-three.example").filtered(
                lambda mail: "connection is active" in mail.subject
            )
        )

    def test_request_is_accepted_at_once_with_instant_ordering(self):
        self.company.b2b_instant_ordering = True
        response, connection = self._ask()
        self.assertRecordValues(
            connection, [{"state": "connected", "instant_ordering": True}]
        )
        self.assertIn("You are connected", response.text)
        self.assertTrue(self._mails_to("hello@shop-three.example"))
        self.assertEqual(self._get("/my/b2b/requests/new").status_code, 200)

    def test_request_needs_the_terms_when_the_supplier_has_some(self):
        self.company.b2b_terms_url = "https://supplier.example/terms"
        response, connection = self._ask()
        self.assertFalse(connection)
        self.assertIn("read the terms", response.text)
        response, connection = self._ask(terms_accepted="1")
        self.assertRecordValues(
            connection,
            [
                {
                    "state": "pending",
                    "terms_accepted_url": "https://supplier.example/terms",
                    "terms_accepted_by_id": self.olga.id,
                }
            ],
        )

    def test_a_refused_retailer_can_ask_again(self):
        _response, connection = self._ask()
        with self.mock_mail_gateway():
            connection.with_user(self.b2b_manager).action_b2b_refuse(
                "Incomplete company details"
            )
        self.assertTrue(self._mails_to("hello@shop-three.example"))
        page = self._get("/my/b2b/connection").text
        self.assertIn("Incomplete company details", page)
        _response, again = self._ask()
        self.assertEqual(again, connection)
        self.assertEqual(connection.state, "pending")

    def test_connected_retailer_cannot_ask_twice(self):
        self._login(self.admin_a)
        response = self._post("/my/b2b/connection", {})
        self.assertIn("already connected", response.text)
        self.assertEqual(
            self.env["b2b.connection"].search_count(
                [("partner_id", "=", self.retailer.id)]
            ),
            1,
        )

    def test_internal_users_have_no_retailer_connection_page(self):
        self.authenticate(self.b2b_user.login, self.b2b_user.login)
        self.assertEqual(self._get("/my/b2b/connection").status_code, 403)
