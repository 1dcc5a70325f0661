import base64
import logging

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..exceptions import B2bInputError, B2bRefusedError
from ..tools import csv_drop, csv_drop_errors

_logger = logging.getLogger(__name__)

SOURCES = [("upload", "Upload"), ("sftp", "SFTP"), ("email", "E-mail"), ("api", "API")]
STATES = [
    ("received", "Received"),
    ("imported", "Imported"),
    ("error", "Error"),
    ("duplicate", "Duplicate"),
]
# One file of a connection per content among those imported or being
# imported: two imports of the same bytes at once cannot both pass (the second
# waits for the first, then is a duplicate). A file refused with errors does
# not count: sending the same bytes again after the cause was fixed on our
# side (a product reference added, the connection connected) imports them.
CHECKSUM_INDEX = "b2b_file_drop_connection_checksum_unique"
ORDER_REFERENCE_CONSTRAINT = "sale_order_b2b_client_order_ref_unique"
SUMMARY_ERRORS = 5


class B2bFileDrop(models.Model):
    """A CSV file a retailer sent, whatever the channel, and what became of it."""

    _name = "b2b.file.drop"
    _description = "B2B File Drop"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="File Name", required=True, readonly=True)
    connection_id = fields.Many2one(
        "b2b.connection", required=True, readonly=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(
        related="connection_id.partner_id", store=True, index=True, string="Retailer"
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    source = fields.Selection(SOURCES, required=True, readonly=True, index=True)
    checksum = fields.Char(
        string="SHA-256",
        readonly=True,
        index=True,
        copy=False,
        help="SHA-256 of the file's bytes.",
    )
    state = fields.Selection(
        STATES, required=True, default="received", readonly=True, index=True, copy=False
    )
    order_id = fields.Many2one(
        "sale.order",
        string="Request or Order",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The request or order this file created; for a duplicate, the one it "
        "repeats.",
    )
    duplicate_of_id = fields.Many2one(
        "b2b.file.drop", string="Duplicate Of", readonly=True, ondelete="set null"
    )
    file = fields.Binary(string="Original File", attachment=True, readonly=True)
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    error_file = fields.Binary(attachment=True, readonly=True)
    error_file_name = fields.Char(compute="_compute_error_file_name")
    error_count = fields.Integer(readonly=True)
    error_summary = fields.Text(readonly=True)
    imported_at = fields.Datetime(string="Processed On", readonly=True)
    email_from = fields.Char(string="Sent By", readonly=True)
    sftp_remote_name = fields.Char(
        string="Remote File",
        readonly=True,
        index="btree_not_null",
        help="Name of the file in the SFTP inbox.",
    )
    sftp_remote_path = fields.Char(
        string="Remote Path",
        readonly=True,
        help="Where the file was moved on the SFTP server.",
    )
    sftp_done = fields.Boolean(
        string="Moved on Server",
        readonly=True,
        help="The remote file was moved out of the inbox (to the processed or error "
        "folder).",
    )

    @api.depends("name")
    def _compute_error_file_name(self):
        for drop in self:
            drop.error_file_name = csv_drop.error_file_name(drop.name or "file.csv")

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (connection_id, checksum) "
                "WHERE state IN ('received', 'imported')",
                SQL.identifier(CHECKSUM_INDEX),
                SQL.identifier(self._table),
            )
        )

    # Receiving -------------------------------------------------------------

    @api.model
    def _b2b_store(self, connection, filename, content, source, values=None):
        """Record a file of ``connection``: ``received``, or ``duplicate`` when
        the connection already has a file with the same bytes that was imported
        (or is being imported). Imports nothing."""
        digest = csv_drop.checksum(content)
        values = dict(
            values or {},
            name=filename or "file.csv",
            connection_id=connection.id,
            source=source,
            checksum=digest,
            file=base64.b64encode(content),
            file_size=len(content),
        )
        Drop = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        original = self._b2b_same_content(connection, digest)
        if not original:
            try:
                with self.env.cr.savepoint():
                    return Drop.create(values)
            except psycopg2.errors.UniqueViolation as exc:
                if exc.diag.constraint_name != CHECKSUM_INDEX:
                    raise
                # the same file was stored meanwhile by a concurrent import
                original = self._b2b_same_content(connection, digest)
        message = _(
            "The same file was already received on %(date)s as %(name)s: it is not "
            "imported again.",
            date=original.create_date,
            name=original.name,
        )
        values.update(self._b2b_duplicate_values(message, original.order_id, original))
        return Drop.create(values)

    @api.model
    def _b2b_same_content(self, connection, digest):
        return self.search(
            [
                ("connection_id", "=", connection.id),
                ("checksum", "=", digest),
                ("state", "in", ("received", "imported")),
            ],
            limit=1,
        )

    def _b2b_content(self):
        self.ensure_one()
        return base64.b64decode(self.with_context(bin_size=False).file or b"")

    # Importing -------------------------------------------------------------

    def _b2b_import(self, content=None):
        """Import received files: each creates its request or order, or gets an
        error file and creates nothing. ``content`` spares reading the stored
        file again when one file is imported right after being stored."""
        for drop in self:
            if drop.state != "received":
                continue
            drop._b2b_import_one(
                content if content is not None and len(self) == 1 else None
            )
        return self

    def _b2b_import_one(self, content=None):
        self.ensure_one()
        connection = self.connection_id
        if content is None:
            content = self._b2b_content()
        mapping = connection._b2b_csv_mapping()
        try:
            parsed = csv_drop.parse(content, mapping)
        except csv_drop.CsvDropError as exc:
            return self._b2b_set_errors(exc.errors)
        existing = self.env["sale.order"].search(
            [
                ("b2b_connection_id", "=", connection.id),
                ("client_order_ref", "=", parsed.reference),
            ],
            limit=1,
        )
        if existing:
            return self._b2b_set_duplicate(
                _(
                    "The order reference %(reference)s was already received "
                    "(%(order)s): the file is not imported again.",
                    reference=parsed.reference,
                    order=existing.name,
                ),
                order=existing,
            )
        try:
            with self.env.cr.savepoint():
                order = connection._b2b_receive(
                    parsed.type, self._b2b_receive_data(parsed)
                )
        except B2bInputError as exc:
            labels = csv_drop_errors.header_labels(content, parsed, mapping)
            return self._b2b_set_errors(
                csv_drop_errors.locate(parsed, exc.errors, labels)
            )
        except B2bRefusedError as exc:
            return self._b2b_set_errors([csv_drop.CsvError(None, "", "", exc.args[0])])
        except psycopg2.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != ORDER_REFERENCE_CONSTRAINT:
                raise
            # a concurrent import created the same reference meanwhile
            return self._b2b_set_duplicate(
                _(
                    "The order reference %(reference)s was already received: the "
                    "file is not imported again.",
                    reference=parsed.reference,
                ),
            )
        self.write(
            {
                "state": "imported",
                "order_id": order.id,
                "imported_at": fields.Datetime.now(),
                "error_count": 0,
                "error_summary": False,
                "error_file": False,
            }
        )
        return self

    def _b2b_receive_data(self, parsed):
        """The data of ``b2b.connection._b2b_receive`` for a parsed file."""
        ship_to = dict(parsed.ship_to)
        ship_to["state_code"] = self._b2b_state_code(
            ship_to["country_code"], ship_to["state_code"]
        )
        lines = []
        for line in parsed.lines:
            values = {"quantity": line["quantity"]}
            if line["sku"]:
                values["sku"] = line["sku"]
            if line["retailer_sku"]:
                values["retailer_sku"] = line["retailer_sku"]
            if line["description"]:
                values["description"] = line["description"]
            lines.append(values)
        return {
            "reference": parsed.reference,
            "ship_to": ship_to,
            "lines": lines,
            "note": parsed.note or None,
        }

    def _b2b_state_code(self, country_code, state):
        """Files give a state's code or its name ("CA", "California"): return
        its code."""
        if not state or not country_code:
            return state
        found = self.env["res.country.state"].search(
            [
                ("country_id.code", "=", country_code.upper()),
                "|",
                ("code", "=ilike", state),
                ("name", "=ilike", state),
            ],
            limit=1,
        )
        return found.code or state

    def _b2b_set_errors(self, errors):
        self.ensure_one()
        errors = list(errors)
        self.write(
            {
                "state": "error",
                "imported_at": fields.Datetime.now(),
                "error_count": len(errors),
                "error_summary": self._b2b_summary(errors),
                "error_file": base64.b64encode(csv_drop.errors_to_csv(errors)),
            }
        )
        return self

    def _b2b_set_duplicate(self, message, order=None, original=None):
        self.ensure_one()
        self.write(self._b2b_duplicate_values(message, order, original))
        return self

    @api.model
    def _b2b_duplicate_values(self, message, order=None, original=None):
        return {
            "state": "duplicate",
            "imported_at": fields.Datetime.now(),
            "error_count": 1,
            "error_summary": message,
            "error_file": base64.b64encode(
                csv_drop.errors_to_csv([csv_drop.CsvError(None, "", "", message)])
            ),
            "order_id": order.id if order else False,
            "duplicate_of_id": original.id if original else False,
        }

    @api.model
    def _b2b_summary(self, errors):
        lines = [str(error) for error in errors[:SUMMARY_ERRORS]]
        if len(errors) > SUMMARY_ERRORS:
            lines.append(
                _(
                    "... and %(count)s more: see the error file.",
                    count=len(errors) - SUMMARY_ERRORS,
                )
            )
        return "\n".join(lines)

    def _b2b_error_file_content(self):
        self.ensure_one()
        return base64.b64decode(self.with_context(bin_size=False).error_file or b"")

    # Actions ---------------------------------------------------------------

    def action_retry(self):
        """Import again files refused with errors, once their cause is fixed
        (a product or retailer reference added, the connection connected)."""
        for drop in self:
            if drop.state != "error":
                raise UserError(
                    _(
                        "Only files refused with errors can be imported again: "
                        "%(name)s is %(state)s.",
                        name=drop.name,
                        state=dict(STATES)[drop.state],
                    )
                )
            if not drop.file:
                raise UserError(
                    _(
                        "The file %(name)s was not kept: ask the retailer to send "
                        "it again.",
                        name=drop.name,
                    )
                )
        for drop in self:
            original = self._b2b_same_content(drop.connection_id, drop.checksum)
            if original:
                drop._b2b_set_duplicate(
                    _(
                        "The same file was imported meanwhile as %(name)s.",
                        name=original.name,
                    ),
                    order=original.order_id,
                    original=original,
                )
                continue
            drop.write({"state": "received"})
            drop._b2b_import()
        return True
