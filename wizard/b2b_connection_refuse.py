from odoo import fields, models


class B2bConnectionRefuse(models.TransientModel):
    """Asks the reason given to a retailer whose connection request is refused."""

    _name = "b2b.connection.refuse"
    _description = "Refuse a Retailer Connection"

    connection_ids = fields.Many2many("b2b.connection", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.connection_ids.action_b2b_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
