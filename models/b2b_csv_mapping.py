from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import csv_drop

IGNORE = "ignore"


def _column_selection():
    return [(column, column) for column in csv_drop.CANONICAL_COLUMNS] + [
        (IGNORE, "(ignore this column)")
    ]


class B2bCsvMapping(models.Model):
    """One of a retailer's own CSV headers, read as a column of the drop format.

    Retailers' platforms export their own header names ("Order #", "Item
    Code", "Qty"); a line here reads such a header as a canonical column of
    ``tools.csv_drop`` (or ignores it), for this connection only.
    """

    _name = "b2b.csv.mapping"
    _description = "B2B CSV Header Mapping"
    _order = "connection_id, sequence, id"

    connection_id = fields.Many2one(
        "b2b.connection", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    retailer_header = fields.Char(
        string="Retailer's Header",
        required=True,
        help="The header as the retailer's files write it; case and surrounding spaces "
        "do not matter.",
    )
    column = fields.Selection(
        _column_selection,
        required=True,
        help="The column of the CSV drop format this header gives.",
    )

    @api.constrains("connection_id", "retailer_header", "column")
    def _check_mapping(self):
        for connection in self.connection_id:
            # the lines themselves: a dict would keep one of two equal headers
            pairs = [
                (line.retailer_header, None if line.column == IGNORE else line.column)
                for line in connection.sudo().csv_mapping_ids
            ]
            try:
                csv_drop.normalize_mapping(pairs)
            except ValueError as exc:
                raise ValidationError(
                    _(
                        "The CSV mapping of %(connection)s is not valid: %(reason)s",
                        connection=connection.display_name,
                        reason=str(exc),
                    )
                ) from None
