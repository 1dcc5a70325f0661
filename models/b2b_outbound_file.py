import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import sftp_client, shipment_csv


class B2bOutboundFile(models.Model):
    """A file to write into a retailer's SFTP outbox: a shipment confirmation.

    Queued in the transaction that confirms the shipment, written by the SFTP
    scheduled action (``b2b_dropship.cron_sftp_poll``) with the retailer's
    other SFTP work, under a temporary name renamed once complete. A failed
    write is tried again at the next run; writing the same file again
    replaces it, so the retailer never sees two copies.
    """

    _name = "b2b.outbound.file"
    _description = "B2B Outbound File"
    _order = "id desc"

    name = fields.Char(string="File Name", required=True, readonly=True)
    connection_id = fields.Many2one(
        "b2b.connection", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        related="connection_id.partner_id", store=True, index=True, string="Retailer"
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    order_id = fields.Many2one(
        "sale.order", string="Order", readonly=True, index=True, ondelete="set null"
    )
    event_type = fields.Char(
        string="Event", readonly=True, default="shipment.confirmed"
    )
    file = fields.Binary(attachment=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("sent", "Written"), ("failed", "Failed")],
        required=True,
        default="pending",
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)
    sent_at = fields.Datetime(string="Written On", readonly=True)
    remote_path = fields.Char(readonly=True)

    @api.model
    def _b2b_queue_shipments(self, orders_payloads):
        """Queue the shipment file of each ``(order, shipment.confirmed data)``
        whose connection writes shipment files to its SFTP outbox."""
        vals_list = []
        for order, payload in orders_payloads:
            connection = order.b2b_connection_id
            if not connection.sftp_outbound_enabled:
                continue
            vals_list.append(
                {
                    "name": shipment_csv.shipment_file_name(payload),
                    "connection_id": connection.id,
                    "order_id": order.id,
                    "event_type": "shipment.confirmed",
                    "file": base64.b64encode(shipment_csv.shipment_csv(payload)),
                }
            )
        if not vals_list:
            return self.browse()
        files = self.sudo().create(vals_list)
        self.env.ref("b2b_dropship.cron_sftp_poll").sudo()._trigger()
        return files

    def _b2b_write(self, sftp, settings):
        """Write these files into the outbox of an open SFTP session.

        :raise SftpError: when the server fails; the file is marked failed
            first, and tried again at the next run.
        """
        for outbound in self:
            content = base64.b64decode(
                outbound.with_context(bin_size=False).file or b""
            )
            try:
                path = sftp.write_atomic(settings.outbox, outbound.name, content)
            except sftp_client.SftpError as exc:
                outbound.write(
                    {
                        "state": "failed",
                        "attempts": outbound.attempts + 1,
                        "last_error": exc.message,
                    }
                )
                raise
            outbound.write(
                {
                    "state": "sent",
                    "attempts": outbound.attempts + 1,
                    "sent_at": fields.Datetime.now(),
                    "remote_path": path,
                    "last_error": False,
                }
            )
            outbound.connection_id._b2b_commit()

    def action_send_again(self):
        """Write the files again at the next run (the retailer lost them)."""
        for outbound in self:
            if not outbound.connection_id.sftp_outbound_enabled:
                raise UserError(
                    _(
                        "The connection %(name)s does not write shipment files to "
                        "SFTP.",
                        name=outbound.connection_id.name,
                    )
                )
        self.write({"state": "pending"})
        self.env.ref("b2b_dropship.cron_sftp_poll").sudo()._trigger()
        return True
