from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class B2bCommon(TransactionCase):
    """A supplier in Paris, a connected retailer with a portal user, products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Paris"
        cls.company.email = "supplier@example.com"
        cls.b2b_user = new_test_user(
            cls.env,
            login="b2b_user",
            groups="b2b_dropship.group_b2b_user",
            email="b2b.user@example.com",
            tz="Europe/Paris",
        )
        cls.b2b_manager = new_test_user(
            cls.env,
            login="b2b_manager",
            groups="b2b_dropship.group_b2b_manager",
            email="b2b.manager@example.com",
        )
        cls.retailer = cls.env["res.partner"].create(
            {
                "name": "Retailer One",
                "is_company": True,
                "email": "orders@retailer-one.example",
            }
        )
        cls.retailer_contact = cls.env["res.partner"].create(
            {
                "name": "Rita Retailer",
                "parent_id": cls.retailer.id,
                "email": "rita@retailer-one.example",
            }
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="rita",
            groups="base.group_portal",
            partner_id=cls.retailer_contact.id,
        )
        cls.connection = cls.env["b2b.connection"].create(
            {
                "name": "Retailer One",
                "code": "retailer-one",
                "partner_id": cls.retailer.id,
                "state": "connected",
                "tz": "Europe/Paris",
                "answer_delay_hours": 24,
                "ship_delay_hours": 48,
            }
        )
        cls.stock_location = cls.env.ref("stock.stock_location_stock")
        cls.product_a = cls._create_product("Garden Chair", "CHAIR-01", 40.0, 100)
        cls.product_b = cls._create_product("Garden Table", "TABLE-01", 150.0, 10)
        cls.env["b2b.product.reference"].create(
            {
                "connection_id": cls.connection.id,
                "product_id": cls.product_a.id,
                "retailer_sku": "R1-CHAIR",
            }
        )

    @classmethod
    def _create_product(cls, name, code, price, qty):
        product = cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "list_price": price,
                "is_storable": True,
                "taxes_id": [Command.clear()],
            }
        )
        if qty:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.stock_location, qty
            )
        return product

    @classmethod
    def _create_request(cls, ref="REQ-1", lines=None, connection=None, **values):
        connection = connection or cls.connection
        lines = lines or [(cls.product_a, 5), (cls.product_b, 2)]
        return cls.env["sale.order"].create(
            dict(
                {
                    "b2b_connection_id": connection.id,
                    "b2b_state": "request",
                    "client_order_ref": ref,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": qty}
                        )
                        for product, qty in lines
                    ],
                },
                **values,
            )
        )

    def _answer(self, order, answers, **order_values):
        """answers: {product: dict of line answer fields}"""
        for line in order.order_line:
            if line.product_id in answers:
                line.write(answers[line.product_id])
        if order_values:
            order.write(order_values)
        return order.with_user(self.b2b_user).action_b2b_answer()

    def _answer_with_backorder(self, order, available=3, when=date(2026, 3, 20)):
        """The supplier's answer: ``available`` chairs now, 2 more back-ordered
        for ``when``, no table."""
        return self._answer(
            order,
            {
                self.product_a: {
                    "b2b_qty_available": available,
                    "b2b_backorder": True,
                    "b2b_backorder_qty": 2,
                    "b2b_backorder_date": when,
                },
                self.product_b: {"b2b_qty_available": 0},
            },
        )

    def _messages_to(self, order, partner):
        return order.message_ids.filtered(lambda m: partner in m.partner_ids)
