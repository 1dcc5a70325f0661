import threading
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.deadline import remaining_parts

B2B_STATES = [
    ("request", "Waiting for Answer"),
    ("answered", "Answered"),
    ("expired", "Expired"),
    ("declined", "Declined"),
    ("order", "To Be Shipped"),
    ("shipped", "Shipped"),
    ("cancelled", "Cancelled"),
]

# Buckets the searches and the dashboard filter on. They are evaluated on the
# server at search time, so a saved filter keeps meaning "less than one hour
# left" or "last 14 days" whenever it is used.
B2B_URGENCY = [
    ("answer_soon", "Less than 1 hour left to answer"),
    ("answer_later", "More than 1 hour left to answer"),
    ("answered_recent", "Answered in the last 14 days"),
    ("ship_late", "Delayed shipping"),
    ("shipped_recent", "Shipped in the last 14 days"),
]
URGENCY_WINDOW = timedelta(hours=1)
RECENT_WINDOW = timedelta(days=14)


class B2bDeadlineMixin(models.AbstractModel):
    """Partner requests, answers and deadlines, shared by sale and purchase.

    The inheriting model provides the side-specific parts through the
    ``_b2b_*`` hooks at the bottom: which lines are answered, how an answered
    request becomes a firm order, how it is cancelled and which templates tell
    the partner.
    """

    _name = "b2b.deadline.mixin"
    _description = "B2B Request and Deadline Rules"

    b2b_connection_id = fields.Many2one(
        "b2b.connection", index=True, copy=False, tracking=True
    )
    b2b_state = fields.Selection(B2B_STATES, tracking=True, copy=False, index=True)
    b2b_answer_deadline = fields.Datetime(
        string="Answer Deadline", copy=False, index=True, tracking=True
    )
    b2b_ship_deadline = fields.Datetime(
        string="Ship Deadline", copy=False, index=True, tracking=True
    )
    b2b_answered_at = fields.Datetime(
        string="Answered On", copy=False, readonly=True, index=True
    )
    b2b_shipped_at = fields.Datetime(
        string="Shipped On", copy=False, readonly=True, index=True
    )
    b2b_cancelled_at = fields.Datetime(
        string="Cancelled On", copy=False, readonly=True, index=True
    )
    b2b_note = fields.Text(string="Note to Supplier", copy=False)
    b2b_answer_message = fields.Text(string="Answer Message", copy=False)
    b2b_cancel_reason = fields.Text(
        string="Cancellation Reason", copy=False, readonly=True
    )
    b2b_decline_reason = fields.Text(string="Decline Reason", copy=False, readonly=True)
    b2b_has_shipping_fee = fields.Boolean(string="Shipping Fee", copy=False)
    b2b_shipping_fee = fields.Float(
        string="Shipping Fee Amount", digits="Product Price", copy=False
    )
    b2b_deadline = fields.Datetime(
        string="Deadline",
        compute="_compute_b2b_deadline",
        help="The answer deadline of a request, the ship deadline of an order.",
    )
    b2b_remaining_time = fields.Char(
        string="Time Left", compute="_compute_b2b_deadline"
    )
    b2b_deadline_status = fields.Selection(
        [("ok", "On Time"), ("soon", "Less Than 1 Hour"), ("late", "Late")],
        compute="_compute_b2b_deadline",
    )
    b2b_urgency = fields.Selection(
        B2B_URGENCY,
        string="Urgency",
        compute="_compute_b2b_urgency",
        search="_search_b2b_urgency",
    )

    @api.depends("b2b_state", "b2b_answer_deadline", "b2b_ship_deadline")
    @api.depends_context("lang")
    def _compute_b2b_deadline(self):
        now = fields.Datetime.now()
        for record in self:
            deadline = record._b2b_current_deadline()
            record.b2b_deadline = deadline
            if not deadline:
                record.b2b_remaining_time = False
                record.b2b_deadline_status = False
                continue
            overdue, hours, minutes = remaining_parts(deadline, now)
            record.b2b_remaining_time = record._b2b_format_remaining(
                overdue, hours, minutes
            )
            if overdue:
                record.b2b_deadline_status = "late"
            elif deadline - now < URGENCY_WINDOW:
                record.b2b_deadline_status = "soon"
            else:
                record.b2b_deadline_status = "ok"

    def _b2b_current_deadline(self):
        self.ensure_one()
        if self.b2b_state in ("request", "expired"):
            return self.b2b_answer_deadline
        if self.b2b_state == "order":
            return self.b2b_ship_deadline
        return False

    def _b2b_format_remaining(self, overdue, hours, minutes):
        duration = (
            _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
            if hours
            else _("%(minutes)s min", minutes=minutes)
        )
        if not overdue:
            return _("%(duration)s left", duration=duration)
        if self.b2b_state == "order":
            return _("late by %(duration)s", duration=duration)
        return _("expired %(duration)s ago", duration=duration)

    def _compute_b2b_urgency(self):
        now = fields.Datetime.now()
        for record in self:
            urgency = False
            if record.b2b_state == "request" and record.b2b_answer_deadline:
                if record.b2b_answer_deadline > now + URGENCY_WINDOW:
                    urgency = "answer_later"
                elif record.b2b_answer_deadline >= now:
                    urgency = "answer_soon"
            elif record.b2b_state == "answered" and record.b2b_answered_at:
                if record.b2b_answered_at >= now - RECENT_WINDOW:
                    urgency = "answered_recent"
            elif record.b2b_state == "order" and record.b2b_ship_deadline:
                if record.b2b_ship_deadline < now:
                    urgency = "ship_late"
            elif record.b2b_state == "shipped" and record.b2b_shipped_at:
                if record.b2b_shipped_at >= now - RECENT_WINDOW:
                    urgency = "shipped_recent"
            record.b2b_urgency = urgency

    @api.model
    def _b2b_urgency_domain(self, urgency, now=None):
        now = now or fields.Datetime.now()
        domains = {
            "answer_soon": [
                ("b2b_state", "=", "request"),
                ("b2b_answer_deadline", ">=", now),
                ("b2b_answer_deadline", "<=", now + URGENCY_WINDOW),
            ],
            "answer_later": [
                ("b2b_state", "=", "request"),
                ("b2b_answer_deadline", ">", now + URGENCY_WINDOW),
            ],
            "answered_recent": [
                ("b2b_state", "=", "answered"),
                ("b2b_answered_at", ">=", now - RECENT_WINDOW),
            ],
            "ship_late": [
                ("b2b_state", "=", "order"),
                ("b2b_ship_deadline", "<", now),
            ],
            "shipped_recent": [
                ("b2b_state", "=", "shipped"),
                ("b2b_shipped_at", ">=", now - RECENT_WINDOW),
            ],
        }
        return domains[urgency]

    def _search_b2b_urgency(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                _("Unsupported search on urgency: %(operator)s", operator=operator)
            )
        values = [value] if isinstance(value, str) else list(value or [])
        domain = expression.OR([self._b2b_urgency_domain(v) for v in values if v]) or [
            (0, "=", 1)
        ]
        if operator in ("!=", "not in"):
            domain = ["!"] + expression.normalize_domain(domain)
        return domain

    def _b2b_init_indexes(self):
        """Called from the inheriting model's ``init()`` (sale's own does not chain)."""
        # The scheduled actions and the dashboard look for the rows of one state
        # by date (overdue requests, late orders, "shipped in the last 14
        # days"): a (state, date) index makes each a short range scan, however
        # many closed requests and orders the table holds.
        # They carry (INCLUDE) the columns the record rules test, so that the
        # dashboard's counts ("shipped in the last 14 days": thousands of rows
        # spread over the table) read the index only, not one table page per row.
        include = [name for name in self._b2b_index_include() if name in self._fields]
        for column in (
            "b2b_answer_deadline",
            "b2b_ship_deadline",
            "b2b_answered_at",
            "b2b_shipped_at",
        ):
            name = f"{self._table}_b2b_state_{column}_idx"
            self.env.cr.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name]
            )
            row = self.env.cr.fetchone()
            if row and "INCLUDE" in row[0]:
                continue
            if row:  # made before the columns were included
                self.env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX %s ON %s (b2b_state, %s) INCLUDE (%s)",
                    SQL.identifier(name),
                    SQL.identifier(self._table),
                    SQL.identifier(column),
                    SQL(", ").join(SQL.identifier(field) for field in include),
                )
            )

    def _b2b_index_include(self):
        """The columns the record rules of the inheriting model test."""
        return ["id", "company_id", "user_id", "b2b_connection_id"]

    # CRUD ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        connections = self.env["b2b.connection"].browse(
            {
                vals["b2b_connection_id"]
                for vals in vals_list
                if vals.get("b2b_connection_id")
            }
        )
        for vals in vals_list:
            state = vals.get("b2b_state")
            if not vals.get("b2b_connection_id") or state not in ("request", "order"):
                continue
            connection = connections.browse(vals["b2b_connection_id"])
            connection._check_can_receive(state)
            if state == "request" and not vals.get("b2b_answer_deadline"):
                vals["b2b_answer_deadline"] = connection.compute_deadline(
                    now, connection.answer_delay_hours
                )
            if state == "order" and not vals.get("b2b_ship_deadline"):
                vals["b2b_ship_deadline"] = connection.compute_deadline(
                    now, connection.ship_delay_hours
                )
        return super().create(vals_list)

    # Transitions -----------------------------------------------------------

    def action_b2b_answer(self):
        now = fields.Datetime.now()
        for record in self:
            record._b2b_check_state(("request",), _("answered"))
            if record.b2b_answer_deadline and record.b2b_answer_deadline < now:
                raise UserError(
                    _(
                        "The answer deadline of %(name)s has passed: it can be "
                        "answered only after the retailer re-opens it.",
                        name=record.display_name,
                    )
                )
            record._b2b_answer_lines()._b2b_check_answer()
            if record.b2b_has_shipping_fee and record.b2b_shipping_fee < 0:
                raise UserError(_("The shipping fee cannot be negative."))
        self._b2b_change_state(
            "answered", _("Request answered."), {"b2b_answered_at": now}
        )
        self._b2b_notify_partner("answered")
        self._b2b_emit_event("request.answered", None)
        return True

    def action_b2b_decline(self, reason=None):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Please give a reason for declining the request."))
        for record in self:
            record._b2b_check_state(("request", "answered"), _("declined"))
        self._b2b_change_state(
            "declined",
            _("Request declined: %(reason)s", reason=reason),
            {"b2b_decline_reason": reason},
        )
        self._b2b_notify_partner("declined")
        self._b2b_emit_event("request.declined", None)
        return True

    def action_b2b_convert(self):
        now = fields.Datetime.now()
        for record in self:
            record._b2b_check_state(("answered",), _("turned into an order"))
            record.b2b_connection_id._check_can_receive()
        for record in self:
            record._b2b_convert_to_order()
            record._b2b_change_state(
                "order",
                _("The request became an order."),
                {"b2b_ship_deadline": record._b2b_ship_deadline(now)},
            )
        self._b2b_notify_supplier(_("The retailer turned the request into an order."))
        self._b2b_emit_event("order.confirmed", None)
        return True

    def action_b2b_reopen(self):
        if self.env.user._is_internal() and not self.env.su:
            raise UserError(_("Only the retailer can re-open an expired request."))
        now = fields.Datetime.now()
        for record in self:
            record._b2b_check_state(("expired",), _("re-opened"))
            record.b2b_connection_id._check_can_receive()
            connection = record.b2b_connection_id
            record._b2b_change_state(
                "request",
                _("The retailer re-opened the request."),
                {
                    "b2b_answer_deadline": connection.compute_deadline(
                        now, connection.answer_delay_hours
                    )
                },
            )
        self._b2b_notify_supplier(_("The retailer re-opened the request."))
        return True

    def action_b2b_cancel(self, reason=None):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Please give a reason for the cancellation."))
        for record in self:
            record._b2b_check_state(
                ("request", "answered", "expired", "order"), _("cancelled")
            )
        self._b2b_do_cancel()
        self._b2b_change_state(
            "cancelled",
            _("Cancelled: %(reason)s", reason=reason),
            {"b2b_cancel_reason": reason, "b2b_cancelled_at": fields.Datetime.now()},
        )
        self._b2b_notify_partner("cancelled")
        if not self.env.user._is_internal():
            self._b2b_notify_supplier(
                _("The retailer cancelled: %(reason)s", reason=reason)
            )
        return True

    def _b2b_check_state(self, allowed, verb):
        self.ensure_one()
        if not self.b2b_connection_id:
            raise UserError(
                _("%(name)s is not a B2B request or order.", name=self.display_name)
            )
        if self.b2b_state not in allowed:
            states = dict(self._fields["b2b_state"]._description_selection(self.env))
            raise UserError(
                _(
                    "%(name)s cannot be %(verb)s: it is %(state)s.",
                    name=self.display_name,
                    verb=verb,
                    state=states.get(self.b2b_state, self.b2b_state),
                )
            )

    def _b2b_change_state(self, state, message, extra_values=None):
        values = dict(extra_values or {}, b2b_state=state)
        self.write(values)
        for record in self:
            record.message_post(body=message, subtype_xmlid="mail.mt_note")

    # Scheduled actions -----------------------------------------------------

    @api.model
    def _cron_expire_requests(self, batch_size=1000):
        """Expire the requests whose answer deadline has passed.

        The search reads only the (b2b_state, b2b_answer_deadline) index, so the
        cost follows the number of overdue requests, not the size of the table.
        """
        domain = [
            ("b2b_state", "=", "request"),
            ("b2b_answer_deadline", "<", fields.Datetime.now()),
        ]
        done = 0
        while True:
            requests = self.search(
                domain, limit=batch_size, order="b2b_answer_deadline, id"
            )
            if not requests:
                break
            requests._b2b_expire()
            done += len(requests)
            remaining = self.search_count(domain) if len(requests) == batch_size else 0
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            self._b2b_commit_batch()
            if not remaining:
                break
        return done

    def _b2b_expire(self):
        # One summary per connection instead of a tracking message per request:
        # the supplier hears of every expiry, and the cost of expiring stays a
        # batched UPDATE, not one chatter message per overdue request.
        self.with_context(tracking_disable=True).write({"b2b_state": "expired"})
        for connection, records in self.grouped("b2b_connection_id").items():
            connection.message_post(
                body=_(
                    "%(count)s request(s) expired without an answer: %(refs)s",
                    count=len(records),
                    refs=", ".join(records._b2b_references()),
                ),
                subtype_xmlid="mail.mt_comment",
            )
        self._b2b_on_expired()

    def _b2b_references(self):
        """How people name these records: the partner's reference, then ours."""
        return [record.client_order_ref or record.name for record in self]

    def _b2b_commit_batch(self):
        # Batches are committed so that a long run keeps its progress if the
        # worker dies; tests run in one transaction and must never commit.
        if not self._b2b_in_test():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _b2b_rollback_batch(self):
        """Undo what was done since the last committed batch."""
        if not self._b2b_in_test():
            self.env.cr.rollback()

    def _b2b_in_test(self):
        return bool(
            getattr(threading.current_thread(), "testing", False)
            or self.env.registry.in_test_mode()
        )

    # Hooks of the inheriting side ------------------------------------------

    def _b2b_ship_deadline(self, now):
        """The ship deadline of this order: the connection's ship delay from
        :meth:`_b2b_ship_from`."""
        self.ensure_one()
        connection = self.b2b_connection_id
        return connection.compute_deadline(
            self._b2b_ship_from(now), connection.ship_delay_hours
        )

    def _b2b_ship_from(self, now):
        """When the ship delay starts counting: now, unless what there is to
        ship is only back-ordered (see the inheriting side)."""
        return now

    def _b2b_answer_lines(self):
        raise NotImplementedError

    def _b2b_convert_to_order(self):
        raise NotImplementedError

    def _b2b_do_cancel(self):
        raise NotImplementedError

    def _b2b_on_expired(self):
        """Called after requests expired (outbound events hook in here)."""
        self._b2b_emit_event("request.expired", None)

    def _b2b_emit_event(self, event_type, payload=None):
        """Tell the partner's system what happened (outbound webhook events).

        ``payload`` is the event's data; by default the side builds it from
        the record as it now stands. Sales send them to the retailer's webhook
        URL (``b2b.event``); a side without such a channel sends nothing.
        """
        return False

    def _b2b_template_xmlid(self, event):
        raise NotImplementedError

    def _b2b_supplier_partners(self):
        raise NotImplementedError

    def _b2b_notify_partner(self, event):
        """Tell the other side (the retailer on sales) what happened, by e-mail."""
        for record in self:
            template = self.env.ref(
                record._b2b_template_xmlid(event), raise_if_not_found=False
            )
            if template:
                record.message_post_with_source(
                    template, subtype_xmlid="mail.mt_comment"
                )

    def _b2b_notify_supplier(self, message):
        for record in self:
            record.message_post(
                body=message,
                subtype_xmlid="mail.mt_note",
                partner_ids=record._b2b_supplier_partners().ids,
            )
