import base64
import logging
import re
from datetime import datetime
from typing import NamedTuple

import psycopg2.errors
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, email_normalize, email_split, escape_psql, formataddr

from odoo.addons.mail.tools.alias_error import AliasError

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
CSV_MIMETYPES = ("text/csv", "application/csv", "text/comma-separated-values")
MAIL_FILES_CACHE_KEY = "b2b_dropship_mail_files"


def _is_csv_name(name):
    return (name or "").lower().endswith(".csv")


class CommittedDrop(NamedTuple):
    """What a duplicate names of a file only another transaction sees (no
    record to link: ``id`` False, ``order_id`` empty)."""

    id: int
    name: str
    create_date: datetime
    order_id: models.BaseModel


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

    @api.model_create_multi
    def create(self, vals_list):
        # Whatever the channel, the name is the retailer's and is sent back to
        # it in mail headers (the error file's name): a line break there keeps
        # the reply from being sent at all.
        for vals in vals_list:
            if "name" in vals:
                vals["name"] = csv_drop.clean_file_name(vals["name"])
        return super().create(vals_list)

    # Receiving -------------------------------------------------------------

    @api.model
    def _b2b_store(self, connection, filename, content, source, values=None):
        """Record a file of ``connection``: ``received``, or ``duplicate`` when
        the connection already has a file with the same bytes that was imported
        (or is being imported). Imports nothing."""
        return self._b2b_store_many(connection, [(filename, content, values)], source)

    @api.model
    def _b2b_store_many(self, connection, files, source):
        """Record several files of ``connection`` at once, as :meth:`_b2b_store`
        does: ``files`` is a list of ``(name, bytes, more values)``. Return the
        drops in the order of ``files``."""
        Drop = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        digests = [csv_drop.checksum(content) for _name, content, _values in files]
        originals = self._b2b_originals(connection, digests)
        vals_list = []
        first_of = {}  # checksum -> position of its first file in this batch
        for position, ((filename, content, values), digest) in enumerate(
            zip(files, digests, strict=True)
        ):
            vals_list.append(
                dict(
                    values or {},
                    name=filename,
                    connection_id=connection.id,
                    source=source,
                    checksum=digest,
                    file_size=len(content),
                )
            )
            first_of.setdefault(digest, position)
        new = [
            position
            for position, digest in enumerate(digests)
            if digest not in originals and first_of[digest] == position
        ]
        drops = [None] * len(files)
        try:
            with self.env.cr.savepoint():
                created = Drop.create([vals_list[position] for position in new])
        except psycopg2.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != CHECKSUM_INDEX:
                raise
            if len(new) > 1:
                # a concurrent import stored some of them: one at a time
                return self.browse().concat(
                    *(
                        self._b2b_store(connection, name, content, source, values)
                        for name, content, values in files
                    )
                )
            # the same file was stored meanwhile by a concurrent import
            originals[digests[new[0]]] = self._b2b_same_content(
                connection, digests[new[0]]
            ) or self._b2b_committed_same_content(connection, digests[new[0]])
            created, new = Drop.browse(), []
        for position, drop in zip(new, created, strict=True):
            drops[position] = drop
            originals.setdefault(digests[position], drop)
        duplicates = [position for position, drop in enumerate(drops) if drop is None]
        for position in duplicates:
            original = originals[digests[position]]
            message = _(
                "The same file was already received on %(date)s as %(name)s: it is not "
                "imported again.",
                date=original.create_date,
                name=original.name,
            )
            vals_list[position].update(
                self._b2b_duplicate_values(message, original.order_id, original)
            )
        for position, drop in zip(
            duplicates,
            Drop.create([vals_list[position] for position in duplicates]),
            strict=True,
        ):
            drops[position] = drop
        drops = self.browse().concat(*drops)
        drops._b2b_attach_files([content for _name, content, _values in files])
        return drops

    def _b2b_attach_files(self, contents):
        """Store the original files: the attachments the ``file`` field reads,
        created at once and typed as CSV (the field would sniff each one)."""
        self.env["ir.attachment"].sudo().create(
            [
                {
                    "name": "file",
                    "res_model": self._name,
                    "res_field": "file",
                    "res_id": drop.id,
                    "type": "binary",
                    "raw": content,
                    "mimetype": "text/csv",
                }
                for drop, content in zip(self, contents, strict=True)
                if content
            ]
        )
        self.invalidate_recordset(["file"])

    @api.model
    def _b2b_originals(self, connection, digests):
        """{checksum: the first file of ``connection`` with these bytes that was
        imported or is being imported}."""
        originals = {}
        for drop in self.search(
            [
                ("connection_id", "=", connection.id),
                ("checksum", "in", list(set(digests))),
                ("state", "in", ("received", "imported")),
            ],
            order="id",
        ):
            originals.setdefault(drop.checksum, drop)
        return originals

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

    @api.model
    def _b2b_committed_same_content(self, connection, digest):
        """The file with these bytes that a concurrent import stored and
        committed after this transaction began: its snapshot cannot see it, a
        new transaction can. Its name and date, as read there; neither it nor
        its order can be linked (this transaction's foreign keys do not see
        them either)."""
        with self.env.registry.cursor() as cr:
            found = (
                self.with_env(self.env(cr=cr))
                .sudo()
                .search_read(
                    [
                        ("connection_id", "=", connection.id),
                        ("checksum", "=", digest),
                        ("state", "in", ("received", "imported")),
                    ],
                    ["name", "create_date"],
                    limit=1,
                )
            )
        if not found:
            return None
        return CommittedDrop(
            False, found[0]["name"], found[0]["create_date"], self.env["sale.order"]
        )

    def _b2b_content(self):
        self.ensure_one()
        return base64.b64decode(self.with_context(bin_size=False).file or b"")

    # Importing -------------------------------------------------------------

    def _b2b_import(self, contents=None):
        """Import received files: each creates its request or order, or gets an
        error file and creates nothing. The files of one connection are checked
        one by one and their orders created together. ``contents`` maps drop
        ids to their bytes, to spare reading the stored files again."""
        received = self.filtered(lambda drop: drop.state == "received")
        for connection, drops in received.grouped("connection_id").items():
            drops._b2b_import_batch(connection, contents or {})
        return self

    def _b2b_import_batch(self, connection, contents):
        mapping = connection._b2b_csv_mapping()
        parsed_drops = []
        for drop in self:
            content = contents.get(drop.id)
            if content is None:
                content = drop._b2b_content()
            try:
                parsed = csv_drop.parse(content, mapping)
            except csv_drop.CsvDropError as exc:
                drop._b2b_set_errors(exc.errors)
                continue
            parsed_drops.append((drop, content, parsed, drop._b2b_receive_data(parsed)))
        if not parsed_drops:
            return
        existing = {
            order.client_order_ref: order
            for order in self.env["sale.order"].search(
                [
                    ("b2b_connection_id", "=", connection.id),
                    (
                        "client_order_ref",
                        "in",
                        [item[2].reference for item in parsed_drops],
                    ),
                ]
            )
        }
        # references of webhooks the connection queued (accepted) are theirs
        queued = self.env["b2b.event"]._b2b_used_references(
            connection, [item[3] for item in parsed_drops]
        )
        products = connection._b2b_find_products(
            [line for item in parsed_drops for line in item[3]["lines"]]
        )
        pending = []
        # files naming the reference of an earlier file of this batch: they
        # wait for its outcome (a duplicate of the order it creates, or in
        # its place when it is refused)
        waiting = self.browse()
        for drop, content, parsed, data in parsed_drops:
            reference = parsed.reference
            if reference in existing and not existing[reference]:
                waiting |= drop
                continue
            if reference in existing:
                drop._b2b_set_duplicate(
                    _(
                        "The order reference %(reference)s was already received "
                        "(%(order)s): the file is not imported again.",
                        reference=reference,
                        order=existing[reference].name or reference,
                    ),
                    order=existing[reference],
                )
                continue
            try:
                values = connection._b2b_receive_values(
                    parsed.type,
                    data,
                    products,
                    known_references=existing.keys() | queued,
                )
            except B2bInputError as exc:
                labels = csv_drop_errors.header_labels(content, parsed, mapping)
                drop._b2b_set_errors(csv_drop_errors.locate(parsed, exc.errors, labels))
                continue
            except B2bRefusedError as exc:
                drop._b2b_set_errors([csv_drop.CsvError(None, "", "", exc.args[0])])
                continue
            existing[reference] = self.env["sale.order"]
            pending.append((drop, parsed, values))
        if pending:
            self._b2b_create_orders(connection, pending)
        if waiting:
            waiting._b2b_import_batch(connection, contents)

    def _b2b_create_orders(self, connection, pending):
        """Create the orders of ``[(drop, parsed, order values)]`` together;
        when that fails on a reference taken meanwhile (by a concurrent
        import) or on what Odoo refuses (confirming an order without a
        stock rule to deliver it, say), one by one: the file that fails gets
        the error, the others are imported."""
        values_list = [values for _drop, _parsed, values in pending]
        connection._b2b_prepare_received(values_list)
        try:
            with self.env.cr.savepoint():
                orders = connection._b2b_create_received(values_list)
        except (psycopg2.errors.UniqueViolation, UserError) as exc:
            taken = isinstance(exc, psycopg2.errors.UniqueViolation)
            if taken and exc.diag.constraint_name != ORDER_REFERENCE_CONSTRAINT:
                raise
            if len(pending) > 1:
                for item in pending:
                    self._b2b_create_orders(connection, [item])
                return
            drop, parsed, _values = pending[0]
            if not taken:
                drop._b2b_set_errors([csv_drop.CsvError(None, "", "", exc.args[0])])
                return
            drop._b2b_set_duplicate(
                _(
                    "The order reference %(reference)s was already received: the "
                    "file is not imported again.",
                    reference=parsed.reference,
                ),
            )
            return
        now = fields.Datetime.now()
        for (drop, _parsed, _values), order in zip(pending, orders, strict=True):
            drop.write(
                {
                    "state": "imported",
                    "order_id": order.id,
                    "imported_at": now,
                }
            )

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
                # =ilike for the case only: % and _ are no wildcards here
                ("code", "=ilike", escape_psql(state)),
                ("name", "=ilike", escape_psql(state)),
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
            drop.write(
                {
                    "state": "received",
                    "error_count": 0,
                    "error_summary": False,
                    "error_file": False,
                }
            )
            drop._b2b_import()
        return True

    # E-mail drops ------------------------------------------------------------
    # The alias b2b_dropship.mail_alias_b2b_drops routes mails here: the
    # sender must be an address of a connected retailer (the connection's
    # notification addresses, the retailer's or one of its contacts'), and
    # each attached CSV file goes through import_csv. Anything else is
    # refused with a reply saying why, and creates nothing. Odoo routes a
    # mail that answers one already in a drop's history (our reply, say) to
    # that drop: its files are received the same way (message_update).
    #
    # Odoo gives the values it parsed from a mail to every route the mail
    # takes (another alias it was also written to) and posts them there, so
    # nothing of ours is kept in them. The CSV files are read from the mail
    # itself, which only _alias_get_error is given (the parsed values hold
    # text attachments decoded, not the bytes as sent); they wait in the
    # cursor's cache, with the mail's Message-Id, until message_new,
    # message_update or the refusal takes them (mails are routed one at a
    # time: the next one replaces them). Everything else is computed again
    # from the parsed values.

    def _alias_get_error(self, message, message_dict, alias):
        error = super()._alias_get_error(message, message_dict, alias)
        if error or alias.alias_model_id.model != self._name:
            return error
        files = self._b2b_mail_csv_files(message)
        self.env.cr.cache[MAIL_FILES_CACHE_KEY] = (message_dict["message_id"], files)
        _connection, reason = self._b2b_mail_check(message_dict, files)
        return AliasError("b2b_drop_refused", reason) if reason else False

    @api.model
    def _b2b_mail_take_files(self, message_dict):
        """The CSV files of a mail as :meth:`_alias_get_error` read them, or
        None when the mail did not come through the drop address."""
        message_id, files = self.env.cr.cache.pop(MAIL_FILES_CACHE_KEY, (None, None))
        return files if message_id == message_dict.get("message_id") else None

    @api.model
    def _b2b_mail_check(self, message_dict, files):
        """Return (connection, False) when the CSV ``files`` of a mail are to
        be imported, or (empty, the reason why not)."""
        connection, reason = self._b2b_mail_connection(message_dict)
        if connection and not files:
            return connection.browse(), _(
                "It has no CSV file attached. Attach one CSV file (a name ending in "
                ".csv) per request or order."
            )
        return connection, reason

    @api.model
    def _b2b_mail_connection(self, message_dict):
        """Return (connection, False) for the sender of a mail, or (empty, reason)."""
        Connection = self.env["b2b.connection"].sudo()
        email = email_normalize(message_dict.get("email_from") or "")
        if not email:
            return Connection, _("The sender's address could not be read.")
        # the retailer's people and own addresses; not its delivery contacts,
        # which are its customers (the ship-to addresses of its orders)
        partners = (
            self.env["res.partner"]
            .sudo()
            .search([("email_normalized", "=", email), ("type", "!=", "delivery")])
        )
        owners = partners.commercial_partner_id
        candidates = Connection.search(
            [
                "|",
                ("partner_id", "in", owners.ids),
                ("notify_emails", "ilike", email),
            ]
        ).filtered(
            lambda connection: connection.partner_id in owners
            or email
            in {
                email_normalize(address)
                for address in email_split(connection.notify_emails)
            }
        )
        # An address of a retailer with a connection is that retailer's: another
        # one listing it among its notification addresses does not get its
        # files (when that retailer is not connected, say).
        if candidates.filtered(lambda connection: connection.partner_id in owners):
            candidates = candidates.filtered(
                lambda connection: connection.partner_id in owners
            )
        connected = candidates.filtered(
            lambda connection: connection.state == "connected"
        )
        if not candidates:
            return Connection, _(
                "%(email)s is not the address of a retailer connected to us. Send your "
                "files from your company's address, or ask us to add this one to your "
                "connection's notification addresses.",
                email=email,
            )
        if not connected:
            return Connection, _(
                "Your connection %(name)s is not connected: files are accepted once "
                "it is.",
                name=candidates[0].name,
            )
        if len(connected) > 1:
            # the code as a word of the subject, in any case: "acme" is not
            # named by a subject naming "acme-eu"
            words = set(
                re.findall(
                    r"[a-z0-9_-]+", (message_dict.get("subject") or "").casefold()
                )
            )
            named = connected.filtered(lambda connection: connection.code in words)
            if len(named) != 1:
                return Connection, _(
                    "%(email)s is the address of several connections (%(codes)s): "
                    "write the code of the one these files are for in the subject.",
                    email=email,
                    codes=", ".join(connected.mapped("code")),
                )
            connected = named
        return connected, False

    @api.model
    def _b2b_mail_csv_files(self, message):
        """The CSV files attached to a mail, as (name, bytes exactly as sent)."""
        files = []
        for part in message.walk():
            if part.get_content_maintype() == "multipart":
                continue
            name = part.get_filename() or ""
            if not (
                _is_csv_name(name)
                or (name and part.get_content_type() in CSV_MIMETYPES)
            ):
                continue
            files.append((name, part.get_payload(decode=True) or b""))
        return files

    @api.model
    def _b2b_mail_parsed_csv_files(self, message_dict):
        """The CSV files among the attachments Odoo parsed from a mail that
        did not come through the drop address, as (name, bytes). Odoo decoded
        text with the charset the mail named (UTF-8 when none): it is encoded
        back with it, as Odoo does when it stores the mail's attachments."""
        files = []
        for attachment in message_dict.get("attachments") or []:
            name, content = attachment[0], attachment[1]
            info = (attachment[2] if len(attachment) > 2 else None) or {}
            if not _is_csv_name(name):
                continue
            if isinstance(content, str):
                try:
                    content = content.encode(info.get("encoding") or "utf-8")
                except (LookupError, UnicodeEncodeError):
                    content = content.encode()
            if isinstance(content, bytes):
                files.append((name, content))
        return files

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        files = self._b2b_mail_take_files(msg_dict)
        if files is None:
            raise UserError(
                _("CSV drops are received through their e-mail alias only.")
            )
        return self._b2b_mail_receive(msg_dict, files)[:1]

    def message_update(self, msg_dict, update_vals=None):
        files = self._b2b_mail_take_files(msg_dict)
        if files is None:
            # Not through the drop address (an answer to the catchall address,
            # say): its CSV files are a drop all the same; a mail without any
            # is an answer, kept in this drop's history only.
            files = self._b2b_mail_parsed_csv_files(msg_dict)
        if files:
            self._b2b_mail_receive(msg_dict, files)
        return super().message_update(msg_dict, update_vals=update_vals)

    def message_post(self, **kwargs):
        if self.env.context.get("from_alias") and kwargs.get("attachments"):
            # The CSV files of a mail are kept on the drops they made (or were
            # refused): the mail keeps its other attachments. Left out of this
            # post only, as Odoo posts the same parsed mail on every route.
            kwargs["attachments"] = [
                attachment
                for attachment in kwargs["attachments"]
                if not _is_csv_name(attachment[0])
            ]
        return super().message_post(**kwargs)

    def _b2b_mail_receive(self, msg_dict, files):
        """Receive the CSV ``files`` (name, bytes) of a mail: each goes through
        import_csv and the sender is told what became of it; or, when the
        sender is not a connected retailer's or there is no file, the sender
        is told why and nothing is created. ``self`` is the drop in whose
        history Odoo puts the mail (an answer in its thread), or empty (a new
        mail: its first drop). Return the drops created."""
        connection, reason = self._b2b_mail_check(msg_dict, files)
        if reason:
            alias = self.env.ref("b2b_dropship.mail_alias_b2b_drops").sudo()
            self._b2b_mail_send(
                msg_dict, alias._b2b_refusal_reply_body(msg_dict, reason)
            )
            return self.browse()
        email_from = msg_dict.get("email_from")
        drops = self.browse().concat(
            *(
                connection.import_csv(
                    name, content, "email", {"email_from": email_from}
                )
                for name, content in files
            )
        )
        if self:
            note = _(
                "Received from %(email)s in an answer kept in the history of "
                "%(name)s.",
                name=self.name,
                email=email_from,
            )
        else:
            note = _(
                "Received in the same e-mail as %(name)s, from %(email)s.",
                name=drops[0].name,
                email=email_from,
            )
        for drop in drops - (self or drops[0]):
            drop.message_post(body=note, subtype_xmlid="mail.mt_note")
        drops._b2b_mail_reply(msg_dict)
        return drops

    def _b2b_mail_reply(self, msg_dict):
        """Tell the sender what became of each file, error files attached."""
        items = []
        attachments = self.env["ir.attachment"]
        for drop in self:
            if drop.state == "imported":
                order = drop.order_id
                text = _(
                    "%(file)s: imported, %(kind)s %(reference)s (our number %(name)s).",
                    file=drop.name,
                    kind=_("order") if order.b2b_state == "order" else _("request"),
                    reference=order.client_order_ref,
                    name=order.name,
                )
            elif drop.state == "duplicate":
                text = _(
                    "%(file)s: not imported. %(reason)s",
                    file=drop.name,
                    reason=drop.error_summary,
                )
            else:
                text = _(
                    "%(file)s: not imported, nothing was created: %(count)s "
                    "problem(s), listed in %(errors)s attached.",
                    file=drop.name,
                    count=drop.error_count,
                    errors=drop.error_file_name,
                )
                attachments |= attachments.sudo().create(
                    {
                        "name": drop.error_file_name,
                        "raw": drop._b2b_error_file_content(),
                        "mimetype": "text/csv",
                        "res_model": self._name,
                        "res_id": drop.id,
                    }
                )
            items.append(Markup("<li>%s</li>") % text)
        body = Markup("<p>%(intro)s</p><ul>%(items)s</ul>") % {
            "intro": _(
                "We received your e-mail with %(count)s file(s):", count=len(self)
            ),
            "items": Markup("").join(items),
        }
        return self._b2b_mail_send(msg_dict, body, attachments)

    def _b2b_mail_send(self, msg_dict, body, attachments=None):
        """Send ``body`` to the sender of a mail, in answer to it, from the
        company of the drops ``self``. Answers to it go to the drop address:
        a file attached there is received (as a new mail, or in the thread of
        the drop that holds the mail), not lost in a drop's history."""
        company = self[:1].company_id or self.env.company
        address = self[:1].connection_id.csv_drop_email
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": _(
                        "Re: %(subject)s", subject=msg_dict.get("subject") or ""
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted
                    or self.env.user.email_formatted,
                    "email_to": msg_dict.get("email_from"),
                    "reply_to": formataddr((company.name, address))
                    if address
                    else False,
                    "references": msg_dict.get("message_id"),
                    "attachment_ids": [Command.set(attachments.ids)]
                    if attachments
                    else [],
                    "auto_delete": True,
                }
            )
        )
        mail.send()
        return mail
