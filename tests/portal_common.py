import re
from urllib.parse import urlparse

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user

from odoo.addons.mail.tests.common import MockEmail

from .common import B2bCommon

CSRF_INPUT = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


class B2bPortalCommon(B2bCommon, HttpCase, MockEmail):
    """Two retailers, each with an administrator and a regular portal user, and
    each with an open request, an answered one, an order to ship, a shipped
    order with a tracked parcel and a posted invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Parcel Express",
                "product_id": cls.env["product.product"]
                .create({"name": "Parcel Express delivery", "type": "service"})
                .id,
                "delivery_type": "fixed",
                "tracking_url": "https://track.example.com/?parcel=<shipmenttrackingnumber>",
            }
        )
        # Retailer One (from B2bCommon): rita administrates, rachel works.
        cls.admin_a = cls.portal_user
        cls.admin_a.b2b_is_admin = True
        cls.user_a = cls._create_portal_user(cls.retailer, "Rachel Regular", "rachel")
        # Retailer Two: bob administrates, bella works.
        cls.retailer_b = cls.env["res.partner"].create(
            {
                "name": "Retailer Two",
                "is_company": True,
                "email": "orders@retailer-two.example",
            }
        )
        cls.connection_b = cls.env["b2b.connection"].create(
            {
                "name": "Retailer Two",
                "code": "retailer-two",
                "partner_id": cls.retailer_b.id,
                "state": "connected",
                "tz": "Europe/Paris",
            }
        )
        cls.env["b2b.product.reference"].create(
            {
                "connection_id": cls.connection_b.id,
                "product_id": cls.product_a.id,
                "retailer_sku": "R2-CHAIR",
            }
        )
        cls.admin_b = cls._create_portal_user(
            cls.retailer_b, "Bob Boss", "bob", admin=True
        )
        cls.user_b = cls._create_portal_user(cls.retailer_b, "Bella Buyer", "bella")
        cls.docs_a = cls._create_documents(cls.connection, "A")
        cls.docs_b = cls._create_documents(cls.connection_b, "B")

    @classmethod
    def _create_portal_user(cls, company, name, login, admin=False):
        contact = cls.env["res.partner"].create(
            {
                "name": name,
                "parent_id": company.id,
                "email": f"{login}@{company.id}.example",
            }
        )
        user = new_test_user(
            cls.env, login=login, groups="base.group_portal", partner_id=contact.id
        )
        user.b2b_is_admin = admin
        return user

    @classmethod
    def _create_documents(cls, connection, tag):
        """Requests and orders of ``connection`` in each state the portal shows."""
        open_request = cls._create_request(f"{tag}-OPEN", connection=connection)
        answered = cls._create_request(f"{tag}-ANSWERED", connection=connection)
        cls._answer_as_supplier(answered)
        order = cls._create_request(f"{tag}-ORDER", connection=connection)
        cls._answer_as_supplier(order)
        order.action_b2b_convert()
        shipped = cls._create_request(f"{tag}-SHIPPED", connection=connection)
        cls._answer_as_supplier(shipped)
        shipped.action_b2b_convert()
        cls._ship(shipped, f"TRK-{tag}-1")
        invoice = shipped._create_invoices()
        invoice.action_post()
        return {
            "open": open_request,
            "answered": answered,
            "order": order,
            "shipped": shipped,
            "invoice": invoice,
        }

    @classmethod
    def _answer_as_supplier(cls, order):
        for line in order.order_line:
            line.write({"b2b_qty_available": line.product_uom_qty})
        order.with_user(cls.b2b_user).action_b2b_answer()

    @classmethod
    def _ship(cls, order, tracking_ref):
        """The supplier confirms the shipment of everything left, with its parcels."""
        wizard = (
            cls.env["b2b.shipment.confirm"]
            .with_user(cls.b2b_user)
            .with_context(active_model="sale.order", active_id=order.id)
            .create({"carrier_id": cls.carrier.id, "tracking_ref": tracking_ref})
        )
        wizard.action_confirm()
        return order.picking_ids.filtered(lambda picking: picking.state == "done")

    # HTTP helpers -------------------------------------------------------------

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _get(self, url, **kwargs):
        return self.url_open(url, **kwargs)

    def _post(self, url, data=None, files=None, csrf_from=None):
        """POST a portal form with its CSRF token; ``csrf_from``: a page to take
        it from when the session was not opened by ``authenticate``."""
        if csrf_from:
            token = CSRF_INPUT.search(self.url_open(csrf_from).text).group(1)
        else:
            token = http.Request.csrf_token(self)
        return self.url_open(url, data=dict(data or {}, csrf_token=token), files=files)

    def _path(self, response):
        return urlparse(response.url).path

    def _mails_to(self, address):
        """Outgoing e-mails (mail.mail) created for ``address`` during the mock."""
        return self._new_mails.filtered(
            lambda mail: address in (mail.email_to or "")
            or address in mail.recipient_ids.mapped("email")
        )

    def _request_form(self, **values):
        data = {
            "reference": "WEB-1",
            "ship_to_name": "Carla Customer",
            "ship_to_street": "1 Rue de la Paix",
            "ship_to_city": "Paris",
            "ship_to_zip": "75002",
            "ship_to_country_code": "FR",
            "line_count": "3",
            "line_0_ref": "CHAIR-01",
            "line_0_qty": "2",
        }
        data.update(values)
        return data

    @staticmethod
    def _order_lines(products):
        return [
            Command.create({"product_id": p.id, "product_uom_qty": q})
            for p, q in products
        ]
