from odoo import _, api, fields, models
from odoo.exceptions import UserError

REASON_ACTIONS = {
    "decline": "action_b2b_decline",
    "cancel": "action_b2b_cancel",
}


class B2bReasonWizard(models.TransientModel):
    """Asks the reason that declining or cancelling always requires."""

    _name = "b2b.reason.wizard"
    _description = "B2B Decline or Cancel Reason"

    res_model = fields.Char(required=True)
    res_ids = fields.Json(required=True)
    kind = fields.Selection(
        [("decline", "Decline"), ("cancel", "Cancel")], required=True, default="cancel"
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") and "res_model" in fields_list:
            values["res_model"] = context["active_model"]
        if "res_ids" in fields_list:
            values["res_ids"] = context.get("active_ids") or (
                [context["active_id"]] if context.get("active_id") else []
            )
        return values

    def action_confirm(self):
        self.ensure_one()
        model = self.env[self.res_model]
        if "b2b_state" not in model._fields:
            raise UserError(_("This action only applies to B2B requests and orders."))
        records = model.browse(self.res_ids).exists()
        getattr(records, REASON_ACTIONS[self.kind])(self.reason)
        return {"type": "ir.actions.act_window_close"}
