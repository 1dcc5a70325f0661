import csv
import io
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_datetime

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools import api_schema, json_schema, webhook_signature
from ..tools.api_schema import API_PREFIX

# After a rotation, the previous secret stays valid this long.
ROTATION_GRACE = timedelta(hours=24)
# A secret renewed again this soon was never put to use (a form sent twice,
# a second thought): the one before it stays the previous secret.
RENEWED_AGAIN_WINDOW = timedelta(minutes=15)


class B2bHttpChannelMixin(models.AbstractModel):
    """The HTTP channels of a retailer connection: signed webhooks it sends
    us, events we send to its endpoint, the event log of both, and the JSON
    API its portal users call with their API keys.

    Secrets follow the Standard Webhooks form ``whsec_<base64>``. They are
    readable by B2B managers only, never tracked in the chatter and never
    logged. A rotated secret keeps working for 24 hours, so that the
    retailer can switch without losing a delivery.
    """

    _name = "b2b.http.channel.mixin"
    _description = "B2B HTTP Channels"

    webhook_secret = fields.Char(
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
        help="The retailer signs the webhooks it sends with this secret.",
    )
    webhook_secret_previous = fields.Char(
        string="Previous Webhook Secret",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
    )
    webhook_secret_rotated_at = fields.Datetime(
        string="Webhook Secret Rotated On",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
    )
    webhook_processing = fields.Selection(
        [
            ("queued", "Queued"),
            ("immediate", "At once"),
        ],
        default="queued",
        required=True,
        help="Queued: a request or order sent by webhook is checked and answered "
        "202 at once, and created moments later by a scheduled action, in "
        "batches; this keeps up with bursts of deliveries. At once: it is "
        "created before the answer, 200 with its name, one delivery at a time.",
    )
    webhook_endpoint_url = fields.Char(
        string="Webhook Endpoint",
        compute="_compute_webhook_endpoint_url",
        help="Where the retailer POSTs its webhooks.",
    )
    webhook_url = fields.Char(
        string="Retailer Webhook URL",
        tracking=True,
        copy=False,
        help="Answers, shipments and cancellations are POSTed here, signed with the "
        "outbound secret. Empty: nothing is sent.",
    )
    webhook_outbound_secret = fields.Char(
        string="Outbound Secret",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
        help="Signs the events sent to the retailer's webhook URL.",
    )
    webhook_outbound_secret_previous = fields.Char(
        string="Previous Outbound Secret",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
    )
    webhook_outbound_secret_rotated_at = fields.Datetime(
        string="Outbound Secret Rotated On",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        readonly=True,
    )
    event_ids = fields.One2many(
        "b2b.event",
        "connection_id",
        string="Events",
        groups="b2b_dropship.group_b2b_manager",
    )
    event_count = fields.Integer(
        compute="_compute_event_counts", groups="b2b_dropship.group_b2b_manager"
    )
    event_failed_count = fields.Integer(
        compute="_compute_event_counts", groups="b2b_dropship.group_b2b_manager"
    )

    @api.depends("code")
    def _compute_webhook_endpoint_url(self):
        for connection in self:
            connection.webhook_endpoint_url = (
                f"{connection.get_base_url()}{API_PREFIX}/webhooks/{connection.code}"
                if connection.code
                else False
            )

    def _compute_event_counts(self):
        counts = {
            (connection.id, state): count
            for connection, state, count in self.env["b2b.event"]._read_group(
                [("connection_id", "in", self.ids)],
                ["connection_id", "state"],
                ["__count"],
            )
        }
        for connection in self:
            connection.event_count = sum(
                count
                for (connection_id, _state), count in counts.items()
                if connection_id == connection.id
            )
            connection.event_failed_count = sum(
                counts.get((connection.id, state), 0)
                for state in ("failed", "abandoned")
            )

    @api.constrains("webhook_url")
    def _check_webhook_url(self):
        for connection in self:
            if not connection.webhook_url:
                continue
            parts = urlsplit(connection.webhook_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(
                    _(
                        "The webhook URL must be an http:// or https:// address, "
                        "such as "
                        "https://retailer.example.com/hooks/supplier."
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("webhook_secret", webhook_signature.generate_secret())
            vals.setdefault(
                "webhook_outbound_secret", webhook_signature.generate_secret()
            )
        return super().create(vals_list)

    # Actions ---------------------------------------------------------------

    def action_rotate_webhook_secret(self):
        """A new secret for the retailer's webhooks; the previous one works
        24 more hours."""
        # secrets are written as superuser: for those who may change the
        # connection (the retailer's administrator goes through its portal
        # page, which checks its rights)
        self.check_access("write")
        self._b2b_rotate(
            "webhook_secret", "webhook_secret_previous", "webhook_secret_rotated_at"
        )
        for connection in self:
            connection.message_post(
                body=_(
                    "The webhook secret was renewed; the previous one stays valid "
                    "until %(date)s.",
                    date=format_datetime(
                        self.env, connection._b2b_previous_secret_valid_until()
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_rotate_webhook_outbound_secret(self):
        """A new secret for the events we send; both are used to sign for 24 hours."""
        self.check_access("write")
        self._b2b_rotate(
            "webhook_outbound_secret",
            "webhook_outbound_secret_previous",
            "webhook_outbound_secret_rotated_at",
        )
        for connection in self:
            connection.message_post(
                body=_(
                    "The outbound secret was renewed; events are signed with both "
                    "secrets until %(date)s.",
                    date=format_datetime(
                        self.env,
                        connection.sudo().webhook_outbound_secret_rotated_at
                        + ROTATION_GRACE,
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "b2b_dropship.b2b_event_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        action["context"] = {"search_default_connection_id": self.id}
        return action

    def _b2b_rotate(self, current, previous, rotated_at):
        """A new secret in ``current``; the one it replaces stays valid for
        24 hours. Renewed again within minutes (a form sent twice, a second
        thought), the secret the other side used before the first renewal
        stays the previous one, to the end of its 24 hours: the one in
        between, just shown, is dropped rather than the one in use. Later,
        the secret replaced is the one in use, and becomes the previous."""
        now = fields.Datetime.now()
        for connection in self.sudo():
            values = {current: webhook_signature.generate_secret()}
            if not (
                connection[previous]
                and connection[rotated_at]
                and connection[rotated_at] > now - RENEWED_AGAIN_WINDOW
            ):
                values.update({previous: connection[current], rotated_at: now})
            connection.write(values)

    def _b2b_previous_secret_valid_until(self):
        """Until when the retailer may still sign with its previous secret."""
        self.ensure_one()
        rotated_at = self.sudo().webhook_secret_rotated_at
        return rotated_at and rotated_at + ROTATION_GRACE

    # Business methods --------------------------------------------------------

    @api.model
    def _b2b_webhook_connection(self, code):
        """The connection of a webhook URL's code (sudo), empty when unknown."""
        if not isinstance(code, str) or not code or len(code) > 64 or "\x00" in code:
            return self.browse()
        # what the delivery reads of it, in the one query; archived too: it
        # answers the retries of what it answered, and refuses the rest (403)
        return (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch(
                [("code", "=", code)],
                [
                    "active",
                    "state",
                    "partner_id",
                    "company_id",
                    "webhook_processing",
                    "webhook_secret",
                    "webhook_secret_previous",
                    "webhook_secret_rotated_at",
                ],
                limit=1,
            )
        )

    def _b2b_webhook_secrets(self):
        """The secrets a webhook of this connection may be signed with,
        current first."""
        self.ensure_one()
        connection = self.sudo()
        valid = [connection.webhook_secret]
        if (
            connection.webhook_secret_previous
            and connection.webhook_secret_rotated_at
            and (
                connection.webhook_secret_rotated_at
                > fields.Datetime.now() - ROTATION_GRACE
            )
        ):
            valid.append(connection.webhook_secret_previous)
        return [secret for secret in valid if secret]

    def _b2b_outbound_secrets(self):
        """The secrets outbound events are signed with (two during a rotation)."""
        self.ensure_one()
        connection = self.sudo()
        if not connection.webhook_outbound_secret:
            connection.webhook_outbound_secret = webhook_signature.generate_secret()
        valid = [connection.webhook_outbound_secret]
        if (
            connection.webhook_outbound_secret_previous
            and connection.webhook_outbound_secret_rotated_at
            and connection.webhook_outbound_secret_rotated_at
            > fields.Datetime.now() - ROTATION_GRACE
        ):
            valid.append(connection.webhook_outbound_secret_previous)
        return valid

    def _b2b_webhook_gone(self, event):
        """The retailer's endpoint answered 410 Gone: stop sending to it."""
        self.ensure_one()
        url = self.webhook_url
        pending = (
            self.env["b2b.event"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.id),
                    ("direction", "=", "outbound"),
                    ("state", "in", ("pending", "failed")),
                ]
            )
        )
        pending.write(
            {
                "state": "abandoned",
                "next_attempt_at": False,
                "last_error": _(
                    "The retailer's endpoint answered 410 Gone: deliveries stopped."
                ),
            }
        )
        (event - pending).write(
            {
                "state": "abandoned",
                "next_attempt_at": False,
                "last_error": _(
                    "The retailer's endpoint answered 410 Gone: deliveries stopped."
                ),
            }
        )
        self.sudo().webhook_url = False
        self._b2b_tell_supplier(
            _("Webhook deliveries disabled"),
            _(
                "The retailer's webhook URL %(url)s answered 410 Gone: it was "
                "cleared and "
                "%(count)s undelivered event(s) were abandoned. Set a new URL to "
                "send events again.",
                url=url,
                count=len(pending | event),
            ),
        )

    def _b2b_notify_abandoned(self, event):
        """An outbound event failed its last retry: the supplier is told."""
        self.ensure_one()
        self._b2b_tell_supplier(
            _("Webhook event abandoned"),
            _(
                "The event %(event)s for %(reference)s could not be delivered to "
                "%(url)s after "
                "%(attempts)s attempts and was abandoned. Last error: %(error)s",
                event=event.event_type,
                reference=event.reference or "-",
                url=self.webhook_url,
                attempts=event.attempts,
                error=event.last_error or "-",
            ),
        )

    def _b2b_tell_supplier(self, summary, message):
        """A message to the connection's followers and a to-do for its responsible."""
        self.ensure_one()
        self.message_post(body=message, subtype_xmlid="mail.mt_comment")
        responsible = self._b2b_responsible_users()
        for user in responsible:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=message,
                user_id=user.id,
            )

    def _b2b_responsible_users(self):
        self.ensure_one()
        responsible = (
            self["user_id"] if "user_id" in self._fields else self.env["res.users"]
        )
        if responsible:
            return responsible
        group = self.env.ref("b2b_dropship.group_b2b_manager")
        return group.users.filtered(lambda user: user.active and not user.share)[:1]

    # The JSON API ------------------------------------------------------------

    @api.model
    def _b2b_api_connection(self):
        """The caller's connection, found through the record rules of the caller
        (a retailer's portal user sees its own company's only)."""
        connections = self.search([], order="id")
        connection = (
            connections.filtered(lambda c: c.state == "connected")[:1]
            or connections[:1]
        )
        if not connection:
            raise B2bRefusedError(
                _("Your company has no connection with this supplier.")
            )
        connection.check_access("read")
        connection.sudo()._check_can_receive()
        return connection

    @api.model
    def _b2b_api_create_request(self, data):
        """``POST /b2b/v1/requests``: ``(201, request)``."""
        errors = json_schema.validate(data, api_schema.REQUEST_DATA_SCHEMA)
        if errors:
            raise B2bInputError(errors)
        connection = self._b2b_api_connection()
        order = connection.sudo()._b2b_receive("request", data)
        # pending computations are made with the rights of the change
        order.env.flush_all()
        return 201, order._b2b_api_values()

    @api.model
    def _b2b_api_upload_file(self, filename, content):
        """``POST /b2b/v1/files``: a CSV drop through the file pipeline.

        ``(201, drop)`` when imported, ``(200, drop)`` for a duplicate, a 422
        problem listing the rows and columns at fault when refused.
        """
        connection = self._b2b_api_connection()
        name = (filename or "").replace("\x00", "").strip()[:255] or "upload.csv"
        drop = connection.import_csv(name, content, "api").sudo()
        errors = []
        if drop.state in ("error", "duplicate"):
            reader = csv.DictReader(
                io.StringIO(drop._b2b_error_file_content().decode("utf-8-sig"))
            )
            errors = [
                {
                    "row": int(row["row"])
                    if (row.get("row") or "").isdigit()
                    else None,
                    "column": row.get("column") or None,
                    "value": row.get("value") or None,
                    "message": row.get("message") or "",
                }
                for row in reader
            ]
        if drop.state == "error":
            return 422, api_schema.problem(
                422,
                _(
                    "The file %(name)s was refused: nothing was imported.",
                    name=drop.name,
                ),
                errors=[
                    {
                        "path": ", ".join(
                            part
                            for part in (
                                _("row %(row)s", row=error["row"])
                                if error["row"]
                                else "",
                                error["column"] or "",
                            )
                            if part
                        ),
                        "message": error["message"],
                    }
                    for error in errors
                ],
            )
        values = {
            "name": drop.name,
            "state": drop.state,
            "reference": drop.order_id.client_order_ref or None,
            "errors": errors,
        }
        return (201 if drop.state == "imported" else 200), values
