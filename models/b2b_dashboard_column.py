from odoo import fields, models


class B2bDashboardColumn(models.Model):
    """A column a dashboard widget can show; the list is fixed (data file)."""

    _name = "b2b.dashboard.column"
    _description = "B2B Dashboard Column"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A dashboard column code must be unique."),
    ]
