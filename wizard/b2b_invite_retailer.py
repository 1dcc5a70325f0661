from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize


class B2bInviteRetailer(models.TransientModel):
    """Invite a new retailer: its company, a first administrator and a connection."""

    _name = "b2b.invite.retailer"
    _description = "Invite a Retailer"

    company_name = fields.Char(required=True)
    contact_name = fields.Char(required=True)
    email = fields.Char(string="E-mail", required=True)
    lang = fields.Selection(
        "_lang_get",
        string="Language",
        required=True,
        default=lambda self: self.env.lang,
    )
    message = fields.Text(
        string="Personal Message", help="Added to the invitation e-mail."
    )
    instant_ordering = fields.Boolean(
        default=lambda self: self.env.company.b2b_instant_ordering,
        help="Connect the retailer as soon as it signs up and let it order directly. "
        "Off: its connection waits for your review.",
    )

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    def action_invite(self):
        self.ensure_one()
        email = email_normalize(self.email)
        if not email:
            raise UserError(
                _("%(email)s is not a valid e-mail address.", email=self.email)
            )
        if (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("login", "=", email)], limit=1)
        ):
            raise UserError(
                _(
                    "%(email)s already has an account: ask this retailer to "
                    "request the connection from its portal instead.",
                    email=email,
                )
            )
        Partner = self.env["res.partner"].sudo()
        company = Partner.create(
            {
                "name": self.company_name,
                "is_company": True,
                "email": email,
                "lang": self.lang,
            }
        )
        contact = Partner.create(
            {
                "name": self.contact_name,
                "parent_id": company.id,
                "email": email,
                "lang": self.lang,
            }
        )
        connection = self.env["b2b.connection"].create(
            {
                "name": self.company_name,
                "partner_id": company.id,
                "state": "invited",
                "instant_ordering": self.instant_ordering,
                "lang": self.lang,
                "invited_partner_id": contact.id,
                "invitation_message": self.message,
                "user_id": self.env.user.id if self.env.user._is_internal() else False,
            }
        )
        portal_wizard = (
            self.env["portal.wizard"]
            .sudo()
            .with_context(active_ids=[], active_id=False, active_model=False)
            .create(
                {
                    "partner_ids": [Command.link(contact.id)],
                    "welcome_message": self.message,
                }
            )
        )
        portal_wizard.user_ids.with_context(
            b2b_invitation_connection_id=connection.id
        ).action_grant_access()
        contact.user_ids.write({"b2b_is_admin": True})
        connection.message_post(
            body=_(
                "Invitation sent to %(name)s <%(email)s>.",
                name=self.contact_name,
                email=email,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "b2b.connection",
            "res_id": connection.id,
            "view_mode": "form",
            "target": "current",
        }
