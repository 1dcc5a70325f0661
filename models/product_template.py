from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    b2b_reference_ids = fields.One2many(
        "b2b.product.reference", "product_tmpl_id", string="Retailer References"
    )
