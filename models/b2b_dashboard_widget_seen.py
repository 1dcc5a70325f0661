from odoo import fields, models

SEEN_KINDS = [
    ("read", "Present at the last counter reset"),
    ("mail", "Known to the e-mail digest"),
]


class B2bDashboardWidgetSeen(models.Model):
    """The records a widget already knows, one row per (widget, kind, record).

    ``read``: the records the widget held when its user last reset its
    counter; the unread counter is the number of records matching now that
    are not among them. ``mail``: the records the e-mail digest already
    reported (or that were in the widget when its e-mail alert was turned
    on); a record is never reported twice for the same widget.

    Written and read in SQL by ``b2b.dashboard.widget`` only, in bulk.
    """

    _name = "b2b.dashboard.widget.seen"
    _description = "B2B Dashboard Widget Known Record"
    _log_access = False

    widget_id = fields.Many2one(
        "b2b.dashboard.widget", required=True, ondelete="cascade", readonly=True
    )
    kind = fields.Selection(SEEN_KINDS, required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)

    # Its index serves every lookup: (widget, kind) ranges and anti-joins on res_id.
    _sql_constraints = [
        (
            "record_unique",
            "unique(widget_id, kind, res_id)",
            "A record is known once per widget.",
        ),
    ]
