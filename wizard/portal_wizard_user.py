from odoo import models


class PortalWizardUser(models.TransientModel):
    _inherit = "portal.wizard.user"

    def _send_email(self):
        """Retailers invited to connect get the B2B invitation instead of the
        generic portal welcome; both carry Odoo's signup link."""
        connection_id = self.env.context.get("b2b_invitation_connection_id")
        if not connection_id:
            return super()._send_email()
        self.ensure_one()
        connection = self.env["b2b.connection"].sudo().browse(connection_id)
        partner = self.user_id.sudo().partner_id
        if not self.user_id.sudo().login_date:
            partner.signup_prepare()
        template = self.env.ref("b2b_dropship.mail_template_b2b_invitation")
        template.sudo().send_mail(connection.id, force_send=True)
        return True
