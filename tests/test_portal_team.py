import re
from datetime import timedelta

from odoo.exceptions import AccessDenied, AccessError
from odoo.tests import tagged

from .portal_common import B2bPortalCommon

SIGNUP_LINK = re.compile(r'href="([^"]*/web/signup\?[^"]*)"')


@tagged("post_install", "-at_install")
class TestPortalTeam(B2bPortalCommon):
    """Retailer administrators manage their colleagues through Odoo's portal access."""

    def test_admin_invites_a_colleague_with_the_signup_link(self):
        self._login(self.admin_a)
        with self.mock_mail_gateway():
            response = self._post(
                "/my/b2b/team/invite",
                {"name": "Carl Colleague", "email": "carl@retailer-one.example"},
            )
        self.assertIn("The invitation was sent", response.text)
        carl = self.env["res.users"].search(
            [("login", "=", "carl@retailer-one.example")]
        )
        self.assertTrue(carl._is_portal())
        self.assertFalse(carl.b2b_is_admin)
        self.assertEqual(carl.partner_id.parent_id, self.retailer)
        mails = self._mails_to("carl@retailer-one.example")
        self.assertEqual(len(mails), 1)
        self.assertRegex(mails.body_html, SIGNUP_LINK)
        self.assertIn(f"{self.admin_a.name} invited you", mails.body_html)
        self.assertIn("carl@retailer-one.example", self._get("/my/b2b/team").text)

    def test_invited_colleague_is_not_made_of_a_customer_address(self):
        """A customer's delivery contact with the same e-mail stays a delivery
        contact: the colleague gets a contact of their own."""
        customer = self.env["res.partner"].create(
            {
                "name": "Carl at home",
                "parent_id": self.retailer.id,
                "type": "delivery",
                "street": "9 Home Street",
                "email": "carl@retailer-one.example",
            }
        )
        self._login(self.admin_a)
        with self.mock_mail_gateway():
            self._post(
                "/my/b2b/team/invite",
                {"name": "Carl Colleague", "email": "carl@retailer-one.example"},
            )
        carl = self.env["res.users"].search(
            [("login", "=", "carl@retailer-one.example")]
        )
        self.assertRecordValues(
            carl.partner_id,
            [{"name": "Carl Colleague", "type": "contact", "street": False}],
        )
        self.assertFalse(customer.user_ids)

    def test_admin_invites_another_administrator(self):
        self._login(self.admin_a)
        self._post(
            "/my/b2b/team/invite",
            {"name": "Ada Admin", "email": "ada@retailer-one.example", "is_admin": "1"},
        )
        ada = self.env["res.users"].search([("login", "=", "ada@retailer-one.example")])
        self.assertTrue(ada.b2b_is_admin)

    def test_inviting_an_existing_login_shows_an_error(self):
        self.admin_b.login = "bob@retailer-two.example"
        self._login(self.admin_a)
        response = self._post(
            "/my/b2b/team/invite", {"name": "Bob", "email": "bob@retailer-two.example"}
        )
        self.assertIn("already has an account", response.text)
        self.assertEqual(self.admin_b.partner_id.parent_id, self.retailer_b)

    def test_deactivate_and_reactivate_a_colleague(self):
        self._login(self.admin_a)
        self._post(f"/my/b2b/team/{self.user_a.id}/deactivate")
        self.assertFalse(self.user_a.active)
        self.assertFalse(self.user_a._is_portal())
        page = self._get("/my/b2b/team").text
        self.assertIn("Deactivated", page)
        with self.mock_mail_gateway():
            self._post(f"/my/b2b/team/{self.user_a.id}/reactivate")
        self.assertTrue(self.user_a.active)
        self.assertTrue(self.user_a._is_portal())
        self.assertTrue(self._mails_to(self.user_a.email))

    def test_a_deactivated_colleague_can_no_longer_sign_in(self):
        self._login(self.admin_a)
        self._post(f"/my/b2b/team/{self.user_a.id}/deactivate")
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(
                self.env.cr.dbname,
                {
                    "type": "password",
                    "login": self.user_a.login,
                    "password": self.user_a.login,
                },
                {"interactive": False},
            )

    def test_grant_and_revoke_the_administrator_role(self):
        self._login(self.admin_a)
        self._post(f"/my/b2b/team/{self.user_a.id}/grant_admin")
        self.assertTrue(self.user_a.b2b_is_admin)
        self._login(self.user_a)
        self.assertEqual(self._get("/my/b2b/team").status_code, 200)
        self._post(f"/my/b2b/team/{self.admin_a.id}/revoke_admin")
        self.assertFalse(self.admin_a.b2b_is_admin)
        self._login(self.admin_a)
        self.assertEqual(self._get("/my/b2b/team").status_code, 403)

    def test_admins_cannot_deactivate_or_demote_themselves(self):
        self._login(self.admin_a)
        response = self._post(f"/my/b2b/team/{self.admin_a.id}/deactivate")
        self.assertIn("Ask another administrator", response.text)
        self.assertTrue(self.admin_a.active)
        self._post(f"/my/b2b/team/{self.admin_a.id}/revoke_admin")
        self.assertTrue(self.admin_a.b2b_is_admin)

    def test_team_methods_refuse_non_admins(self):
        with self.assertRaises(AccessError):
            self.user_a.sudo()._b2b_invite_colleague("Mallory", "mallory@example.com")
        with self.assertRaises(AccessError):
            self.user_a.sudo()._b2b_team_action(self.admin_a, "deactivate")
        with self.assertRaises(AccessError):
            self.admin_a.sudo()._b2b_team_action(self.user_b, "deactivate")
        self.assertTrue(self.admin_a.active and self.user_b.active)


@tagged("post_install", "-at_install")
class TestPortalConnectionPage(B2bPortalCommon):
    def test_admin_changes_notification_emails_and_document_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self._login(self.admin_a)
        response = self._post(
            "/my/b2b/connection/settings",
            {"notify_emails": "orders@r1.example; ops@r1.example", "lang": "fr_FR"},
        )
        self.assertIn("Your settings are saved", response.text)
        self.assertRecordValues(
            self.connection,
            [{"notify_emails": "orders@r1.example, ops@r1.example", "lang": "fr_FR"}],
        )

    def test_invalid_notification_emails_are_refused(self):
        self._login(self.admin_a)
        response = self._post(
            "/my/b2b/connection/settings", {"notify_emails": "not an address"}
        )
        self.assertIn("valid e-mail addresses", response.text)
        self.assertFalse(self.connection.notify_emails)

    def test_regular_users_see_the_settings_read_only(self):
        self._login(self.user_a)
        text = self._get("/my/b2b/connection").text
        self.assertIn("o_b2b_settings_readonly", text)
        self.assertNotIn("o_b2b_settings_form", text)
        self.assertNotIn("/my/b2b/credentials", text)
        self.assertIn("/b2b/v1/webhooks/retailer-one", text)

    def test_credentials_show_the_webhook_secret_to_admins_only(self):
        secret = self.connection.webhook_secret
        self.assertTrue(secret)
        self._login(self.admin_a)
        text = self._get("/my/b2b/credentials").text
        self.assertIn(secret, text)
        self.assertNotIn(self.connection_b.webhook_secret, text)
        self._login(self.user_a)
        self.assertNotIn(secret, self._get("/my/b2b/connection").text)
        self.assertEqual(self._get("/my/b2b/credentials").status_code, 403)

    def test_admin_rotates_the_webhook_secret(self):
        old = self.connection.webhook_secret
        self._login(self.user_a)
        self.assertEqual(self._post("/my/b2b/credentials/rotate").status_code, 403)
        self.assertEqual(self.connection.webhook_secret, old)
        self._login(self.admin_a)
        response = self._post("/my/b2b/credentials/rotate")
        self.assertIn("A new secret is active", response.text)
        # until when the previous one works
        until = re.search(r'o_b2b_previous_valid_until"[^>]*>([^<]+)<', response.text)
        self.assertTrue(until, response.text)
        self.assertIn(
            str((self.connection.webhook_secret_rotated_at + timedelta(days=1)).year),
            until.group(1),
        )
        self.assertNotEqual(self.connection.webhook_secret, old)
        self.assertIn(self.connection.webhook_secret, response.text)

    def test_api_keys_are_enabled_and_reserved_to_admins(self):
        self.assertTrue(
            self.env["ir.config_parameter"].get_param("portal.allow_api_keys")
        )
        self._login(self.admin_a)
        self.assertIn("/my/security?debug=1", self._get("/my/b2b/credentials").text)
        self.assertIn("o_portal_new_api_key", self._get("/my/security?debug=1").text)
        self._login(self.user_a)
        self.assertNotIn("o_portal_new_api_key", self._get("/my/security?debug=1").text)
        description = self.env["res.users.apikeys.description"]
        description.with_user(self.admin_a).create(
            {"name": "ERP"}
        ).check_access_make_key()
        with self.assertRaises(AccessError):
            description.with_user(self.user_a).create(
                {"name": "ERP"}
            ).check_access_make_key()
