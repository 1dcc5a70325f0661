from odoo import fields, models


class B2bProductReference(models.Model):
    """A retailer's own SKU for one of our products."""

    _name = "b2b.product.reference"
    _description = "Retailer Product Reference"
    _order = "connection_id, retailer_sku"
    _rec_name = "retailer_sku"

    connection_id = fields.Many2one(
        "b2b.connection", required=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        related="connection_id.partner_id", store=True, string="Retailer"
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, ondelete="cascade"
    )
    product_tmpl_id = fields.Many2one(
        related="product_id.product_tmpl_id", store=True, index=True
    )
    retailer_sku = fields.Char(string="Retailer SKU", required=True)
    retailer_name = fields.Char(string="Retailer Product Name")

    _sql_constraints = [
        (
            "retailer_sku_unique",
            "unique(connection_id, retailer_sku)",
            "A retailer SKU can name only one product per connection.",
        ),
    ]
