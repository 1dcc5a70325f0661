import math
import re
import secrets
from datetime import datetime

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import escape_psql, float_round

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools.deadline import compute_deadline

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


def _tz_get(self):
    return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])


class B2bConnection(models.Model):
    _name = "b2b.connection"
    _description = "B2B Retailer Connection"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "b2b.csv.channel.mixin",
        "b2b.http.channel.mixin",
    ]
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
            ("refused", "Refused"),
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
    order_ids = fields.One2many(
        "sale.order", "b2b_connection_id", string="Requests and Orders"
    )
    request_count = fields.Integer(compute="_compute_counts")
    order_count = fields.Integer(compute="_compute_counts")
    # Invitations, connection requests and terms (retailer portal)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        tracking=True,
        help="Receives the review activities of this connection. "
        "Empty: the B2B managers.",
    )
    invited_partner_id = fields.Many2one(
        "res.partner", string="Invited Contact", readonly=True, copy=False
    )
    invitation_message = fields.Text(
        copy=False,
        help="The personal message of the invitation e-mail.",
    )
    requested_by_id = fields.Many2one(
        "res.users",
        string="Requested By",
        readonly=True,
        copy=False,
        help="The retailer's portal user who asked to connect.",
    )
    refuse_reason = fields.Text(string="Refusal Reason", readonly=True, copy=False)
    terms_url = fields.Char(
        string="Terms of Service",
        help="Terms this retailer must accept to connect. Empty: the company's terms.",
    )
    effective_terms_url = fields.Char(
        string="Terms to Accept", compute="_compute_effective_terms_url"
    )
    terms_accepted_url = fields.Char(string="Accepted Terms", readonly=True, copy=False)
    terms_accepted_by_id = fields.Many2one(
        "res.users", string="Terms Accepted By", readonly=True, copy=False
    )
    terms_accepted_at = fields.Datetime(
        string="Terms Accepted On", readonly=True, copy=False
    )
    summary_sent_for = fields.Date(
        string="Last Monthly Summary",
        readonly=True,
        copy=False,
        help="The month covered by the last monthly summary sent to the retailer.",
    )

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
                data.get((connection.id, state), 0)
                for state in ("request", "answered", "expired")
            )
            connection.order_count = sum(
                data.get((connection.id, state), 0) for state in ("order", "shipped")
            )

    @api.depends("terms_url", "company_id.b2b_terms_url")
    def _compute_effective_terms_url(self):
        for connection in self:
            connection.effective_terms_url = (
                connection.terms_url or connection.company_id.b2b_terms_url or False
            )

    @api.constrains("code")
    def _check_code(self):
        for connection in self:
            if not CODE_PATTERN.match(connection.code or ""):
                raise ValidationError(
                    _(
                        "The code %(code)s is not valid: use 2 to 64 lowercase "
                        "letters, digits, dashes or underscores, starting with a "
                        "letter or digit.",
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
        return self._action_view_orders("b2b_dropship.sale_order_action_b2b_requests")

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
                (
                    int(att.dayofweek),
                    att.hour_from,
                    att.hour_to,
                    int(att.week_type) if calendar.two_weeks_calendar else None,
                )
                for att in calendar.attendance_ids
                if not att.resource_id
                and att.day_period != "lunch"
                and not att.display_type
            ]
            # as Odoo counts them: the calendar's own days off and the
            # company's public holidays (no calendar), not someone's leave nor
            # time off that counts as worked ("other")
            holidays = [
                (leave.date_from, leave.date_to)
                for leave in self.env["resource.calendar.leaves"]
                .sudo()
                .search(
                    [
                        ("resource_id", "=", False),
                        ("calendar_id", "in", (False, calendar.id)),
                        ("company_id", "in", (False, self.company_id.id)),
                        ("time_type", "=", "leave"),
                        ("date_to", ">", start),
                    ]
                )
            ]
        return compute_deadline(
            start,
            hours,
            self.tz or "UTC",
            work_intervals=work_intervals,
            holidays=holidays,
        )

    def _check_can_receive(self, kind="request"):
        """Refuse requests and orders on a connection that may not send them."""
        for connection in self:
            if not connection.active:
                raise B2bRefusedError(
                    _(
                        "The connection %(name)s is archived: it cannot send "
                        "requests or orders.",
                        name=connection.name,
                    )
                )
            if connection.state != "connected":
                raise B2bRefusedError(
                    _(
                        "The connection %(name)s is %(state)s: it cannot send "
                        "requests or orders until it is connected.",
                        name=connection.name,
                        state=dict(
                            connection._fields["state"]._description_selection(self.env)
                        )[connection.state],
                    )
                )
            if kind == "order" and not connection.instant_ordering:
                raise B2bRefusedError(
                    _(
                        "The connection %(name)s does not allow instant ordering: "
                        "send a request first and turn its answer into an order.",
                        name=connection.name,
                    )
                )

    def _find_product(self, sku=None, retailer_sku=None):
        """Return the product named by our reference, the retailer's own one,
        or both (nothing when they name different products)."""
        self.ensure_one()
        line = {"sku": sku, "retailer_sku": retailer_sku}
        return self._b2b_line_product(line, "", self._b2b_find_products([line]), [])

    def _b2b_find_products(self, lines):
        """What :meth:`_find_product` finds for each of ``lines`` (dicts with
        ``sku`` and/or ``retailer_sku``), in two queries: ``{("sku", code) or
        ("retailer_sku", code): product}``."""
        self.ensure_one()
        skus = {
            line["sku"].strip() for line in lines if isinstance(line.get("sku"), str)
        }
        retailer_skus = {
            line["retailer_sku"].strip()
            for line in lines
            if isinstance(line.get("retailer_sku"), str)
        }
        found = {}
        if retailer_skus:
            references = self.env["b2b.product.reference"].search(
                [
                    ("connection_id", "=", self.id),
                    ("retailer_sku", "in", list(retailer_skus)),
                ]
            )
            for reference in references:
                found.setdefault(
                    ("retailer_sku", reference.retailer_sku), reference.product_id
                )
        if skus:
            # in the order of product.product: the first one wins, as with limit=1
            # products of the connection's company (or shared): another
            # company's product of the same reference is not ours to sell here
            for product in self.env["product.product"].search(
                [
                    ("default_code", "in", list(skus)),
                    ("sale_ok", "=", True),
                    ("company_id", "in", (False, self.company_id.id)),
                ]
            ):
                found.setdefault(("sku", product.default_code), product)
        return found

    def _b2b_receive(self, kind, data, known_references=None):
        """Create a request (or, with instant ordering, an order) sent by the retailer.

        The one entry point behind the portal, webhooks, the API and CSV drops.
        ``data`` has the shape of the ``request.created`` webhook data:
        ``reference``, ``ship_to`` (name, street, street2, city, zip, state_code,
        country_code, email, phone), ``lines`` (``sku`` or ``retailer_sku``,
        ``quantity``, optional ``description``) and an optional ``note``.
        ``kind`` is ``request`` or ``order``; ``known_references`` as for
        :meth:`_b2b_receive_values`. Raises :class:`B2bRefusedError` when
        the connection may not send it and :class:`B2bInputError` listing every
        problem of the data; creates nothing in either case.
        """
        return self._b2b_create_received(
            [self._b2b_receive_values(kind, data, known_references=known_references)]
        )

    def _b2b_create_received(self, values_list):
        """Create the requests and orders of ``values_list`` (from
        :meth:`_b2b_receive_values`) together, and confirm the orders.

        What sale.order would compute alike for each of them (the ship-to
        contacts' look-up, the invoice address, the warehouse, an empty
        analytic distribution) is computed once for all by
        :meth:`_b2b_prepare_received`. A caller that creates in a savepoint
        calls that first, outside it, so that the contacts it creates
        survive a rollback it retries after.
        """
        self.ensure_one()
        self._b2b_prepare_received(values_list)
        orders = self.env["sale.order"].sudo().create(values_list)
        confirmed = orders.filtered(lambda order: order.b2b_state == "order")
        if confirmed:
            confirmed.action_confirm()
            confirmed._b2b_emit_event("order.confirmed")
        return orders

    def _b2b_prepare_received(self, values_list):
        """Complete ``values_list`` in place with what sale.order computes the
        same way for every order of the retailer: the ship-to contact (in
        place of the ``ship_to`` values), the invoice address, the warehouse,
        and the lines' analytic distribution when no model can set one."""
        self.ensure_one()
        with_ship_to = [values for values in values_list if "ship_to" in values]
        if with_ship_to:
            partners = self._b2b_ship_to_partners(
                [values.pop("ship_to") for values in with_ship_to]
            )
            for values, partner in zip(with_ship_to, partners, strict=True):
                values["partner_shipping_id"] = partner.id
        if all("partner_invoice_id" in values for values in values_list):
            return
        SaleOrder = self.env["sale.order"].sudo()
        shared = {"partner_invoice_id": self._b2b_invoice_address()}
        if "warehouse_id" in SaleOrder._fields:
            shared["warehouse_id"] = SaleOrder.new(
                {"partner_id": self.partner_id.id, "company_id": self.company_id.id}
            ).warehouse_id.id
        no_analytic = (
            not self.env["account.analytic.distribution.model"]
            .sudo()
            .search_count([], limit=1)
        )
        for values in values_list:
            for name, value in shared.items():
                values.setdefault(name, value)
            if no_analytic:
                # without distribution models, the lines' analytic distribution
                # is empty: spare its two searches per line
                for command in values["order_line"]:
                    command[2].setdefault("analytic_distribution", False)

    def _b2b_invoice_address(self):
        """The invoice address sale.order computes for the retailer's orders
        (``address_get``), without walking all its contacts when it has no
        invoice address: address_get reads every one of them, and a retailer
        gains a ship-to contact with nearly every order."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        # address_get looks for it among the retailer's contacts, not inside
        # its sub-companies: exactly the partners whose commercial entity is
        # the retailer (an indexed column, where "child_of" would first list
        # every contact)
        if (
            partner.type == "contact"
            and partner.commercial_partner_id == partner
            and not partner.search_count(
                [("commercial_partner_id", "=", partner.id), ("type", "=", "invoice")],
                limit=1,
            )
        ):
            return partner.id
        return partner.address_get(["invoice"])["invoice"]

    def _b2b_receive_values(self, kind, data, products=None, known_references=None):
        """Check ``data`` as :meth:`_b2b_receive` does and return the values of
        the sale order to create, with the ship-to contact's values under
        ``ship_to`` (see :meth:`_b2b_ship_to_partners`), for channels that
        create many orders at once. ``products`` is what
        :meth:`_b2b_find_products` found for their lines beforehand,
        ``known_references`` the references of the connection already used
        among theirs (one query for all); by default, those of its requests
        and orders and of the webhooks it has queued (answered 202: accepted,
        their reference is theirs)."""
        self.ensure_one()
        self._check_can_receive(kind)
        errors = []
        reference = (
            (data.get("reference") or "").strip() if isinstance(data, dict) else ""
        )
        if not reference:
            errors.append(
                {"path": "reference", "message": _("The reference is required.")}
            )
        elif reference in (
            known_references
            if known_references is not None
            else self.env["b2b.event"]
            .sudo()
            ._b2b_used_references(self, [{"reference": reference}])
        ):
            errors.append(
                {
                    "path": "reference",
                    "message": _(
                        "The reference %(reference)s is already used by another "
                        "request or order.",
                        reference=reference,
                    ),
                }
            )
        ship_to_values = self._b2b_ship_to_values(data.get("ship_to"), errors)
        line_commands = self._b2b_line_commands(data.get("lines"), errors, products)
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            errors.append({"path": "note", "message": _("The note must be text.")})
        if errors:
            raise B2bInputError(errors)
        return {
            "b2b_connection_id": self.id,
            "b2b_state": kind,
            "partner_id": self.partner_id.id,
            "ship_to": ship_to_values,
            "client_order_ref": reference,
            "b2b_note": note or False,
            "company_id": self.company_id.id,
            "order_line": line_commands,
        }

    def _b2b_ship_to_values(self, ship_to, errors):
        if not isinstance(ship_to, dict):
            errors.append(
                {"path": "ship_to", "message": _("The ship-to address is required.")}
            )
            return {}
        for key in ("name", "street", "city", "country_code"):
            value = ship_to.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(
                    {"path": f"ship_to.{key}", "message": _("This field is required.")}
                )
        for key in ("street2", "state_code", "email", "phone"):
            value = ship_to.get(key)
            if value is not None and not isinstance(value, str):
                errors.append(
                    {"path": f"ship_to.{key}", "message": _("This field must be text.")}
                )
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
                            "Unknown country code %(code)s: use ISO 3166-1 alpha-2, "
                            "such as FR.",
                            code=country_code,
                        ),
                    }
                )
        zip_code = ship_to.get("zip")
        if not (isinstance(zip_code, str) and zip_code.strip()) and (
            country.zip_required or not country
        ):
            # a country without postcodes (zip_required unset, as Odoo ships
            # Hong Kong or Ireland's neighbours) may leave it out
            errors.append(
                {"path": "ship_to.zip", "message": _("This field is required.")}
            )
        state_code = ship_to.get("state_code")
        if country and isinstance(state_code, str) and state_code.strip():
            state = self.env["res.country.state"].search(
                [
                    ("country_id", "=", country.id),
                    # =ilike for the case only: % and _ are no wildcards here
                    ("code", "=ilike", escape_psql(state_code.strip())),
                ],
                limit=1,
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

    def _b2b_ship_to_partners(self, values_list):
        """The retailer's delivery contact of each address (values of
        :meth:`_b2b_ship_to_values`), reused when it exists: the existing
        contacts in one query, the missing ones created together."""
        self.ensure_one()
        Partner = self.env["res.partner"].sudo()
        # all the values the retailer sent: a customer with another phone or
        # state gets a new contact, and the earlier orders keep theirs
        keys = (
            "name",
            "street",
            "street2",
            "city",
            "zip",
            "state_id",
            "country_id",
            "email",
            "phone",
        )

        def key_of(values):
            return tuple(values[key] or False for key in keys)

        found = {}
        for partner in Partner.search(
            [
                ("parent_id", "=", self.partner_id.id),
                ("type", "=", "delivery"),
                ("name", "in", list({values["name"] for values in values_list})),
            ],
            order="id",
        ):
            found.setdefault(
                tuple(
                    partner[key].id
                    if key in ("country_id", "state_id")
                    else partner[key] or False
                    for key in keys
                ),
                partner,
            )
        missing = {}
        for values in values_list:
            if key_of(values) not in found:
                missing.setdefault(key_of(values), values)
        # Odoo's import creates contacts this way: the retailer's commercial
        # fields go to all the new contacts in one write, not one per contact.
        # In the connection's company, the one whose orders they ship.
        created = (
            Partner.with_company(self.company_id)
            .with_context(mail_create_nolog=True, b2b_ship_to=True)
            ._load_records_create(
                [
                    dict(
                        values,
                        parent_id=self.partner_id.id,
                        type="delivery",
                        lang=self.lang,
                    )
                    for values in missing.values()
                ]
            )
        )
        found.update(zip(missing, created, strict=True))
        return Partner.concat(*(found[key_of(values)] for values in values_list))

    def _b2b_line_commands(self, lines, errors, products=None):
        if not isinstance(lines, list) or not lines:
            errors.append(
                {"path": "lines", "message": _("At least one line is required.")}
            )
            return []
        if products is None:
            products = self._b2b_find_products(
                [line for line in lines if isinstance(line, dict)]
            )
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        commands = []
        for index, line in enumerate(lines):
            path = f"lines[{index}]"
            if not isinstance(line, dict):
                errors.append(
                    {"path": path, "message": _("Each line must be an object.")}
                )
                continue
            product = self._b2b_line_product(line, path, products, errors)
            quantity = line.get("quantity")
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int | float)
                or not math.isfinite(quantity)
                or quantity <= 0
            ):
                errors.append(
                    {
                        "path": f"{path}.quantity",
                        "message": _("The quantity must be a number greater than 0."),
                    }
                )
                continue
            # sale.order.line keeps this many decimals and rounds the others
            # away without a word: 0.001 would become a line of 0
            if float_round(quantity, precision_digits=digits) != quantity:
                errors.append(
                    {
                        "path": f"{path}.quantity",
                        "message": _(
                            "The quantity %(quantity)s has more decimals than we "
                            "keep: give at most %(digits)s decimals.",
                            quantity=quantity,
                            digits=digits,
                        )
                        if digits
                        else _(
                            "The quantity %(quantity)s is not a whole number: give "
                            "a whole number.",
                            quantity=quantity,
                        ),
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

    def _b2b_line_product(self, line, path, products, errors):
        """The product a line names (``products`` as :meth:`_b2b_find_products`
        returns them), or nothing with its errors added to ``errors``. A line
        giving both references must name one product by both."""
        Product = self.env["product.product"]
        given = {
            field: line[field].strip()
            for field in ("sku", "retailer_sku")
            if isinstance(line.get(field), str) and line[field].strip()
        }
        if not given:
            errors.append(
                {
                    "path": f"{path}.sku",
                    "message": _("Give our sku or your retailer_sku."),
                }
            )
            return Product
        found = {
            field: products.get((field, code), Product) for field, code in given.items()
        }
        if len(given) == 1:
            field, product = next(iter(found.items()))
            if not product:
                errors.append(
                    {
                        "path": f"{path}.{field}",
                        "message": _("Unknown product %(sku)s.", sku=given[field]),
                    }
                )
            return product
        sku, retailer_sku = found["sku"], found["retailer_sku"]
        if sku and retailer_sku:
            if sku == retailer_sku:
                return sku
            errors.append(
                {
                    "path": f"{path}.retailer_sku",
                    "message": _(
                        "The sku %(sku)s is %(product)s but the retailer_sku "
                        "%(retailer_sku)s is %(other)s: give the references of one "
                        "product, or only one of them.",
                        sku=given["sku"],
                        product=sku.display_name,
                        retailer_sku=given["retailer_sku"],
                        other=retailer_sku.display_name,
                    ),
                }
            )
            return Product
        for field, other in (("sku", "retailer_sku"), ("retailer_sku", "sku")):
            if found[field]:
                continue
            errors.append(
                {
                    "path": f"{path}.{field}",
                    "message": _(
                        "Unknown product %(sku)s: correct the %(field)s, or leave "
                        "it empty to order by the %(other)s %(code)s alone.",
                        sku=given[field],
                        field=field,
                        other=other,
                        code=given[other],
                    )
                    if found[other]
                    else _("Unknown product %(sku)s.", sku=given[field]),
                }
            )
        return Product

    def _b2b_product_choices(self):
        """Suggestions for the product fields of the portal's request form:
        the retailer's references, then our products with a reference."""
        self.ensure_one()
        choices = [
            (
                reference.retailer_sku,
                reference.retailer_name or reference.product_id.display_name,
            )
            for reference in self.product_reference_ids
        ]
        products = self.env["product.product"].search(
            [
                ("sale_ok", "=", True),
                ("default_code", "!=", False),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            order="default_code",
            limit=500,
        )
        choices += [(product.default_code, product.name) for product in products]
        return choices

    # Invitations, connection requests and terms --------------------------

    def action_b2b_accept(self):
        """Accept connections waiting in the review queue; the retailer is told."""
        for connection in self:
            if connection.state not in ("pending", "refused"):
                raise UserError(
                    _(
                        "%(name)s is not waiting for a review: it cannot be accepted.",
                        name=connection.display_name,
                    )
                )
        self.write({"state": "connected", "refuse_reason": False})
        self.activity_feedback(["mail.mail_activity_data_todo"])
        self._b2b_notify_retailer("accepted")
        return True

    def action_b2b_refuse(self, reason=None):
        """Refuse connections waiting in the review queue, with the reason given."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Please give the retailer a reason for the refusal."))
        for connection in self:
            if connection.state != "pending":
                raise UserError(
                    _(
                        "%(name)s is not waiting for a review: it cannot be refused.",
                        name=connection.display_name,
                    )
                )
        self.write({"state": "refused", "refuse_reason": reason})
        self.activity_feedback(["mail.mail_activity_data_todo"])
        self._b2b_notify_retailer("refused")
        return True

    def action_b2b_open_refuse_wizard(self):
        return {
            "name": _("Refuse Connection"),
            "type": "ir.actions.act_window",
            "res_model": "b2b.connection.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_connection_ids": self.ids},
        }

    @api.model
    def _b2b_request_connection(self, user, terms_accepted=False):
        """A portal user asks to connect its company; returns its connection.

        Called from the portal once the user's own company is known to have no
        connection that could be used (a refused one is asked again).
        """
        partner = user.partner_id.commercial_partner_id
        connection = self.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)],
            limit=1,
        )
        if connection and connection.state not in ("refused", "invited"):
            raise UserError(
                _(
                    "Your company is already connected or waiting for the supplier's "
                    "review."
                )
            )
        if not connection:
            connection = self.create(
                {
                    "name": partner.name,
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "state": "invited",
                    "instant_ordering": self.env.company.b2b_instant_ordering,
                    "lang": partner.lang or self.env.company.partner_id.lang or "en_US",
                    "requested_by_id": user.id,
                }
            )
        else:
            connection.write({"requested_by_id": user.id, "refuse_reason": False})
        if not self.env["res.users"].search_count(
            [("partner_id", "child_of", partner.id), ("b2b_is_admin", "=", True)],
            limit=1,
        ):
            user.b2b_is_admin = True
        connection._b2b_connect(user, terms_accepted=terms_accepted)
        return connection

    def _b2b_on_signup(self, partner):
        """The invited contact ``partner`` has just chosen a password.

        Without terms to accept the connection goes on at once; with terms it
        waits for the retailer to accept them on its connection page.
        """
        connections = self.search(
            [("invited_partner_id", "=", partner.id), ("state", "=", "invited")]
        )
        user = partner.user_ids[:1]
        if not user:
            return connections
        for connection in connections:
            if connection.effective_terms_url:
                connection.message_post(
                    body=_(
                        "%(name)s signed up and has yet to accept the terms of "
                        "service.",
                        name=partner.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            # Acts as the new user: the supplier reads who connected.
            connection.with_user(user).sudo()._b2b_connect(user)
        return connections

    def _b2b_connect(self, user, terms_accepted=False):
        """The retailer connects: at once with instant ordering, else for review."""
        self.ensure_one()
        if self.state not in ("invited", "refused"):
            raise UserError(
                _(
                    "%(name)s is already connected or waiting for a review.",
                    name=self.name,
                )
            )
        terms_url = self.effective_terms_url
        values = {}
        if terms_url:
            if not terms_accepted:
                raise UserError(
                    _("Please confirm that you have read the terms of service.")
                )
            values.update(
                terms_accepted_url=terms_url,
                terms_accepted_by_id=user.id,
                terms_accepted_at=fields.Datetime.now(),
            )
        values["state"] = "connected" if self.instant_ordering else "pending"
        self.write(values)
        self._b2b_tell_supplier_connected(user)
        if self.state == "connected":
            self._b2b_notify_retailer("accepted")
        return True

    def _b2b_tell_supplier_connected(self, user):
        self.ensure_one()
        if self.state == "connected":
            body = _(
                "%(user)s connected %(retailer)s: requests and orders can come in.",
                user=user.name,
                retailer=self.partner_id.name,
            )
        else:
            body = _(
                "%(user)s asked to connect %(retailer)s: please accept or refuse the "
                "connection.",
                user=user.name,
                retailer=self.partner_id.name,
            )
        supplier_users = self._b2b_supplier_users()
        self.message_post(
            body=body,
            subtype_xmlid="mail.mt_comment",
            message_type="notification",
            partner_ids=supplier_users.partner_id.ids,
        )
        if self.state == "pending":
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Review the connection request"),
                user_id=supplier_users[:1].id or self.env.ref("base.user_admin").id,
            )

    def _b2b_supplier_users(self):
        """Who hears about this connection on the supplier's side."""
        self.ensure_one()
        if self.user_id:
            return self.user_id
        return (
            self.env.ref("b2b_dropship.group_b2b_manager")
            .users.filtered(
                lambda user: not user.share
                and user.active
                and self.company_id in user.company_ids
            )
            .sorted("id")
        )

    def _b2b_notify_retailer(self, event):
        """E-mail the retailer about its connection (accepted, refused)."""
        template = self.env.ref(
            f"b2b_dropship.mail_template_b2b_connection_{event}",
            raise_if_not_found=False,
        )
        if not template:
            return
        for connection in self:
            connection.message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )

    def _b2b_invitation_url(self):
        """The signup link of the invited contact, landing on the connection page."""
        self.ensure_one()
        partner = self.invited_partner_id.sudo()
        if any(partner.user_ids.mapped("login_date")):
            return f"{self.get_base_url()}/web/login?redirect=/my/b2b/connection"
        return partner._get_signup_url_for_action(url="/my/b2b/connection")[partner.id]

    # Monthly summary -------------------------------------------------------

    def _b2b_month_bounds(self, now=None):
        """Start and end (naive UTC) of the calendar month before ``now``, in the
        connection's time zone."""
        self.ensure_one()
        tz = pytz.timezone(self.tz or "UTC")
        local_now = pytz.utc.localize(now or fields.Datetime.now()).astimezone(tz)
        this_month = tz.localize(datetime(local_now.year, local_now.month, 1))
        last_month = tz.localize(
            datetime(local_now.year, local_now.month, 1) - relativedelta(months=1)
        )
        return (
            last_month.astimezone(pytz.utc).replace(tzinfo=None),
            this_month.astimezone(pytz.utc).replace(tzinfo=None),
        )

    def _b2b_monthly_summary(self, now=None):
        """Last month's orders, shipments, cancellations and late shipments."""
        self.ensure_one()
        start, end = self._b2b_month_bounds(now)
        Order = self.env["sale.order"].sudo()
        base = [("b2b_connection_id", "=", self.id)]
        orders = Order.search(
            base
            + [
                ("b2b_ship_deadline", "!=", False),
                ("date_order", ">=", start),
                ("date_order", "<", end),
            ],
            order="date_order, id",
        )
        shipped = Order.search(
            base + [("b2b_shipped_at", ">=", start), ("b2b_shipped_at", "<", end)],
            order="b2b_shipped_at, id",
        )
        cancelled = Order.search(
            base
            + [
                ("b2b_state", "=", "cancelled"),
                ("b2b_cancelled_at", ">=", start),
                ("b2b_cancelled_at", "<", end),
            ],
            order="b2b_cancelled_at, id",
        )
        late = shipped.filtered(
            lambda order: order.b2b_ship_deadline
            and order.b2b_shipped_at > order.b2b_ship_deadline
        ) | Order.search(
            base
            + [
                ("b2b_state", "=", "order"),
                ("b2b_ship_deadline", "<", min(end, now or fields.Datetime.now())),
            ],
            order="b2b_ship_deadline, id",
        )
        return {
            "month": self._b2b_summary_month(now),
            "orders": orders,
            "shipped": shipped,
            "cancelled": cancelled,
            "late": late,
        }

    def _b2b_summary_month(self, now=None):
        """First day of the month the next summary covers (the previous month)."""
        self.ensure_one()
        start = self._b2b_month_bounds(now)[0]
        return (
            pytz.utc.localize(start).astimezone(pytz.timezone(self.tz or "UTC")).date()
        )

    @api.model
    def _cron_monthly_summary(self, batch_size=100):
        """E-mail each connected retailer the summary of the month that ended.

        A connection already summarised for that month is skipped, so a run
        that stopped halfway resumes without sending anything twice.
        """
        template = self.env.ref("b2b_dropship.mail_template_b2b_monthly_summary")
        todo = self.search([("state", "=", "connected")]).filtered(
            lambda connection: connection.summary_sent_for
            != connection._b2b_summary_month()
        )
        done = 0
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            for connection in batch:
                connection.message_post_with_source(
                    template, subtype_xmlid="mail.mt_comment"
                )
                connection.summary_sent_for = connection._b2b_summary_month()
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(todo) - done)
            self.env["sale.order"]._b2b_commit_batch()
        return done

    def action_b2b_resend_invitation(self):
        """Send the invitation e-mail again, with a fresh signup link."""
        # portal access is granted as superuser: for those who may change the
        # connection (managers), as the button says
        self.check_access("write")
        for connection in self:
            if connection.state != "invited" or not connection.invited_partner_id:
                raise UserError(
                    _(
                        "%(name)s has no pending invitation.",
                        name=connection.display_name,
                    )
                )
            portal_wizard = (
                self.env["portal.wizard"]
                .sudo()
                .with_context(active_ids=[], active_id=False, active_model=False)
                .create(
                    {
                        "partner_ids": [
                            fields.Command.link(connection.invited_partner_id.id)
                        ],
                        "welcome_message": connection.invitation_message,
                    }
                )
            )
            wizard_user = portal_wizard.user_ids.with_context(
                b2b_invitation_connection_id=connection.id
            )
            if wizard_user.is_portal:
                wizard_user.action_invite_again()
            else:
                wizard_user.action_grant_access()
        return True
