from odoo import _, models
from odoo.exceptions import AccessError


class ResUsersApikeysDescription(models.TransientModel):
    _inherit = "res.users.apikeys.description"

    def check_access_make_key(self):
        result = super().check_access_make_key()
        user = self.env.user
        if user._is_portal() and not user.b2b_is_admin and user._b2b_retailer():
            raise AccessError(
                _(
                    "Only your company's administrators can create API keys for "
                    "the connection."
                )
            )
        return result
