import logging
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval
from odoo.tools.safe_eval import time as safe_time

from ..tools.domain_terms import requires_value

_logger = logging.getLogger(__name__)

WIDTHS = [
    ("25", "25 %"),
    ("33", "33 %"),
    ("50", "50 %"),
    ("66", "66 %"),
    ("100", "100 %"),
]
SORT_ORDERS = [
    ("answer_deadline_asc", "Answer deadline, soonest first"),
    ("answer_deadline_desc", "Answer deadline, latest first"),
    ("ship_deadline_asc", "Ship deadline, soonest first"),
    ("answered_desc", "Answered, newest first"),
    ("shipped_desc", "Shipped, newest first"),
    ("date_desc", "Received, newest first"),
    ("date_asc", "Received, oldest first"),
    ("amount_desc", "Amount, largest first"),
]
# Odoo order specs of the sort orders; every field is indexed on sale.order
# (b2b.deadline.mixin), so "first N rows" reads N index entries.
SORT_SPECS = {
    "answer_deadline_asc": "b2b_answer_deadline asc, id asc",
    "answer_deadline_desc": "b2b_answer_deadline desc, id desc",
    "ship_deadline_asc": "b2b_ship_deadline asc, id asc",
    "answered_desc": "b2b_answered_at desc, id desc",
    "shipped_desc": "b2b_shipped_at desc, id desc",
    "date_desc": "date_order desc, id desc",
    "date_asc": "date_order asc, id asc",
    "amount_desc": "amount_total desc, id desc",
}
MAX_ROWS = 50
DIGEST_MAX_LINES = 20
REQUEST_COLUMNS = ["reference", "retailer", "retailer_reference", "remaining_time"]
ORDER_COLUMNS = ["reference", "retailer", "city", "country", "remaining_time"]
SHIPPED_COLUMNS = ["reference", "retailer", "city", "country", "tracking"]


class B2bDashboardWidget(models.Model):
    """One box of a user's dashboard: the records of a search, with counters.

    ``total`` counts the records matching the widget's domain now. For an
    alert widget, ``unread`` counts those that entered it since its user last
    reset it: the ids present at the reset are kept in
    ``b2b.dashboard.widget.seen`` (kind ``read``) and the count is an
    anti-join in SQL, so time-relative domains ("less than 1 hour left") are
    handled like any other: a record entering by the passage of time counts.
    """

    _name = "b2b.dashboard.widget"
    _description = "B2B Dashboard Widget"
    _order = "sequence, id"

    name = fields.Char(required=True)
    user_id = fields.Many2one(
        "res.users",
        string="User",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user,
    )
    sequence = fields.Integer(default=10)
    width = fields.Selection(
        WIDTHS,
        required=True,
        default="50",
        help="Share of the screen width it takes on a computer.",
    )
    row_count = fields.Integer(string="Rows", required=True, default=5)
    res_model = fields.Selection(
        [("sale.order", "Requests and orders")],
        string="Shows",
        required=True,
        default="sale.order",
    )
    domain = fields.Char(string="Filter", required=True, default="[]")
    column_ids = fields.Many2many(
        "b2b.dashboard.column",
        string="Columns",
        default=lambda self: self._default_column_ids(),
    )
    sort_order = fields.Selection(SORT_ORDERS, required=True, default="date_desc")
    alert_dashboard = fields.Boolean(
        string="Dashboard Alert",
        help="Colour band and a counter of the records that entered the widget since "
        "you last reset it.",
    )
    alert_email = fields.Boolean(
        string="E-mail Alert",
        help="Receive an e-mail digest of the records that newly enter the widget.",
    )
    color = fields.Integer(string="Colour", default=2)
    print_all = fields.Boolean(
        compute="_compute_print_all",
        store=True,
        readonly=False,
        help="Offer to print, from the widget, the packing slips of every order not "
        "printed yet.",
    )
    place_after_id = fields.Many2one(
        "b2b.dashboard.widget",
        string="Place After",
        compute="_compute_place_after_id",
        inverse="_inverse_place_after_id",
        domain="[('user_id', '=', user_id), ('id', '!=', id)]",
        help="Leave empty to put the widget first.",
    )

    @api.model
    def _default_column_ids(self):
        return self.env["b2b.dashboard.column"].search(
            [("code", "in", REQUEST_COLUMNS)]
        )

    @api.depends("domain", "res_model")
    def _compute_print_all(self):
        for widget in self:
            domain = widget._b2b_domain(raise_error=False)
            widget.print_all = widget.res_model == "sale.order" and (
                requires_value(domain, "b2b_state", {"order"})
                or requires_value(domain, "b2b_urgency", {"ship_late"})
            )

    @api.depends("sequence", "user_id")
    def _compute_place_after_id(self):
        for widget in self:
            siblings = self.search(
                [("user_id", "=", widget.user_id.id or self.env.uid)]
            )
            if not widget._origin:
                widget.place_after_id = siblings[-1:]
                continue
            ordered = list(siblings)
            index = ordered.index(widget._origin) if widget._origin in siblings else 0
            widget.place_after_id = ordered[index - 1] if index > 0 else False

    def _inverse_place_after_id(self):
        for widget in self:
            siblings = self.search(
                [("user_id", "=", widget.user_id.id), ("id", "!=", widget.id)]
            )
            ordered = list(siblings)
            after = widget.place_after_id
            position = ordered.index(after) + 1 if after in siblings else 0
            ordered.insert(position, widget)
            for sequence, sibling in enumerate(ordered, start=1):
                if sibling.sequence != sequence:
                    sibling.sequence = sequence

    @api.constrains("row_count")
    def _check_row_count(self):
        for widget in self:
            if not 1 <= widget.row_count <= MAX_ROWS:
                raise ValidationError(
                    _("A widget lists from 1 to %(max)s records.", max=MAX_ROWS)
                )

    @api.constrains("domain", "res_model")
    def _check_domain(self):
        for widget in self:
            domain = widget._b2b_domain()
            try:
                self.env[widget.res_model]._search(domain)
            except ValueError as error:
                raise ValidationError(
                    _(
                        "The filter of the widget “%(name)s” cannot be used: "
                        "%(domain)s",
                        name=widget.name,
                        domain=widget.domain,
                    )
                ) from error

    # CRUD ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        next_sequence = {}
        for vals in vals_list:
            if "sequence" in vals:
                continue
            user_id = vals.get("user_id") or self.env.uid
            if user_id not in next_sequence:
                last = self.search(
                    [("user_id", "=", user_id)], order="sequence desc", limit=1
                )
                next_sequence[user_id] = last.sequence + 1
            vals["sequence"] = next_sequence[user_id]
            next_sequence[user_id] += 1
        widgets = super().create(vals_list)
        widgets.filtered("alert_dashboard")._b2b_snapshot("read")
        widgets.filtered("alert_email")._b2b_snapshot("mail")
        return widgets

    def write(self, vals):
        redefined = {"domain", "res_model"} & set(vals)
        before = {
            widget.id: (widget.alert_dashboard, widget.alert_email) for widget in self
        }
        result = super().write(vals)
        for widget in self:
            read_before, mail_before = before[widget.id]
            for kind, was, now in (
                ("read", read_before, widget.alert_dashboard),
                ("mail", mail_before, widget.alert_email),
            ):
                if now and (redefined or not was):
                    widget._b2b_snapshot(kind)
                elif was and not now:
                    widget._b2b_forget(kind)
        return result

    # Actions ---------------------------------------------------------------

    @api.model
    def get_dashboard(self):
        """The current user's widgets, in order, with their counters and first records.

        The SQL queries run do not depend on the number of records: one query
        counts and picks the first ids of every widget, then the shown records
        are read at once (a few queries for their related partners,
        currencies and pickings).
        """
        self._b2b_ensure_default_widgets()
        widgets = self.search([("user_id", "=", self.env.uid)])
        if not widgets:
            return []
        figures = widgets._b2b_figures(with_records=True)
        values = widgets._b2b_record_values(
            {widget_id: ids for widget_id, (_total, _unread, ids) in figures.items()}
        )
        can_print = widgets._b2b_can_print_all()
        result = []
        for widget in widgets:
            total, unread, ids = figures[widget.id]
            broken = total < 0
            model_values = values.get(widget.res_model, {})
            columns = widget.column_ids
            result.append(
                {
                    "id": widget.id,
                    "name": widget.name,
                    "sequence": widget.sequence,
                    "width": widget.width,
                    "row_count": widget.row_count,
                    "res_model": widget.res_model,
                    "color": widget.color,
                    "alert_dashboard": widget.alert_dashboard,
                    "alert_email": widget.alert_email,
                    "total": max(total, 0),
                    "unread": unread if widget.alert_dashboard else 0,
                    "error": _(
                        "The filter of this widget cannot be used any more: edit it."
                    )
                    if broken
                    else False,
                    "can_print_all": can_print[widget.id],
                    "columns": [{"code": c.code, "label": c.name} for c in columns],
                    "records": [
                        dict(
                            model_values[res_id],
                            columns={
                                code: model_values[res_id]["columns"].get(code, "")
                                for code in columns.mapped("code")
                            },
                        )
                        for res_id in ids
                        if res_id in model_values
                    ],
                }
            )
        return result

    @api.model
    def get_unread_total(self):
        """The user's unread alerts over every widget (the menu badge)."""
        widgets = self.search(
            [("user_id", "=", self.env.uid), ("alert_dashboard", "=", True)]
        )
        if not widgets:
            return 0
        return sum(unread for _total, unread, _ids in widgets._b2b_figures().values())

    def action_reset_counter(self):
        """Every record now in the widget counts as read."""
        self.check_access("write")
        self.filtered("alert_dashboard")._b2b_snapshot("read")
        return True

    @api.model
    def action_mark_all_read(self):
        """ "All alerts are read": reset every alert widget counter of the user."""
        widgets = self.search(
            [("user_id", "=", self.env.uid), ("alert_dashboard", "=", True)]
        )
        return widgets.action_reset_counter()

    @api.model
    def action_reset_to_default(self):
        """Replace the user's widgets by the default ones."""
        self.search([("user_id", "=", self.env.uid)]).unlink()
        self._b2b_create_default_widgets()
        self._b2b_user_settings().b2b_dashboard_ready = True
        return True

    @api.model
    def action_create_from_search(self, name, res_model, domain):
        """Open the form of a new widget showing the records of a search.

        ``domain`` is the search's domain as the web client writes it
        (the action's domain and the active filters, not evaluated), so that
        filters keep their meaning: the relative-time filters of the B2B
        searches go through ``b2b_urgency`` and are evaluated at each display.
        """
        if res_model not in dict(self._fields["res_model"].selection):
            raise UserError(_("These records cannot be shown on the dashboard."))
        if isinstance(domain, list | tuple):
            domain = repr(list(domain))
        probe = self.new(
            {"name": name or _("New widget"), "res_model": res_model, "domain": domain}
        )
        evaluated = probe._b2b_domain()
        try:
            self.env[res_model]._search(evaluated)
        except ValueError as error:
            raise UserError(
                _("This search cannot be saved as a dashboard widget.")
            ) from error
        orders = requires_value(evaluated, "b2b_state", {"order"}) or requires_value(
            evaluated, "b2b_urgency", {"ship_late"}
        )
        shipped = requires_value(evaluated, "b2b_state", {"shipped"}) or requires_value(
            evaluated, "b2b_urgency", {"shipped_recent"}
        )
        codes = (
            SHIPPED_COLUMNS if shipped else ORDER_COLUMNS if orders else REQUEST_COLUMNS
        )
        sort_order = (
            "shipped_desc"
            if shipped
            else "ship_deadline_asc"
            if orders
            else "answer_deadline_asc"
        )
        columns = self.env["b2b.dashboard.column"].search([("code", "in", codes)])
        return {
            "type": "ir.actions.act_window",
            "name": _("Add to Dashboard"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [
                [
                    self.env.ref(
                        "b2b_dropship.b2b_dashboard_widget_view_form_dialog"
                    ).id,
                    "form",
                ]
            ],
            "target": "new",
            "context": {
                "default_name": name or _("New widget"),
                "default_res_model": res_model,
                "default_domain": domain,
                "default_column_ids": [Command.set(columns.ids)],
                "default_sort_order": sort_order,
                "default_alert_dashboard": True,
                "default_width": "50",
            },
        }

    def action_save_widget(self):
        """Button of the widget dialog: the record is saved, close and say so."""
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("“%(name)s” is on your dashboard.", name=self.name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_edit(self):
        """The widget's options in the small form (the dashboard's "Edit")."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Edit Widget"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                [
                    self.env.ref(
                        "b2b_dropship.b2b_dashboard_widget_view_form_dialog"
                    ).id,
                    "form",
                ]
            ],
            "target": "new",
        }

    def action_open_records(self):
        """Every record of the widget, in a list."""
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self.res_model,
            "domain": self._b2b_domain(),
            "views": [[False, "list"], [False, "form"]],
            "context": {"create": False},
        }
        if self.res_model == "sale.order":
            domain = action["domain"]
            orders = requires_value(
                domain, "b2b_state", {"order", "shipped"}
            ) or requires_value(domain, "b2b_urgency", {"ship_late", "shipped_recent"})
            list_view = self.env.ref(
                "b2b_dropship.sale_order_view_list_b2b_orders"
                if orders
                else "b2b_dropship.sale_order_view_list_b2b_requests"
            )
            action["views"] = [[list_view.id, "list"], [False, "form"]]
            action["search_view_id"] = [
                self.env.ref("b2b_dropship.sale_order_view_search_b2b").id
            ]
        return action

    # Domain, counters and records ------------------------------------------

    def _b2b_eval_context(self):
        return {
            "uid": self.env.uid,
            "context_today": lambda: fields.Date.context_today(self),
            "datetime": safe_datetime,
            "relativedelta": dateutil.relativedelta.relativedelta,
            "time": safe_time,
            "allowed_company_ids": self.env.companies.ids,
            "current_company_id": self.env.company.id,
        }

    def _b2b_domain(self, raise_error=True):
        self.ensure_one()
        try:
            domain = safe_eval(self.domain or "[]", self._b2b_eval_context())
        except ValueError as error:
            if not raise_error:
                return []
            raise ValidationError(
                _(
                    "The filter of the widget “%(name)s” is not a valid domain: "
                    "%(domain)s",
                    name=self.name,
                    domain=self.domain,
                )
            ) from error
        if not isinstance(domain, list | tuple):
            if not raise_error:
                return []
            raise ValidationError(
                _("The filter of the widget “%(name)s” must be a list.", name=self.name)
            )
        return list(domain)

    def _b2b_query(self):
        """The widget's records as a Query of the current user (record rules apply)."""
        self.ensure_one()
        return self.env[self.res_model]._search(self._b2b_domain())

    def _b2b_figures(self, with_records=False):
        """{widget id: (total, unread, first ids)} in one SQL query for all widgets."""
        if not self:
            return {}
        # The query sums the estimated costs of every widget; on a big table
        # that crosses PostgreSQL's JIT threshold, and compiling it takes far
        # longer (hundreds of ms) than running it. Off for this transaction.
        self.env.cr.execute("SET LOCAL jit = off")
        rows = self.env.execute_query(self._b2b_figures_sql(with_records))
        return {
            widget_id: (total, unread, ids) for widget_id, total, unread, ids in rows
        }

    def _b2b_figures_sql(self, with_records=False):
        parts = []
        for widget in self:
            try:
                query = widget._b2b_query()
            except (ValueError, ValidationError):
                # e.g. a field the filter names was removed: the widget says
                # so on the dashboard instead of breaking the whole page
                _logger.warning("Dashboard widget %s has an unusable filter", widget.id)
                parts.append(
                    SQL("(SELECT %s, -1::bigint, 0::bigint, ARRAY[]::int[])", widget.id)
                )
                continue
            first_ids = SQL("ARRAY[]::int[]")
            if with_records:
                # the same query, ordered and limited, before the join below;
                # ARRAY(subquery) keeps the subquery's ORDER BY
                query.order = self.env[widget.res_model]._order_to_sql(
                    SORT_SPECS[widget.sort_order], query
                )
                query.limit = widget.row_count
                first_ids = SQL("ARRAY(%s)", query.select())
                query.order = None
                query.limit = None
            if widget.alert_dashboard:
                # a join, not a NOT EXISTS per row: PostgreSQL hashes the
                # snapshot once and matches every record against it
                seen = query.make_alias(query.table, "b2b_seen")
                query.add_join(
                    "LEFT JOIN",
                    seen,
                    SQL(
                        "(SELECT res_id FROM b2b_dashboard_widget_seen "
                        "WHERE widget_id = %s AND kind = 'read')",
                        widget.id,
                    ),
                    SQL(
                        "%s = %s",
                        SQL.identifier(seen, "res_id"),
                        SQL.identifier(query.table, "id"),
                    ),
                )
                unread = SQL(
                    "count(*) FILTER (WHERE %s IS NULL)", SQL.identifier(seen, "res_id")
                )
            else:
                unread = SQL("0")
            counts = query.select(SQL("count(*) AS total"), SQL("%s AS unread", unread))
            parts.append(
                SQL(
                    "(SELECT %s, counts.total, counts.unread, %s FROM (%s) AS counts)",
                    widget.id,
                    first_ids,
                    counts,
                )
            )
        return SQL(" UNION ALL ").join(parts)

    def _b2b_snapshot(self, kind):
        """Make the records matching now the known ones of ``kind``.

        Only the difference is written: rows of records that left are
        deleted, records that entered are added.
        """
        for widget in self:
            query = widget._b2b_query()
            self.env.execute_query(
                SQL(
                    "DELETE FROM b2b_dashboard_widget_seen "
                    "WHERE widget_id = %s AND kind = %s "
                    "AND res_id NOT IN %s",
                    widget.id,
                    kind,
                    query.subselect(),
                )
            )
            widget._b2b_add_new(kind, query)

    def _b2b_add_new(self, kind, query=None):
        """Add the records matching now and not known yet; return their ids."""
        self.ensure_one()
        query = query or self._b2b_query()
        record_id = SQL.identifier(query.table, "id")
        query.add_where(
            SQL(
                "NOT EXISTS (SELECT 1 FROM b2b_dashboard_widget_seen s "
                "WHERE s.widget_id = %s AND s.kind = %s AND s.res_id = %s)",
                self.id,
                kind,
                record_id,
            )
        )
        rows = self.env.execute_query(
            SQL(
                "INSERT INTO b2b_dashboard_widget_seen (widget_id, kind, res_id) %s "
                "ON CONFLICT DO NOTHING RETURNING res_id",
                query.select(SQL("%s", self.id), SQL("%s", kind), record_id),
            )
        )
        return sorted(res_id for (res_id,) in rows)

    def _b2b_forget(self, kind):
        if self:
            self.env.execute_query(
                SQL(
                    "DELETE FROM b2b_dashboard_widget_seen "
                    "WHERE widget_id IN %s AND kind = %s",
                    tuple(self.ids),
                    kind,
                )
            )

    def _b2b_can_print_all(self):
        printable = hasattr(self.env["sale.order"], "action_b2b_print_unprinted_slips")
        return {
            widget.id: bool(
                printable and widget.print_all and widget.res_model == "sale.order"
            )
            for widget in self
        }

    def _b2b_record_values(self, ids_by_widget):
        """{model: {id: values}} of the records shown, read once per model."""
        ids_by_model = defaultdict(set)
        codes_by_model = defaultdict(set)
        for widget in self:
            ids_by_model[widget.res_model].update(ids_by_widget.get(widget.id) or [])
            codes_by_model[widget.res_model].update(widget.column_ids.mapped("code"))
        values = {}
        for model, ids in ids_by_model.items():
            records = self.env[model].browse(sorted(ids))
            method = getattr(self, "_b2b_values_" + model.replace(".", "_"))
            values[model] = method(records, codes_by_model[model])
        return values

    def _b2b_values_sale_order(self, orders, codes):
        states = dict(orders._fields["b2b_state"]._description_selection(self.env))
        result = {}
        for order in orders:
            columns = {"reference": order.name}
            if "retailer" in codes:
                columns["retailer"] = (
                    order.b2b_partner_id.name or order.partner_id.name or ""
                )
            if "retailer_reference" in codes:
                columns["retailer_reference"] = order.client_order_ref or ""
            if "city" in codes:
                columns["city"] = order.partner_shipping_id.city or ""
            if "country" in codes:
                columns["country"] = order.partner_shipping_id.country_id.name or ""
            if "remaining_time" in codes:
                columns["remaining_time"] = order.b2b_remaining_time or ""
            if "amount" in codes:
                columns["amount"] = format_amount(
                    self.env, order.amount_total, order.currency_id
                )
            if "state" in codes:
                columns["state"] = states.get(order.b2b_state, "")
            if "tracking" in codes:
                columns["tracking"] = ", ".join(
                    ref
                    for ref in order.picking_ids.mapped("carrier_tracking_ref")
                    if ref
                )
            result[order.id] = {
                "id": order.id,
                "res_model": "sale.order",
                "name": order.name,
                "deadline": fields.Datetime.to_string(order.b2b_deadline) or False,
                "deadline_status": order.b2b_deadline_status or False,
                "b2b_state": order.b2b_state or False,
                "columns": columns,
            }
        return result

    # Default widgets -------------------------------------------------------

    def _b2b_user_settings(self):
        return self.env["res.users.settings"]._find_or_create_for_user(self.env.user)

    def _b2b_ensure_default_widgets(self):
        """Give the user the default widgets the first time they open the dashboard."""
        settings = self._b2b_user_settings()
        if settings.b2b_dashboard_ready:
            return
        # written first: a concurrent first opening fails on this row and is
        # retried, instead of creating the widgets twice
        settings.b2b_dashboard_ready = True
        settings.flush_recordset(["b2b_dashboard_ready"])
        self._b2b_create_default_widgets()

    @api.model
    def _b2b_default_widget_values(self):
        return [
            {
                "name": _("Requests — waiting for answer, more than 1 h left"),
                "domain": "[('b2b_urgency', '=', 'answer_later')]",
                "width": "33",
                "sort_order": "answer_deadline_asc",
                "columns": REQUEST_COLUMNS,
                "alert": True,
                "color": 4,
            },
            {
                "name": _("Requests — waiting for answer, less than 1 h left"),
                "domain": "[('b2b_urgency', '=', 'answer_soon')]",
                "width": "33",
                "sort_order": "answer_deadline_asc",
                "columns": REQUEST_COLUMNS,
                "alert": True,
                "color": 2,
            },
            {
                "name": _("Requests — expired"),
                "domain": "[('b2b_state', '=', 'expired')]",
                "width": "33",
                "sort_order": "answer_deadline_desc",
                "columns": REQUEST_COLUMNS,
                "alert": True,
                "color": 1,
            },
            {
                "name": _("Requests — answered recently"),
                "domain": "[('b2b_urgency', '=', 'answered_recent')]",
                "width": "50",
                "sort_order": "answered_desc",
                "columns": [
                    "reference",
                    "retailer",
                    "retailer_reference",
                    "amount",
                    "state",
                ],
                "alert": False,
                "color": 10,
            },
            {
                "name": _("Orders — to be shipped"),
                "domain": "[('b2b_state', '=', 'order')]",
                "width": "50",
                "sort_order": "ship_deadline_asc",
                "columns": ORDER_COLUMNS,
                "alert": True,
                "color": 4,
            },
            {
                "name": _("Orders — delayed shipping"),
                "domain": "[('b2b_urgency', '=', 'ship_late')]",
                "width": "50",
                "sort_order": "ship_deadline_asc",
                "columns": ORDER_COLUMNS,
                "alert": True,
                "color": 1,
            },
            {
                "name": _("Orders — shipped in the last 14 days"),
                "domain": "[('b2b_urgency', '=', 'shipped_recent')]",
                "width": "50",
                "sort_order": "shipped_desc",
                "columns": SHIPPED_COLUMNS,
                "alert": False,
                "color": 10,
            },
        ]

    @api.model
    def _b2b_create_default_widgets(self):
        columns = {
            column.code: column.id
            for column in self.env["b2b.dashboard.column"].search([])
        }
        vals_list = []
        for sequence, values in enumerate(self._b2b_default_widget_values(), start=1):
            vals_list.append(
                {
                    "name": values["name"],
                    "user_id": self.env.uid,
                    "sequence": sequence,
                    "res_model": "sale.order",
                    "domain": values["domain"],
                    "width": values["width"],
                    "row_count": 5,
                    "sort_order": values["sort_order"],
                    "column_ids": [
                        Command.set([columns[c] for c in values["columns"]])
                    ],
                    "alert_dashboard": values["alert"],
                    "alert_email": values["alert"],
                    "color": values["color"],
                }
            )
        return self.create(vals_list)

    # E-mail digest ---------------------------------------------------------

    def _b2b_digest_entries(self):
        """Record the records newly entered in these widgets; return what to report."""
        entries = []
        for widget in self:
            new_ids = widget._b2b_add_new("mail")
            if not new_ids:
                continue
            records = self.env[widget.res_model].browse(new_ids[:DIGEST_MAX_LINES])
            method = getattr(self, "_b2b_values_" + widget.res_model.replace(".", "_"))
            values = method(
                records, {"retailer", "retailer_reference", "remaining_time"}
            )
            base_url = widget.get_base_url()
            entries.append(
                {
                    "widget": widget.name,
                    "count": len(new_ids),
                    "more": max(len(new_ids) - DIGEST_MAX_LINES, 0),
                    "lines": [
                        {
                            "name": values[record.id]["name"],
                            "retailer": values[record.id]["columns"].get(
                                "retailer", ""
                            ),
                            "reference": values[record.id]["columns"].get(
                                "retailer_reference", ""
                            ),
                            "remaining": values[record.id]["columns"].get(
                                "remaining_time", ""
                            ),
                            "url": f"{base_url}/odoo/{widget.res_model}/{record.id}",
                        }
                        for record in records
                    ],
                }
            )
        return entries

    @api.model
    def _cron_send_alert_digest(self):
        """Send each user one e-mail of the records new in their e-mail alert widgets.

        Each user's widgets are evaluated as that user (their record rules
        apply); every reported record is stored, so it is never reported twice
        for the same widget.
        """
        template = self.env.ref(
            "b2b_dropship.mail_template_b2b_dashboard_digest", raise_if_not_found=False
        )
        widgets = self.sudo().search(
            [("alert_email", "=", True), ("user_id.active", "=", True)]
        )
        sent = 0
        for user, user_widgets in widgets.grouped("user_id").items():
            lang_env = user_widgets.with_user(user).with_context(
                lang=user.lang, tz=user.tz
            )
            entries = lang_env._b2b_digest_entries()
            if not entries or not template or not user.email:
                continue
            template.with_context(
                b2b_digest=entries,
                b2b_digest_count=sum(entry["count"] for entry in entries),
            ).send_mail(user.id)
            sent += 1
        _logger.info("B2B dashboard digest: %s e-mail(s) queued", sent)
        return sent
