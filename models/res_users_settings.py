from odoo import fields, models


class ResUsersSettings(models.Model):
    _inherit = "res.users.settings"

    b2b_dashboard_ready = fields.Boolean(
        string="B2B Dashboard Set Up",
        help="The user received the default dashboard widgets; removing them all "
        "keeps the dashboard empty until it is reset to default.",
    )
