from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _handle_first_contact_creation(self):
        # Odoo gives a company without an address the address of its first
        # contact. A retailer's ship-to contacts are its customers' homes:
        # the retailer (and its invoices) must not move there.
        if self.env.context.get("b2b_ship_to"):
            return
        super()._handle_first_contact_creation()
