import logging
import posixpath

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import csv_drop, sftp_client
from .b2b_csv_mapping import IGNORE
from .b2b_file_drop import SOURCES

_logger = logging.getLogger(__name__)

# Read at most this much of a remote file: beyond, it is refused unread.
SFTP_MAX_READ = 4 * csv_drop.MAX_FILE_SIZE
# Files read, stored, imported and moved together (one commit each step): at
# most this many, and no more read once this many bytes were, so that a batch
# of large files stays within a worker's memory.
SFTP_BATCH = 100
SFTP_BATCH_BYTES = 64 * 1024 * 1024


class B2bCsvChannelMixin(models.AbstractModel):
    """The file channels of a retailer connection: CSV drops uploaded by hand,
    sent by e-mail or through the API, and an SFTP account polled for them
    (with shipment confirmations written back).

    Every file goes through one pipeline: :meth:`import_csv`, which stores it
    in the file history (``b2b.file.drop``) and imports it. The SFTP poll runs
    the same two halves with a commit in between, so that a file is never lost
    once read.
    """

    _name = "b2b.csv.channel.mixin"
    _description = "B2B CSV Drop Channels"

    csv_mapping_ids = fields.One2many(
        "b2b.csv.mapping",
        "connection_id",
        string="CSV Header Mapping",
        help="The retailer's own CSV headers, read as columns of the drop format.",
    )
    file_drop_ids = fields.One2many("b2b.file.drop", "connection_id", string="Files")
    file_drop_count = fields.Integer(compute="_compute_file_drop_count")
    csv_drop_email = fields.Char(
        string="E-mail Drop Address",
        compute="_compute_csv_drop_email",
        help="Retailers e-mail their CSV files to this address, from one of their "
        "addresses (the notification addresses, the retailer's or its contacts').",
    )
    sftp_enabled = fields.Boolean(
        string="Poll SFTP",
        help="The scheduled action fetches this retailer's CSV drops from its SFTP "
        "server.",
    )
    sftp_outbound_enabled = fields.Boolean(
        string="Send Shipment Files",
        help="Write a shipment confirmation file per shipment into the SFTP outbox.",
    )
    sftp_host = fields.Char(string="SFTP Host")
    sftp_port = fields.Integer(string="SFTP Port", default=22)
    sftp_user = fields.Char(string="SFTP User")
    sftp_password = fields.Char(
        string="SFTP Password", groups="b2b_dropship.group_b2b_manager", copy=False
    )
    sftp_private_key = fields.Text(
        string="SFTP Private Key",
        groups="b2b_dropship.group_b2b_manager",
        copy=False,
        help="RSA, ECDSA or Ed25519 private key in PEM or OpenSSH format. Its public "
        "key goes into the retailer's authorized keys.",
    )
    sftp_private_key_passphrase = fields.Char(
        string="Key Passphrase", groups="b2b_dropship.group_b2b_manager", copy=False
    )
    sftp_host_key = fields.Text(
        string="Server Host Key",
        copy=False,
        help="The server's public host key, as 'ssh-ed25519 AAAA...' (one per line for "
        "several). Required: a server presenting another key is refused.",
    )
    sftp_host_key_fingerprints = fields.Char(
        string="Host Key Fingerprints", compute="_compute_sftp_host_key_fingerprints"
    )
    sftp_inbox = fields.Char(string="Inbox Folder", default="/in")
    sftp_processed = fields.Char(string="Processed Folder", default="/processed")
    sftp_error = fields.Char(string="Error Folder", default="/error")
    sftp_outbox = fields.Char(string="Outbox Folder", default="/out")
    sftp_last_poll_at = fields.Datetime(string="Last Poll", readonly=True, copy=False)
    sftp_last_error = fields.Text(string="Last Poll Error", readonly=True, copy=False)

    def _compute_file_drop_count(self):
        counts = dict(
            self.env["b2b.file.drop"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for connection in self:
            connection.file_drop_count = counts.get(connection, 0)

    def _compute_csv_drop_email(self):
        alias = self.env.ref(
            "b2b_dropship.mail_alias_b2b_drops", raise_if_not_found=False
        )
        address = alias.sudo().alias_full_name if alias else False
        for connection in self:
            connection.csv_drop_email = address if address and "@" in address else False

    @api.depends("sftp_host_key")
    def _compute_sftp_host_key_fingerprints(self):
        for connection in self:
            try:
                fingerprints = sftp_client.host_key_fingerprints(
                    connection.sftp_host_key
                )
            except sftp_client.SftpConfigError:
                fingerprints = []
            connection.sftp_host_key_fingerprints = ", ".join(fingerprints) or False

    @api.constrains(
        "sftp_enabled",
        "sftp_outbound_enabled",
        "sftp_host",
        "sftp_user",
        "sftp_host_key",
        "sftp_port",
        "sftp_inbox",
        "sftp_processed",
        "sftp_error",
        "sftp_outbox",
    )
    def _check_sftp(self):
        for connection in self:
            if connection.sftp_host_key:
                try:
                    sftp_client.parse_host_keys(connection.sftp_host_key)
                except sftp_client.SftpConfigError as exc:
                    raise ValidationError(
                        _(
                            "The SFTP host key is not valid: %(reason)s",
                            reason=exc.message,
                        )
                    ) from None
            if not (connection.sftp_enabled or connection.sftp_outbound_enabled):
                continue
            missing = [
                connection._fields[name].string
                for name in ("sftp_host", "sftp_user", "sftp_host_key")
                if not connection[name]
            ]
            if connection.sftp_enabled:
                missing += [
                    connection._fields[name].string
                    for name in ("sftp_inbox", "sftp_processed", "sftp_error")
                    if not connection[name]
                ]
            if connection.sftp_outbound_enabled and not connection.sftp_outbox:
                missing.append(connection._fields["sftp_outbox"].string)
            if missing:
                raise ValidationError(
                    _(
                        "To use SFTP with %(name)s, set: %(fields)s.",
                        name=connection.display_name,
                        fields=", ".join(missing),
                    )
                )
            if not 0 < connection.sftp_port < 65536:
                raise ValidationError(
                    _("The SFTP port must be a number from 1 to 65535.")
                )
            for name in ("sftp_inbox", "sftp_processed", "sftp_error", "sftp_outbox"):
                folder = connection[name]
                if folder and not posixpath.isabs(folder):
                    raise ValidationError(
                        _(
                            "The SFTP folder %(folder)s must be an absolute path, "
                            "such as /in.",
                            folder=folder,
                        )
                    )

    # CSV drops ---------------------------------------------------------------

    def import_csv(self, filename, content, source, drop_values=None):
        """Record a CSV drop of this retailer and import it: THE entry point of
        every file, whatever its channel.

        :param str filename: the file's name, as the retailer named it.
        :param bytes content: the file's bytes.
        :param str source: ``upload``, ``sftp``, ``email`` or ``api``.
        :param dict drop_values: more values of the ``b2b.file.drop`` (such as
            ``email_from``).
        :return: the ``b2b.file.drop``: ``imported`` with the request or order
            it created, ``error`` with its error file (nothing created), or
            ``duplicate`` (the same bytes, or an order reference already
            received: nothing created).

        The caller must be able to read the connection (a B2B user, or a
        portal user of the retailer); the file is then stored and imported
        with the rights of the channel.
        """
        self.ensure_one()
        if source not in dict(SOURCES):
            raise ValueError(f"Unknown CSV drop source {source!r}")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError("A CSV drop is given as bytes.")
        self.check_access("read")
        content = bytes(content)
        connection = self.sudo()
        drop = (
            self.env["b2b.file.drop"]
            .sudo()
            ._b2b_store(connection, filename, content, source, drop_values)
        )
        drop._b2b_import({drop.id: content})
        return drop.with_env(self.env)

    def _b2b_csv_mapping(self):
        """{retailer header: canonical column, or None to ignore it}."""
        self.ensure_one()
        return {
            line.retailer_header: None if line.column == IGNORE else line.column
            for line in self.sudo().csv_mapping_ids
        }

    def action_view_file_drops(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "b2b_dropship.b2b_file_drop_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        action["context"] = {"default_connection_id": self.id}
        return action

    def action_b2b_csv_upload(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "b2b_dropship.b2b_csv_upload_action"
        )
        action["context"] = {"default_connection_id": self.id}
        return action

    # SFTP ----------------------------------------------------------------------

    def _b2b_sftp_settings(self):
        self.ensure_one()
        connection = self.sudo()
        return sftp_client.SftpSettings(
            host=(connection.sftp_host or "").strip(),
            port=connection.sftp_port,
            username=connection.sftp_user or "",
            password=connection.sftp_password or None,
            private_key=connection.sftp_private_key or None,
            private_key_passphrase=connection.sftp_private_key_passphrase or None,
            host_key=connection.sftp_host_key or "",
            # folders of the directions in use only: they are all checked (a
            # connection not set up yet checks the inbox)
            inbox=connection.sftp_inbox or "/in"
            if connection.sftp_enabled or not connection.sftp_outbound_enabled
            else "",
            processed=connection.sftp_processed or ""
            if connection.sftp_enabled
            else "",
            error=connection.sftp_error or "" if connection.sftp_enabled else "",
            outbox=connection.sftp_outbox or ""
            if connection.sftp_outbound_enabled
            else "",
        )

    def _b2b_sftp_owner(self):
        """Who claims files in the inbox: this database (see SftpClient.claim)."""
        uuid = (
            self.env["ir.config_parameter"].sudo().get_param("database.uuid") or "odoo"
        )
        return "".join(char for char in uuid if char.isalnum())[:64]

    @api.model
    def _b2b_sftp_error_message(self, exc):
        """A translated sentence saying exactly what failed."""
        params = exc.params
        code = exc.code
        if code == "dns":
            return _(
                "DNS: the host name %(host)s could not be resolved.",
                host=params.get("host"),
            )
        if code == "refused":
            return _(
                "Connection refused: nothing accepts SSH connections on %(host)s port "
                "%(port)s, or a firewall rejects us.",
                host=params.get("host"),
                port=params.get("port"),
            )
        if code == "host_key_mismatch":
            return _(
                "Host key refused: %(host)s presented the key %(type)s "
                "%(fingerprint)s, which is not the configured one (%(expected)s). "
                "The key changed or this is not the retailer's server: check with "
                "its administrator before replacing the key.",
                host=params.get("host"),
                type=params.get("key_type"),
                fingerprint=params.get("fingerprint"),
                expected=params.get("expected"),
            )
        if code == "host_key_unknown":
            return _(
                "Host key refused: %(host)s presented a %(type)s key "
                "(%(fingerprint)s) and no key of that type is configured "
                "(%(expected)s). Check it with the server's administrator before "
                "adding it.",
                host=params.get("host"),
                type=params.get("key_type"),
                fingerprint=params.get("fingerprint"),
                expected=params.get("expected"),
            )
        if code == "auth":
            return _(
                "Authentication failed: the server refused the login of %(user)s "
                "with %(methods)s.",
                user=params.get("username"),
                methods=_(" and ").join(params.get("methods") or []),
            )
        if code == "file_name":
            return _(
                "A file name in %(folder)s is not UTF-8 text, so the folder cannot "
                "be read: ask the retailer to rename the file.",
                folder=params.get("path"),
            )
        if code == "folder_missing" and params.get("is_file"):
            return _(
                "Folder missing: the %(role)s folder %(folder)s is a file on the "
                "server, not a folder.",
                role=params.get("role"),
                folder=params.get("folder"),
            )
        if code == "folder_missing":
            return _(
                "Folder missing: the %(role)s folder %(folder)s does not exist on "
                "the server.",
                role=params.get("role"),
                folder=params.get("folder"),
            )
        return exc.message

    def action_b2b_sftp_test(self):
        """Connect, check the host key, log in and check the folders; say what
        failed."""
        self.ensure_one()
        # it logs in to the retailer's server with the connection's secrets,
        # read as superuser: for those who may change the connection
        self.check_access("write")
        try:
            steps = sftp_client.test_connection(self._b2b_sftp_settings())
        except sftp_client.SftpError as exc:
            passed = "".join(f"✓ {step.detail}\n" for step in exc.steps)
            return self._b2b_notification(
                _("SFTP connection failed"),
                passed + "✗ " + self._b2b_sftp_error_message(exc),
                "danger",
            )
        return self._b2b_notification(
            _("SFTP connection works"),
            "".join(f"✓ {step.detail}\n" for step in steps),
            "success",
        )

    def _b2b_notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
            },
        }

    def action_b2b_sftp_poll(self):
        """Fetch the retailer's files now (the scheduled action does it regularly)."""
        # files are imported and committed as superuser: for those who may
        # change the connection
        self.check_access("write")
        total = 0
        for connection in self:
            if not connection.sftp_enabled:
                raise UserError(
                    _(
                        "SFTP polling is not enabled on %(name)s.",
                        name=connection.display_name,
                    )
                )
            connection._check_can_receive("request")
        for connection in self:
            handled = connection._b2b_sftp_poll()
            if handled is None:
                raise UserError(
                    _(
                        "%(name)s is being polled right now by the scheduled action: "
                        "try again in a moment.",
                        name=connection.display_name,
                    )
                )
            if connection.sftp_last_error:
                return self._b2b_notification(
                    _("SFTP poll failed"), connection.sftp_last_error, "danger"
                )
            total += handled
        return self._b2b_notification(
            _("SFTP poll done"), _("%(count)s file(s) fetched.", count=total), "success"
        )

    @api.model
    def _cron_sftp_poll(self):
        """Fetch the CSV drops of the connected retailers that use SFTP, and
        write the shipment files of those that receive them."""
        connections = self.search(
            [
                "|",
                "&",
                ("sftp_enabled", "=", True),
                ("state", "=", "connected"),
                ("sftp_outbound_enabled", "=", True),
            ]
        )
        for done, connection in enumerate(connections, start=1):
            connection._b2b_sftp_poll_isolated()
            self._b2b_commit()
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(connections) - done
            )

    def _b2b_sftp_poll_isolated(self):
        """:meth:`_b2b_sftp_poll` for the scheduled action: a failure of ours
        with one connection is told on it, and the retailers after it are
        still polled."""
        self.ensure_one()
        try:
            return self._b2b_sftp_poll()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            _logger.exception("SFTP poll of connection %s failed", self.id)
            # back to the last checkpoint, as the scheduled action would do:
            # no remote file was moved after it
            self._b2b_rollback()
            self._b2b_sftp_record_poll(
                _(
                    "The poll stopped on an error on our side (%(reason)s): the "
                    "next poll finishes the work once the cause is fixed.",
                    reason=f"{type(exc).__name__}: {exc}",
                )
            )
            return None

    def _b2b_commit(self):
        # the same guard as the other batched scheduled actions: never in tests
        self.env["sale.order"]._b2b_commit_batch()

    def _b2b_rollback(self):
        self.env["sale.order"]._b2b_rollback_batch()

    def _b2b_sftp_lock(self):
        """Lock this connection's row for this transaction, or return False when
        another transaction holds it (another worker is polling it)."""
        self.ensure_one()
        # NO KEY UPDATE, as ir.cron does for its jobs: it excludes another
        # poll, but not the inserts of orders or files referencing the row.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                SQL.identifier(self._table),
                self.id,
            )
        )
        return bool(self.env.cr.fetchone())

    def _b2b_sftp_checkpoint(self):
        """Commit what is done, then take the connection's lock again: False
        when another worker took over meanwhile (it finishes the work)."""
        self._b2b_commit()
        return self._b2b_sftp_lock()

    def _b2b_sftp_poll(self):
        """Fetch, store, import and move the files of the SFTP inbox, then
        write the pending shipment files into the outbox.

        :return: the number of inbox files handled, or None when another
            worker is polling this connection.

        Each inbox file is claimed (renamed to a hidden name in the inbox),
        read, stored in the file history and committed, imported and
        committed, then moved to the processed or error folder (its error
        file beside it). A poll that breaks anywhere leaves the claim in the
        inbox: the next one reads the file again, recognises it by its name
        and checksum among the stored files, and only finishes what was not
        done. Nothing leaves the inbox before its import is committed.
        """
        self.ensure_one()
        if not self._b2b_sftp_lock():
            _logger.info(
                "SFTP poll of connection %s skipped: another worker is polling it",
                self.id,
            )
            return None
        settings = self._b2b_sftp_settings()
        inbound = self.sftp_enabled and self.state == "connected"
        outbound = self.sftp_outbound_enabled and self.env["b2b.outbound.file"].search(
            [("connection_id", "=", self.id), ("state", "in", ("pending", "failed"))],
            order="id",
        )
        if not inbound and not outbound:
            return 0
        handled = 0
        error = False
        try:
            with sftp_client.SftpClient(settings) as sftp:
                # a missing folder is told before any file is taken
                sftp.check_folders()
                if inbound:
                    handled, locked = self._b2b_sftp_fetch(sftp, settings)
                    if not locked:
                        # another worker took over after a commit: it goes on
                        return handled
                if outbound:
                    outbound._b2b_write(sftp, settings)
        except sftp_client.SftpError as exc:
            error = self._b2b_sftp_error_message(exc)
            _logger.warning(
                "SFTP poll of connection %s failed: %s", self.id, exc.message
            )
        self._b2b_sftp_record_poll(error)
        return handled

    def _b2b_sftp_fetch(self, sftp, settings):
        """Handle the inbox files, by batches: (number handled, whether the
        lock is still held)."""
        owner = self._b2b_sftp_owner()
        names = [claim.name for claim in sftp.list_claims(owner)]
        for name in sftp.list_inbox():
            claimed = sftp.claim(name, owner)
            if claimed:
                names.append(claimed)
        handled = 0
        while names:
            taken, locked = self._b2b_sftp_take(sftp, settings, names[:SFTP_BATCH])
            if not locked:
                return handled, False
            handled += taken
            names = names[taken:]
        return handled, True

    def _b2b_sftp_record_poll(self, error):
        values = {"sftp_last_poll_at": fields.Datetime.now(), "sftp_last_error": error}
        if error and error != self.sftp_last_error:
            self.message_post(
                body=_("The SFTP poll failed: %(error)s", error=error),
                subtype_xmlid="mail.mt_note",
            )
        self.write(values)

    def _b2b_sftp_import(self, drops, contents):
        """Import the stored ``drops``. An unexpected failure (a defect of
        ours, not a problem of the files) gives them an error file and tells
        the connection's followers, rather than stopping the scheduled action
        for every retailer at each poll: once the cause is fixed, **Import
        Again** on each file imports it."""
        try:
            with self.env.cr.savepoint():
                drops._b2b_import(contents)
        except psycopg2.Error:
            raise  # the database's own trouble: the next poll tries again
        except Exception as exc:  # pylint: disable=broad-exception-caught
            _logger.exception(
                "SFTP import of files %s of connection %s failed", drops.ids, self.id
            )
            # the retailer reads the error file: the details are for the
            # supplier's staff only (log and chatter)
            reason = f"{type(exc).__name__}: {exc}"
            for drop in drops:
                drop._b2b_set_errors(
                    [
                        csv_drop.CsvError(
                            None,
                            "",
                            "",
                            _(
                                "The file could not be imported because of an "
                                "error on the supplier's side; it is kept and "
                                "will be imported again once that is fixed."
                            ),
                        )
                    ]
                )
            self.message_post(
                body=_(
                    "Files fetched by SFTP could not be imported (%(names)s): "
                    "%(reason)s. Once the cause is fixed, use Import Again on each.",
                    names=", ".join(drops.mapped("name")),
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _b2b_sftp_take(self, sftp, settings, claimed_names):
        """Read, store, import and move a batch of the claimed files, from the
        first: ``(number of files taken, whether the lock is still held)``
        (when it was lost on the way, another worker finishes the work)."""
        Drop = self.env["b2b.file.drop"].sudo()
        items = []  # [claimed name, original name, bytes or None when too large]
        read = 0
        for claimed in claimed_names:
            if items and read >= SFTP_BATCH_BYTES:
                break
            claim = sftp_client.parse_claim(claimed)
            try:
                content = sftp.read(claimed, max_size=SFTP_MAX_READ)
            except sftp_client.SftpFileTooLargeError:
                content = None
            read += len(content or b"")
            items.append((claimed, claim.original_name if claim else claimed, content))
        # files stored by a poll that broke afterwards: by remote name and checksum
        stored = {
            (drop.sftp_remote_name, drop.checksum): drop
            for drop in Drop.search(
                [
                    ("connection_id", "=", self.id),
                    ("source", "=", "sftp"),
                    ("sftp_done", "=", False),
                    ("sftp_remote_name", "in", [item[1] for item in items]),
                ],
                order="id",
            )
        }
        drops = [
            stored.get(
                (original, csv_drop.checksum(content) if content is not None else False)
            )
            for _claimed, original, content in items
        ]
        new = [position for position, drop in enumerate(drops) if not drop]
        readable = [position for position in new if items[position][2] is not None]
        if readable:
            for position, drop in zip(
                readable,
                Drop._b2b_store_many(
                    self,
                    [
                        (
                            items[position][1],
                            items[position][2],
                            {"sftp_remote_name": items[position][1]},
                        )
                        for position in readable
                    ],
                    "sftp",
                ),
                strict=True,
            ):
                drops[position] = drop
        for position in new:
            if drops[position]:
                continue
            original = items[position][1]
            drops[position] = Drop.with_context(mail_create_nolog=True).create(
                {
                    "name": original,
                    "connection_id": self.id,
                    "source": "sftp",
                    "sftp_remote_name": original,
                }
            )
            drops[position]._b2b_set_errors(
                [
                    csv_drop.CsvError(
                        None,
                        "",
                        "",
                        _(
                            "The file is larger than %(size)s bytes: it was not read.",
                            size=SFTP_MAX_READ,
                        ),
                    )
                ]
            )
        # stored and committed before anything is imported
        if new and not self._b2b_sftp_checkpoint():
            return len(items), False
        received = Drop.browse([drop.id for drop in drops if drop.state == "received"])
        if received:
            contents = {
                drop.id: item[2] for drop, item in zip(drops, items, strict=True)
            }
            self._b2b_sftp_import(received, contents)
            # imported and committed before anything leaves the inbox
            if not self._b2b_sftp_checkpoint():
                return len(items), False
        for (claimed, original, _content), drop in zip(items, drops, strict=True):
            if drop.state == "imported":
                path = sftp.move(claimed, settings.processed)
            else:
                # a name free for the file and its error file alike: a second
                # bad orders.csv goes in as orders-2.csv beside
                # orders-2.csv.errors.csv, the first one's errors stay
                errors = drop._b2b_error_file_content()
                target = sftp.free_name(
                    settings.error, original, csv_drop.ERROR_FILE_SUFFIX, errors
                )
                sftp.write_atomic(
                    settings.error, csv_drop.error_file_name(target), errors
                )
                path = sftp.move(claimed, settings.error, target_name=target)
            drop.write({"sftp_done": True, "sftp_remote_path": path})
        return len(items), self._b2b_sftp_checkpoint()
