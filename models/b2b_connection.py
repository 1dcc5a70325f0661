import re
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.deadline import compute_deadline

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


def _tz_get(self):
    return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])


class B2bConnection(models.Model):
    _name = "b2b.connection"
    _description = "B2B Retailer Connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        copy=False,
        default=lambda self: self._default_code(),
        help="Unique, URL-safe identifier used in webhook URLs and file names.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Retailer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    state = fields.Selection(
        [
            ("invited", "Invited"),
            ("pending", "Pending"),
            ("connected", "Connected"),
            ("suspended", "Suspended"),
        ],
        default="pending",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    instant_ordering = fields.Boolean(
        help="The retailer may send firm orders directly, without a request first.",
        tracking=True,
    )
    answer_delay_hours = fields.Float(
        string="Answer Delay (hours)", default=24.0, required=True, tracking=True
    )
    ship_delay_hours = fields.Float(
        string="Ship Delay (hours)", default=48.0, required=True, tracking=True
    )
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        required=True,
        default=lambda self: self.env.company.partner_id.tz or "UTC",
        help="Deadlines of this connection are counted in this time zone.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="When set, only working time of this calendar counts towards deadlines, "
        "and its public holidays are skipped.",
    )
    lang = fields.Selection(
        "_lang_get",
        string="Document Language",
        default=lambda self: self.env.lang or "en_US",
    )
    notify_emails = fields.Char(
        string="Notification E-mails",
        help="Comma-separated addresses that receive this retailer's notifications. "
        "Empty: the retailer's own e-mail address.",
    )
    blind_dropship = fields.Boolean(
        default=True,
        help="Packing slips show the retailer as the sender and no supplier prices.",
    )
    product_reference_ids = fields.One2many(
        "b2b.product.reference", "connection_id", string="Retailer Product References"
    )
    order_ids = fields.One2many("sale.order", "b2b_connection_id", string="Requests and Orders")
    request_count = fields.Integer(compute="_compute_counts")
    order_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The connection code must be unique."),
    ]

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.model
    def _default_code(self):
        return "r-" + secrets.token_hex(4)

    def _compute_counts(self):
        data = {
            (connection.id, state): count
            for connection, state, count in self.env["sale.order"]._read_group(
                [("b2b_connection_id", "in", self.ids)],
                ["b2b_connection_id", "b2b_state"],
                ["__count"],
            )
        }
        for connection in self:
            connection.request_count = sum(
                data.get((connection.id, state), 0) for state in ("request", "answered", "expired")
            )
            connection.order_count = sum(
                data.get((connection.id, state), 0) for state in ("order", "shipped")
            )

    @api.constrains("code")
    def _check_code(self):
        for connection in self:
            if not CODE_PATTERN.match(connection.code or ""):
                raise ValidationError(
                    _(
                        "The code %(code)s is not valid: use 2 to 64 lowercase letters, "
                        "digits, dashes or underscores, starting with a letter or digit.",
                        code=connection.code,
                    )
                )

    @api.constrains("answer_delay_hours", "ship_delay_hours")
    def _check_delays(self):
        for connection in self:
            if connection.answer_delay_hours <= 0 or connection.ship_delay_hours <= 0:
                raise ValidationError(_("Answer and ship delays must be positive."))

    def action_connect(self):
        self._set_state("connected")

    def action_suspend(self):
        self._set_state("suspended")

    def _set_state(self, state):
        self.write({"state": state})

    def action_view_requests(self):
        return self._action_view_orders(
            "b2b_dropship.sale_order_action_b2b_requests"
        )

    def action_view_orders(self):
        return self._action_view_orders("b2b_dropship.sale_order_action_b2b_orders")

    def _action_view_orders(self, xmlid):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("b2b_connection_id", "=", self.id)]
        action["context"] = {"default_b2b_connection_id": self.id}
        return action

    # Business methods ------------------------------------------------------

    def compute_deadline(self, start, hours):
        """Return the deadline ``hours`` after ``start`` for this connection.

        ``start`` and the result are naive UTC datetimes. Every deadline of the
        product goes through here so that time zone, working hours and public
        holidays are always applied the same way.
        """
        self.ensure_one()
        calendar = self.resource_calendar_id
        work_intervals = None
        holidays = ()
        if calendar:
            work_intervals = [
                (int(att.dayofweek), att.hour_from, att.hour_to)
                for att in calendar.attendance_ids
                if not att.resource_id
                and att.day_period != "lunch"
                and not att.display_type
                and (not calendar.two_weeks_calendar or att.week_type == "0")
            ]
            holidays = [
                (leave.date_from, leave.date_to)
                for leave in calendar.leave_ids
                if not leave.resource_id
            ]
        return compute_deadline(
            start, hours, self.tz or "UTC", work_intervals=work_intervals, holidays=holidays
        )

    def _check_can_receive(self, kind="request"):
        """Refuse requests and orders on a connection that may not send them."""
        for connection in self:
            if connection.state != "connected":
                raise UserError(
                    _(
                        "The connection %(name)s is %(state)s: it cannot send requests or "
                        "orders until it is connected.",
                        name=connection.name,
                        state=dict(
                            connection._fields["state"]._description_selection(self.env)
                        )[connection.state],
                    )
                )
            if kind == "order" and not connection.instant_ordering:
                raise UserError(
                    _(
                        "The connection %(name)s does not allow instant ordering: send a "
                        "request first and turn its answer into an order.",
                        name=connection.name,
                    )
                )

    def _find_product(self, sku=None, retailer_sku=None):
        """Return the product named by our reference or the retailer's own one."""
        self.ensure_one()
        if retailer_sku:
            reference = self.env["b2b.product.reference"].search(
                [("connection_id", "=", self.id), ("retailer_sku", "=", retailer_sku)],
                limit=1,
            )
            return reference.product_id
        if sku:
            return self.env["product.product"].search(
                [("default_code", "=", sku), ("sale_ok", "=", True)], limit=1
            )
        return self.env["product.product"]

    def _notification_partners(self):
        """Partners to notify for this retailer, in addition to the order's e-mail."""
        self.ensure_one()
        return self.partner_id
