from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize


class ResUsers(models.Model):
    _inherit = "res.users"

    b2b_is_admin = fields.Boolean(
        string="Retailer Administrator",
        copy=False,
        help="On a retailer's portal user: may invite and deactivate colleagues, "
        "see and rotate the connection's credentials and change its notification "
        "settings.",
    )

    @api.model
    def signup(self, values, token=None):
        partner = token and self.env["res.partner"].sudo()._get_partner_from_token(
            token
        )
        result = super().signup(values, token)
        if partner:
            self.env["b2b.connection"].sudo()._b2b_on_signup(partner)
        return result

    def _b2b_retailer(self):
        """The retailer company of this portal user when it has a B2B connection."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        has_connection = (
            self.env["b2b.connection"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("partner_id", "=", partner.id)], limit=1)
        )
        return partner if has_connection else self.env["res.partner"]

    # Retailer team (called from the portal, on the administrator, sudoed) ----

    def _b2b_check_team_admin(self):
        self.ensure_one()
        if not (self._is_portal() and self.b2b_is_admin and self._b2b_retailer()):
            raise AccessError(
                _("Only your company's administrators can manage its team.")
            )

    def _b2b_invite_colleague(self, name, email, is_admin=False):
        """Give a colleague of this administrator portal access, through Odoo's
        portal invitation (e-mail with the signup link)."""
        self._b2b_check_team_admin()
        company = self.partner_id.commercial_partner_id
        name = (name or "").strip()
        normalized = email_normalize(email or "")
        if not name or not normalized:
            raise UserError(
                _("Please give the name and a valid e-mail address of your colleague.")
            )
        if (
            self.sudo()
            .with_context(active_test=False)
            .search_count([("login", "=", normalized)], limit=1)
        ):
            raise UserError(
                _(
                    "%(email)s already has an account. A deactivated colleague can be "
                    "reactivated from the list.",
                    email=normalized,
                )
            )
        Partner = self.env["res.partner"].sudo()
        partner = Partner.search(
            [
                ("parent_id", "=", company.id),
                # not a delivery contact: those are the retailer's customers
                ("type", "!=", "delivery"),
                ("email_normalized", "=", normalized),
                ("user_ids", "=", False),
            ],
            limit=1,
        ) or Partner.create(
            {
                "name": name,
                "parent_id": company.id,
                "email": normalized,
                "lang": self.lang,
            }
        )
        wizard = (
            self.env["portal.wizard"]
            .sudo()
            .with_context(active_ids=[], active_id=False, active_model=False)
            .create(
                {
                    "partner_ids": [Command.link(partner.id)],
                    "welcome_message": _(
                        "%(admin)s invited you to the retailer portal of %(company)s.",
                        admin=self.name,
                        company=company.name,
                    ),
                }
            )
        )
        wizard.user_ids.action_grant_access()
        partner.user_ids.write({"b2b_is_admin": bool(is_admin)})
        return partner.user_ids[:1]

    def _b2b_team_action(self, member, action):
        """``deactivate``, ``reactivate``, ``grant_admin`` or ``revoke_admin`` a
        colleague of this administrator."""
        self._b2b_check_team_admin()
        if (
            member.partner_id.commercial_partner_id
            != self.partner_id.commercial_partner_id
        ):
            raise AccessError(_("This person is not a member of your team."))
        if action in ("deactivate", "revoke_admin") and member == self:
            raise UserError(_("Ask another administrator to do this for you."))
        if action == "grant_admin":
            member.b2b_is_admin = True
        elif action == "revoke_admin":
            member.b2b_is_admin = False
        elif action in ("deactivate", "reactivate"):
            wizard = (
                self.env["portal.wizard"]
                .sudo()
                .with_context(active_ids=[], active_id=False, active_model=False)
                .create({"partner_ids": [Command.link(member.partner_id.id)]})
            )
            wizard_user = wizard.user_ids.filtered(
                lambda line: line.partner_id == member.partner_id
            )
            if action == "deactivate":
                wizard_user.action_revoke_access()
            else:
                wizard_user.action_grant_access()
        else:
            raise UserError(_("Unknown action."))
        return True
