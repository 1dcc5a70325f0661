import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class B2bCsvUpload(models.TransientModel):
    """Upload a retailer's CSV drop by hand, through the pipeline of every channel."""

    _name = "b2b.csv.upload"
    _description = "Upload a B2B CSV Drop"

    connection_id = fields.Many2one("b2b.connection", required=True, ondelete="cascade")
    file = fields.Binary(string="CSV File", required=True)
    filename = fields.Char()
    drop_id = fields.Many2one("b2b.file.drop", readonly=True)
    drop_state = fields.Selection(related="drop_id.state")
    drop_error_summary = fields.Text(related="drop_id.error_summary")
    drop_order_id = fields.Many2one(related="drop_id.order_id")
    drop_error_file = fields.Binary(related="drop_id.error_file")
    drop_error_file_name = fields.Char(related="drop_id.error_file_name")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "connection_id" in fields_list
            and not values.get("connection_id")
            and context.get("active_model") == "b2b.connection"
        ):
            values["connection_id"] = context.get("active_id")
        return values

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(_("Choose a CSV file to import."))
        self.drop_id = self.connection_id.import_csv(
            self.filename or "upload.csv", base64.b64decode(self.file), "upload"
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Upload a CSV File"),
        }

    def action_view_drop(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "b2b.file.drop",
            "res_id": self.drop_id.id,
            "view_mode": "form",
        }
