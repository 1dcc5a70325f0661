from odoo.tests import tagged

from odoo.addons.b2b_dropship.exceptions import B2bInputError, B2bRefusedError

from .channels_common import SHIP_TO
from .common import B2bCommon


@tagged("post_install", "-at_install")
class TestReceive(B2bCommon):
    def _data(self, **values):
        return dict(
            {
                "reference": "WEB-1",
                "ship_to": SHIP_TO,
                "lines": [
                    {"retailer_sku": "R1-CHAIR", "quantity": 2},
                    {
                        "sku": "TABLE-01",
                        "quantity": 1,
                        "description": "Table for the terrace",
                    },
                ],
                "note": "Leave at the door",
            },
            **values,
        )

    def test_receive_request_creates_request_with_ship_to(self):
        order = self.connection._b2b_receive("request", self._data())
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "request",
                    "client_order_ref": "WEB-1",
                    "partner_id": self.retailer.id,
                    "b2b_note": "Leave at the door",
                }
            ],
        )
        self.assertTrue(order.b2b_answer_deadline)
        self.assertRecordValues(
            order.partner_shipping_id,
            [
                {
                    "name": "Jane Customer",
                    "parent_id": self.retailer.id,
                    "type": "delivery",
                    "zip": "75001",
                }
            ],
        )
        self.assertEqual(order.order_line.product_id, self.product_a | self.product_b)
        self.assertIn("Table for the terrace", order.order_line.mapped("name"))
        # The same address is reused for the next request.
        second = self.connection._b2b_receive("request", self._data(reference="WEB-2"))
        self.assertEqual(second.partner_shipping_id, order.partner_shipping_id)
        # Another phone for the same address: the carrier must get the new one.
        third = self.connection._b2b_receive(
            "request",
            self._data(reference="WEB-3", ship_to=dict(SHIP_TO, phone="+33 6 12")),
        )
        self.assertNotEqual(third.partner_shipping_id, order.partner_shipping_id)
        self.assertEqual(third.partner_shipping_id.phone, "+33 6 12")
        self.assertFalse(order.partner_shipping_id.phone)

    def test_new_ship_to_contacts_take_the_retailer_commercial_fields(self):
        """The contacts of a batch are created together; like any contact of
        the retailer they follow its commercial fields, the company-dependent
        ones in the connection's company."""
        pricelist = self.env["product.pricelist"].create({"name": "Retailers"})
        fiscal_position = self.env["account.fiscal.position"].create(
            {"name": "Retailer Export"}
        )
        industry = self.env["res.partner.industry"].create({"name": "Garden Retail"})
        self.retailer.write(
            {
                "industry_id": industry.id,
                "property_product_pricelist": pricelist.id,
                "property_account_position_id": fiscal_position.id,
            }
        )
        self.connection.lang = "en_US"
        values_list = [
            self.connection._b2b_receive_values(
                "request",
                self._data(
                    reference=f"BATCH-{index}",
                    ship_to=dict(SHIP_TO, name=f"Customer {index}"),
                ),
            )
            for index in range(2)
        ]
        orders = self.connection._b2b_create_received(values_list)
        contacts = orders.partner_shipping_id
        self.assertEqual(len(contacts), 2)
        self.assertRecordValues(
            contacts,
            [
                {
                    "parent_id": self.retailer.id,
                    "commercial_partner_id": self.retailer.id,
                    "industry_id": industry.id,
                    "lang": "en_US",
                    "property_product_pricelist": pricelist.id,
                    "property_account_position_id": fiscal_position.id,
                }
            ]
            * 2,
        )
        self.assertEqual(orders.fiscal_position_id, fiscal_position)

    def test_ship_to_contact_leaves_the_retailer_address_alone(self):
        """Odoo gives a company without an address the address of its first
        contact; the first customer a retailer ships to must not become its
        address, nor the invoice address of its requests."""
        retailer = self.env["res.partner"].create(
            {"name": "Bare Shop", "is_company": True, "email": "shop@bare.example"}
        )
        connection = self.env["b2b.connection"].create(
            {
                "name": "Bare Shop",
                "code": "bare-shop",
                "partner_id": retailer.id,
                "state": "connected",
            }
        )
        order = connection._b2b_receive(
            "request", self._data(lines=[{"sku": "CHAIR-01", "quantity": 1}])
        )
        self.assertEqual(order.partner_shipping_id.street, "1 rue de Rivoli")
        self.assertEqual(retailer.child_ids, order.partner_shipping_id)
        self.assertRecordValues(
            retailer,
            [{"street": False, "city": False, "zip": False, "country_id": False}],
        )
        self.assertEqual(order.partner_invoice_id, retailer)

    def test_product_choices_list_retailer_references_then_our_products(self):
        other_company = self.env["res.company"].create({"name": "Other Supplier"})
        self.env["product.product"].create(
            [
                {"name": "Not Sold", "default_code": "NOSALE-01", "sale_ok": False},
                {
                    "name": "Elsewhere",
                    "default_code": "OTHER-01",
                    "company_id": other_company.id,
                },
            ]
        )
        choices = self.connection._b2b_product_choices()
        self.assertEqual(choices[0], ("R1-CHAIR", self.product_a.display_name))
        codes = [code for code, _name in choices[1:]]
        self.assertIn("CHAIR-01", codes)
        self.assertIn("TABLE-01", codes)
        self.assertEqual(codes, sorted(codes))
        self.assertNotIn("NOSALE-01", codes)
        self.assertNotIn("OTHER-01", codes)

    def test_receive_lists_every_error(self):
        data = self._data(
            reference="",
            ship_to=dict(SHIP_TO, country_code="XX", zip=""),
            lines=[
                {"sku": "NOPE", "quantity": 1},
                {"retailer_sku": "R1-CHAIR", "quantity": 0},
            ],
        )
        with self.assertRaises(B2bInputError) as caught:
            self.connection._b2b_receive("request", data)
        paths = {error["path"] for error in caught.exception.errors}
        self.assertEqual(
            paths,
            {
                "reference",
                "ship_to.zip",
                "ship_to.country_code",
                "lines[0].sku",
                "lines[1].quantity",
            },
        )
        self.assertFalse(
            self.env["sale.order"].search(
                [("b2b_connection_id", "=", self.connection.id)]
            )
        )

    def test_postcode_is_required_only_where_the_country_has_postcodes(self):
        without_zip = dict(SHIP_TO, zip="")
        with self.assertRaises(B2bInputError) as caught:
            self.connection._b2b_receive(
                "request", self._data(reference="ZIP-FR", ship_to=without_zip)
            )
        self.assertEqual(
            [error["path"] for error in caught.exception.errors], ["ship_to.zip"]
        )
        hong_kong = self.env.ref("base.hk")
        self.assertFalse(hong_kong.zip_required)
        order = self.connection._b2b_receive(
            "request",
            self._data(
                reference="ZIP-HK",
                ship_to=dict(SHIP_TO, country_code="HK", city="Kowloon", zip=None),
            ),
        )
        self.assertRecordValues(
            order.partner_shipping_id,
            [{"country_id": hong_kong.id, "zip": False, "city": "Kowloon"}],
        )

    def test_state_code_is_matched_whatever_its_case_and_never_as_a_pattern(self):
        us_ship_to = dict(SHIP_TO, country_code="US", city="Austin", zip="78701")
        order = self.connection._b2b_receive(
            "request",
            self._data(reference="ST-1", ship_to=dict(us_ship_to, state_code="tx")),
        )
        self.assertEqual(
            order.partner_shipping_id.state_id, self.env.ref("base.state_us_44")
        )
        for reference, pattern in (("ST-2", "%"), ("ST-3", "T_")):
            with self.assertRaises(B2bInputError) as caught:
                self.connection._b2b_receive(
                    "request",
                    self._data(
                        reference=reference,
                        ship_to=dict(us_ship_to, state_code=pattern),
                    ),
                )
            self.assertEqual(
                [error["path"] for error in caught.exception.errors],
                ["ship_to.state_code"],
            )
        # a CSV file may give the state's name, in any case, never a pattern
        Drop = self.env["b2b.file.drop"]
        self.assertEqual(Drop._b2b_state_code("US", "texas"), "TX")
        self.assertEqual(Drop._b2b_state_code("US", "T%"), "T%")

    def test_another_companys_product_is_not_found_by_its_reference(self):
        other_company = self.env["res.company"].create({"name": "Other Supplier"})
        self.env["product.product"].create(
            {
                "name": "Their chair",
                "default_code": "THEIRS-01",
                "company_id": other_company.id,
            }
        )
        with self.assertRaises(B2bInputError) as caught:
            self.connection._b2b_receive(
                "request",
                self._data(
                    reference="CO-1", lines=[{"sku": "THEIRS-01", "quantity": 1}]
                ),
            )
        self.assertEqual(
            [error["path"] for error in caught.exception.errors], ["lines[0].sku"]
        )
        self.assertFalse(self.connection._find_product(sku="THEIRS-01"))

    def _errors(self, reference, lines):
        with self.assertRaises(B2bInputError) as caught:
            self.connection._b2b_receive(
                "request", self._data(reference=reference, lines=lines)
            )
        return [(error["path"], error["message"]) for error in caught.exception.errors]

    def test_quantity_odoo_would_round_is_refused_whatever_the_channel(self):
        """sale.order.line keeps the decimals of 'Product Unit of Measure' (2)
        and rounds the others away: 0.001 became a line of 0."""
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        self.assertEqual(digits, 2)
        for quantity in (0.001, 1.005, 2.499, 1.000001):
            errors = self._errors("DEC-1", [{"sku": "CHAIR-01", "quantity": quantity}])
            self.assertEqual(
                errors,
                [
                    (
                        "lines[0].quantity",
                        f"The quantity {quantity} has more decimals than we keep: "
                        "give at most 2 decimals.",
                    )
                ],
            )
        order = self.connection._b2b_receive(
            "request",
            self._data(
                reference="DEC-2",
                lines=[
                    {"sku": "CHAIR-01", "quantity": 2.25},
                    {"sku": "TABLE-01", "quantity": 0.29},
                    {"retailer_sku": "R1-CHAIR", "quantity": 999999.99},
                ],
            ),
        )
        self.assertEqual(
            order.order_line.mapped("product_uom_qty"), [2.25, 0.29, 999999.99]
        )

    def test_quantity_in_units_kept_whole_must_be_whole(self):
        self.env.ref("product.decimal_product_uom").digits = 0
        self.assertEqual(
            self._errors("DEC-3", [{"sku": "CHAIR-01", "quantity": 2.5}]),
            [
                (
                    "lines[0].quantity",
                    "The quantity 2.5 is not a whole number: give a whole number.",
                )
            ],
        )
        order = self.connection._b2b_receive(
            "request",
            self._data(reference="DEC-4", lines=[{"sku": "CHAIR-01", "quantity": 2.0}]),
        )
        self.assertEqual(order.order_line.product_uom_qty, 2.0)

    def test_sku_and_retailer_sku_of_two_products_are_refused(self):
        errors = self._errors(
            "TWO-1", [{"sku": "TABLE-01", "retailer_sku": "R1-CHAIR", "quantity": 3}]
        )
        self.assertEqual(
            errors,
            [
                (
                    "lines[0].retailer_sku",
                    f"The sku TABLE-01 is {self.product_b.display_name} but the "
                    f"retailer_sku R1-CHAIR is {self.product_a.display_name}: give "
                    "the references of one product, or only one of them.",
                )
            ],
        )
        order = self.connection._b2b_receive(
            "request",
            self._data(
                reference="TWO-2",
                lines=[
                    {"sku": "CHAIR-01", "retailer_sku": " R1-CHAIR ", "quantity": 3}
                ],
            ),
        )
        self.assertEqual(order.order_line.product_id, self.product_a)
        self.assertFalse(
            self.connection._find_product(sku="TABLE-01", retailer_sku="R1-CHAIR")
        )
        self.assertEqual(
            self.connection._find_product(sku="CHAIR-01", retailer_sku="R1-CHAIR"),
            self.product_a,
        )

    def test_sku_and_retailer_sku_must_both_be_known(self):
        errors = self._errors(
            "TWO-3",
            [
                {"sku": "TABLE-01", "retailer_sku": "R-NEW", "quantity": 1},
                {"sku": "NOPE", "retailer_sku": "R1-CHAIR", "quantity": 1},
                {"sku": "NOPE", "retailer_sku": "R-NEW", "quantity": 1},
            ],
        )
        self.assertEqual(
            errors,
            [
                (
                    "lines[0].retailer_sku",
                    "Unknown product R-NEW: correct the retailer_sku, or leave it "
                    "empty to order by the sku TABLE-01 alone.",
                ),
                (
                    "lines[1].sku",
                    "Unknown product NOPE: correct the sku, or leave it empty to "
                    "order by the retailer_sku R1-CHAIR alone.",
                ),
                ("lines[2].sku", "Unknown product NOPE."),
                ("lines[2].retailer_sku", "Unknown product R-NEW."),
            ],
        )
        self.assertFalse(
            self.connection._find_product(sku="TABLE-01", retailer_sku="R-NEW")
        )

    def test_receive_refuses_duplicate_reference(self):
        self.connection._b2b_receive("request", self._data())
        with self.assertRaisesRegex(B2bInputError, "already used"):
            self.connection._b2b_receive("request", self._data())

    def test_receive_order_needs_instant_ordering(self):
        with self.assertRaises(B2bRefusedError):
            self.connection._b2b_receive("order", self._data())
        self.connection.instant_ordering = True
        order = self.connection._b2b_receive("order", self._data())
        self.assertRecordValues(order, [{"b2b_state": "order", "state": "sale"}])
        self.assertTrue(order.b2b_ship_deadline)

    def test_receive_refused_when_not_connected(self):
        self.connection.state = "pending"
        with self.assertRaisesRegex(B2bRefusedError, "Pending"):
            self.connection._b2b_receive("request", self._data())
