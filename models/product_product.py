from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    b2b_reference_ids = fields.One2many(
        "b2b.product.reference", "product_id", string="Retailer References"
    )
