from markupsafe import Markup

from odoo import _, fields, models


class MailAlias(models.Model):
    _inherit = "mail.alias"

    alias_contact = fields.Selection(
        selection_add=[("b2b_retailers", "Connected Retailers")],
        ondelete={"b2b_retailers": "set default"},
    )

    def _get_alias_contact_description(self):
        if self.alias_contact == "b2b_retailers":
            return _("the addresses of connected retailers")
        return super()._get_alias_contact_description()

    def _get_alias_bounced_body(self, message_dict):
        """The CSV drop address tells the sender why the message was refused."""
        if self.alias_contact == "b2b_retailers":
            Drop = self.env["b2b.file.drop"]
            files = Drop._b2b_mail_take_files(message_dict)
            if files is not None:
                _connection, reason = Drop._b2b_mail_check(message_dict, files)
                if reason:
                    return self._b2b_refusal_reply_body(message_dict, reason)
        return super()._get_alias_bounced_body(message_dict)

    def _b2b_refusal_reply_body(self, message_dict, reason):
        """The body of the reply refusing a mail, in its sender's language."""
        author = self.env["res.partner"].browse(message_dict.get("author_id")).exists()
        alias = self.with_context(lang=author.lang) if author.lang else self
        return alias._b2b_refusal_body(message_dict, reason)

    def _b2b_refusal_body(self, message_dict, reason):
        body = Markup(
            "<p>%(header)s<br/><br/>%(intro)s<br/>%(reason)s<br/><br/>%(regards)s</p>"
        ) % {
            "header": _("Dear Sender,"),
            "intro": _(
                "The message below was not accepted by %(address)s: nothing was "
                "imported.",
                address=self.display_name,
            ),
            "reason": reason,
            "regards": _("Kind Regards"),
        }
        return self.env["ir.qweb"]._render(
            "mail.mail_bounce_alias_security",
            {"body": body, "message": message_dict},
            minimal_qcontext=True,
        )
