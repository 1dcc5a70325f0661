import re
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools.deadline import compute_deadline

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


def _tz_get(self):
    return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])


class B2bConnection(models.Model):
    _name = "b2b.connection"
    _description = "B2B Retailer Connection"
    _inherit = ["mail.thread", "mail.activity.mixin", "b2b.csv.channel.mixin"]
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
                raise B2bRefusedError(
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
                raise B2bRefusedError(
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

    def _b2b_receive(self, kind, data):
        """Create a request (or, with instant ordering, an order) sent by the retailer.

        The one entry point behind the portal, webhooks, the API and CSV drops.
        ``data`` has the shape of the ``request.created`` webhook data:
        ``reference``, ``ship_to`` (name, street, street2, city, zip, state_code,
        country_code, email, phone), ``lines`` (``sku`` or ``retailer_sku``,
        ``quantity``, optional ``description``) and an optional ``note``.
        ``kind`` is ``request`` or ``order``. Raises :class:`B2bRefusedError` when
        the connection may not send it and :class:`B2bInputError` listing every
        problem of the data; creates nothing in either case.
        """
        self.ensure_one()
        self._check_can_receive(kind)
        errors = []
        reference = (data.get("reference") or "").strip() if isinstance(data, dict) else ""
        if not reference:
            errors.append({"path": "reference", "message": _("The reference is required.")})
        elif self.env["sale.order"].sudo().search_count(
            [("b2b_connection_id", "=", self.id), ("client_order_ref", "=", reference)], limit=1
        ):
            errors.append(
                {
                    "path": "reference",
                    "message": _(
                        "The reference %(reference)s is already used by another request or "
                        "order.",
                        reference=reference,
                    ),
                }
            )
        ship_to_values = self._b2b_ship_to_values(data.get("ship_to"), errors)
        line_commands = self._b2b_line_commands(data.get("lines"), errors)
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            errors.append({"path": "note", "message": _("The note must be text.")})
        if errors:
            raise B2bInputError(errors)
        order = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "b2b_connection_id": self.id,
                    "b2b_state": kind,
                    "partner_id": self.partner_id.id,
                    "partner_shipping_id": self._b2b_ship_to_partner(ship_to_values).id,
                    "client_order_ref": reference,
                    "b2b_note": note or False,
                    "company_id": self.company_id.id,
                    "order_line": line_commands,
                }
            )
        )
        if kind == "order":
            order.action_confirm()
        return order

    def _b2b_ship_to_values(self, ship_to, errors):
        if not isinstance(ship_to, dict):
            errors.append({"path": "ship_to", "message": _("The ship-to address is required.")})
            return {}
        for key in ("name", "street", "city", "zip", "country_code"):
            value = ship_to.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(
                    {"path": f"ship_to.{key}", "message": _("This field is required.")}
                )
        for key in ("street2", "state_code", "email", "phone"):
            value = ship_to.get(key)
            if value is not None and not isinstance(value, str):
                errors.append({"path": f"ship_to.{key}", "message": _("This field must be text.")})
        country = state = self.env["res.country"]
        country_code = ship_to.get("country_code")
        if isinstance(country_code, str) and country_code.strip():
            country = self.env["res.country"].search(
                [("code", "=", country_code.strip().upper())], limit=1
            )
            if not country:
                errors.append(
                    {
                        "path": "ship_to.country_code",
                        "message": _(
                            "Unknown country code %(code)s: use ISO 3166-1 alpha-2, such as FR.",
                            code=country_code,
                        ),
                    }
                )
        state_code = ship_to.get("state_code")
        if country and isinstance(state_code, str) and state_code.strip():
            state = self.env["res.country.state"].search(
                [("country_id", "=", country.id), ("code", "=ilike", state_code.strip())], limit=1
            )
            if not state:
                errors.append(
                    {
                        "path": "ship_to.state_code",
                        "message": _(
                            "Unknown state %(state)s for %(country)s.",
                            state=state_code,
                            country=country.name,
                        ),
                    }
                )
        return {
            "name": (ship_to.get("name") or "").strip(),
            "street": ship_to.get("street") or False,
            "street2": ship_to.get("street2") or False,
            "city": ship_to.get("city") or False,
            "zip": ship_to.get("zip") or False,
            "country_id": country.id,
            "state_id": state.id,
            "email": ship_to.get("email") or False,
            "phone": ship_to.get("phone") or False,
        }

    def _b2b_ship_to_partner(self, values):
        """The retailer's delivery contact for this address, reused when it exists."""
        Partner = self.env["res.partner"].sudo()
        domain = [("parent_id", "=", self.partner_id.id), ("type", "=", "delivery")] + [
            (key, "=", values[key])
            for key in ("name", "street", "street2", "city", "zip", "country_id", "email")
        ]
        partner = Partner.search(domain, limit=1)
        if not partner:
            partner = Partner.create(
                dict(values, parent_id=self.partner_id.id, type="delivery", lang=self.lang)
            )
        return partner

    def _b2b_line_commands(self, lines, errors):
        if not isinstance(lines, list) or not lines:
            errors.append({"path": "lines", "message": _("At least one line is required.")})
            return []
        commands = []
        for index, line in enumerate(lines):
            path = f"lines[{index}]"
            if not isinstance(line, dict):
                errors.append({"path": path, "message": _("Each line must be an object.")})
                continue
            sku, retailer_sku = line.get("sku"), line.get("retailer_sku")
            if not (isinstance(sku, str) and sku.strip()) and not (
                isinstance(retailer_sku, str) and retailer_sku.strip()
            ):
                errors.append(
                    {"path": f"{path}.sku", "message": _("Give our sku or your retailer_sku.")}
                )
                continue
            product = self._find_product(
                sku=sku.strip() if isinstance(sku, str) else None,
                retailer_sku=retailer_sku.strip() if isinstance(retailer_sku, str) else None,
            )
            if not product:
                field = "retailer_sku" if isinstance(retailer_sku, str) and retailer_sku else "sku"
                errors.append(
                    {
                        "path": f"{path}.{field}",
                        "message": _(
                            "Unknown product %(sku)s.", sku=retailer_sku if field == "retailer_sku" else sku
                        ),
                    }
                )
            quantity = line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity <= 0:
                errors.append(
                    {
                        "path": f"{path}.quantity",
                        "message": _("The quantity must be a number greater than 0."),
                    }
                )
                continue
            if product:
                values = {"product_id": product.id, "product_uom_qty": quantity}
                description = line.get("description")
                if isinstance(description, str) and description.strip():
                    values["name"] = description.strip()
                commands.append(fields.Command.create(values))
        return commands
