import base64
import csv
import io
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.b2b_dropship.tools import csv_drop

from .common import B2bCommon

HEADER = (
    "order_reference,type,ship_to_name,ship_to_street,ship_to_city,ship_to_zip,"
    "ship_to_country,ship_to_email,sku,retailer_sku,quantity,note"
)


def csv_file(
    reference="PO-1",
    kind="request",
    lines=None,
    header=HEADER,
    country="FR",
    note="Ring twice",
):
    """A CSV drop of one order: lines are (sku, retailer_sku, quantity)."""
    lines = lines or [("", "R1-CHAIR", "2"), ("TABLE-01", "", "1")]
    rows = [header]
    for sku, retailer_sku, quantity in lines:
        rows.append(
            f"{reference},{kind},Jane Customer,1 rue de Rivoli,Paris,75001,{country},"
            f"jane@customer.example,{sku},{retailer_sku},{quantity},{note}"
        )
    return ("\r\n".join(rows) + "\r\n").encode()


def error_rows(drop):
    content = base64.b64decode(drop.with_context(bin_size=False).error_file)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@tagged("post_install", "-at_install")
class TestCsvImport(B2bCommon):
    def _orders(self):
        return self.env["sale.order"].search(
            [("b2b_connection_id", "=", self.connection.id)]
        )

    def test_import_csv_creates_request_and_keeps_file(self):
        content = csv_file()
        drop = self.connection.import_csv("PO-1.csv", content, "upload")
        order = drop.order_id
        self.assertRecordValues(
            drop,
            [
                {
                    "name": "PO-1.csv",
                    "state": "imported",
                    "source": "upload",
                    "connection_id": self.connection.id,
                    "partner_id": self.retailer.id,
                    "error_count": 0,
                    "file_size": len(content),
                }
            ],
        )
        self.assertEqual(len(drop.checksum), 64)
        self.assertEqual(drop._b2b_content(), content)
        attachment = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "b2b.file.drop"),
                ("res_id", "=", drop.id),
                ("res_field", "=", "file"),
            ]
        )
        self.assertEqual(attachment.mimetype, "text/csv")
        self.assertFalse(drop.error_file)
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "request",
                    "client_order_ref": "PO-1",
                    "b2b_note": "Ring twice",
                    "state": "draft",
                }
            ],
        )
        self.assertEqual(order.order_line.product_id, self.product_a | self.product_b)
        self.assertEqual(sorted(order.order_line.mapped("product_uom_qty")), [1.0, 2.0])
        self.assertRecordValues(
            order.partner_shipping_id,
            [
                {
                    "name": "Jane Customer",
                    "city": "Paris",
                    "zip": "75001",
                    "parent_id": self.retailer.id,
                }
            ],
        )

    def test_empty_postcode_is_accepted_for_a_country_without_postcodes(self):
        content = csv_file("PO-HK", country="HK").replace(
            b",Paris,75001,", b",Kowloon,,"
        )
        drop = self.connection.import_csv("PO-HK.csv", content, "upload")
        self.assertEqual(drop.state, "imported", drop.error_summary)
        self.assertRecordValues(
            drop.order_id.partner_shipping_id,
            [{"country_id": self.env.ref("base.hk").id, "zip": False}],
        )
        content = csv_file("PO-FR").replace(b",Paris,75001,", b",Paris,,")
        drop = self.connection.import_csv("PO-FR.csv", content, "upload")
        self.assertEqual(drop.state, "error")
        self.assertEqual(
            [(row["column"], row["row"]) for row in error_rows(drop)],
            [("ship_to_zip", "2")],
        )

    def test_type_order_with_instant_ordering_confirms_order(self):
        self.connection.instant_ordering = True
        drop = self.connection.import_csv(
            "PO-2.csv", csv_file("PO-2", kind="order"), "upload"
        )
        self.assertEqual(drop.state, "imported")
        self.assertRecordValues(
            drop.order_id, [{"b2b_state": "order", "state": "sale"}]
        )

    def test_order_odoo_cannot_confirm_gets_an_error_file_and_the_others_go_in(self):
        # without a rule to deliver customers, confirming the order fails
        self.connection.instant_ordering = True
        self.env["stock.rule"].search(
            [("location_dest_id.usage", "=", "customer")]
        ).active = False
        Drop = self.env["b2b.file.drop"]
        files = [
            ("PO-30.csv", csv_file("PO-30", kind="order")),
            ("PO-31.csv", csv_file("PO-31")),
        ]
        drops = Drop._b2b_store_many(
            self.connection, [(name, content, None) for name, content in files], "sftp"
        )
        drops._b2b_import()
        self.assertEqual(drops.mapped("state"), ["error", "imported"])
        self.assertFalse(drops[0].order_id)
        self.assertEqual(self._orders().mapped("client_order_ref"), ["PO-31"])
        rows = error_rows(drops[0])
        self.assertEqual(len(rows), 1)
        self.assertIn("No rule has been found", rows[0]["message"])

    def test_type_order_without_instant_ordering_is_refused(self):
        drop = self.connection.import_csv(
            "PO-3.csv", csv_file("PO-3", kind="order"), "upload"
        )
        self.assertEqual(drop.state, "error")
        self.assertFalse(drop.order_id)
        self.assertFalse(self._orders())
        rows = error_rows(drop)
        self.assertEqual(len(rows), 1)
        self.assertIn("does not allow instant ordering", rows[0]["message"])

    def test_errors_of_receive_are_put_on_rows_and_columns(self):
        header = HEADER.replace("ship_to_country", "Ship To Country").replace(
            "sku,", "SKU,", 1
        )
        content = csv_file(
            "PO-4",
            header=header,
            country="XX",
            lines=[
                ("CHAIR-01", "", "1"),
                ("NOPE-99", "", "2"),
                ("", "R1-UNKNOWN", "1"),
            ],
        )
        drop = self.connection.import_csv("PO-4.csv", content, "sftp")
        self.assertEqual(drop.state, "error")
        self.assertFalse(self._orders(), "a file with any error creates nothing")
        self.assertEqual(drop.error_file_name, "PO-4.csv.errors.csv")
        self.assertEqual(
            [(row["row"], row["column"], row["value"]) for row in error_rows(drop)],
            [
                ("2", "Ship To Country", "XX"),
                ("3", "SKU", "NOPE-99"),
                ("4", "retailer_sku", "R1-UNKNOWN"),
            ],
        )
        self.assertEqual(drop.error_count, 3)
        self.assertIn("Unknown product NOPE-99", drop.error_summary)

    def test_parse_errors_give_error_file_and_create_nothing(self):
        content = b"order_reference,ship_to_name,quantity\r\nPO-5,Jane,abc\r\n"
        drop = self.connection.import_csv("PO-5.csv", content, "email")
        self.assertEqual(drop.state, "error")
        self.assertFalse(self._orders())
        columns = {row["column"] for row in error_rows(drop)}
        self.assertLessEqual(
            {"ship_to_street", "ship_to_city", "ship_to_country", "sku"}, columns
        )
        self.assertEqual(
            list(error_rows(drop)[0]), ["row", "column", "value", "message"]
        )

    def test_same_content_is_duplicate(self):
        content = csv_file("PO-6")
        first = self.connection.import_csv("PO-6.csv", content, "upload")
        second = self.connection.import_csv("PO-6 (1).csv", content, "sftp")
        self.assertRecordValues(
            second,
            [
                {
                    "state": "duplicate",
                    "duplicate_of_id": first.id,
                    "order_id": first.order_id.id,
                    "checksum": first.checksum,
                }
            ],
        )
        self.assertEqual(len(self._orders()), 1)
        self.assertIn("already received", error_rows(second)[0]["message"])

    def test_reference_already_received_is_duplicate(self):
        first = self.connection.import_csv("PO-7.csv", csv_file("PO-7"), "upload")
        other_content = csv_file("PO-7", lines=[("TABLE-01", "", "4")])
        second = self.connection.import_csv("PO-7-bis.csv", other_content, "upload")
        self.assertRecordValues(
            second,
            [
                {
                    "state": "duplicate",
                    "order_id": first.order_id.id,
                    "duplicate_of_id": False,
                }
            ],
        )
        self.assertEqual(len(self._orders()), 1)
        self.assertEqual(
            first.order_id.order_line.product_id, self.product_a | self.product_b
        )

    def test_reference_of_another_channel_is_duplicate(self):
        order = self._create_request("WEB-8")
        drop = self.connection.import_csv("WEB-8.csv", csv_file("WEB-8"), "api")
        self.assertRecordValues(drop, [{"state": "duplicate", "order_id": order.id}])

    def test_reference_with_inner_spaces_is_kept_as_the_webhook_keeps_it(self):
        """Two spaces inside a reference are no typo to fix: the same reference
        by webhook and by file is one order, whatever its spaces."""
        data = {
            "reference": " PO  9 ",
            "ship_to": {
                "name": "Jane Customer",
                "street": "1 rue de Rivoli",
                "city": "Paris",
                "zip": "75001",
                "country_code": "FR",
            },
            "lines": [{"sku": "TABLE-01", "quantity": 1}],
        }
        order = self.connection._b2b_receive("request", data)
        self.assertEqual(order.client_order_ref, "PO  9")
        drop = self.connection.import_csv("PO-9.csv", csv_file("PO  9"), "upload")
        self.assertRecordValues(drop, [{"state": "duplicate", "order_id": order.id}])
        self.assertEqual(self._orders(), order)

    def test_quantity_odoo_would_round_is_refused_on_its_row(self):
        content = csv_file(
            "PO-DEC",
            lines=[
                ("CHAIR-01", "", "0.001"),
                ("TABLE-01", "", "1.0050"),
                ("", "R1-CHAIR", '"2,25"'),
                ("TABLE-01", "", '"0,004"'),
            ],
        )
        drop = self.connection.import_csv("PO-DEC.csv", content, "upload")
        self.assertEqual(drop.state, "error")
        self.assertFalse(self._orders())
        self.assertEqual(
            [
                (row["row"], row["column"], row["value"], row["message"])
                for row in error_rows(drop)
            ],
            [
                (
                    "2",
                    "quantity",
                    "0.001",
                    "The quantity 0.001 has more decimals than we keep: give at "
                    "most 2 decimals.",
                ),
                (
                    "3",
                    "quantity",
                    "1.005",
                    "The quantity 1.005 has more decimals than we keep: give at "
                    "most 2 decimals.",
                ),
                (
                    "5",
                    "quantity",
                    "0.004",
                    "The quantity 0.004 has more decimals than we keep: give at "
                    "most 2 decimals.",
                ),
            ],
        )

    def test_sku_and_retailer_sku_of_two_products_are_refused_on_their_row(self):
        content = csv_file(
            "PO-TWO",
            lines=[("TABLE-01", "R1-CHAIR", "3"), ("CHAIR-01", "R1-CHAIR", "1")],
        )
        drop = self.connection.import_csv("PO-TWO.csv", content, "upload")
        self.assertEqual(drop.state, "error")
        self.assertFalse(self._orders())
        rows = error_rows(drop)
        self.assertEqual(
            [(row["row"], row["column"], row["value"]) for row in rows],
            [("2", "retailer_sku", "R1-CHAIR")],
        )
        self.assertIn(self.product_a.display_name, rows[0]["message"])
        self.assertIn(self.product_b.display_name, rows[0]["message"])

    def test_same_content_after_error_is_imported_once_fixed(self):
        content = csv_file("PO-9", lines=[("", "R1-TABLE", "1")])
        first = self.connection.import_csv("PO-9.csv", content, "upload")
        self.assertEqual(first.state, "error")
        self.env["b2b.product.reference"].create(
            {
                "connection_id": self.connection.id,
                "product_id": self.product_b.id,
                "retailer_sku": "R1-TABLE",
            }
        )
        second = self.connection.import_csv("PO-9.csv", content, "upload")
        self.assertEqual(second.state, "imported")
        self.assertEqual(second.order_id.order_line.product_id, self.product_b)
        # a third time, it is a duplicate of the imported one
        third = self.connection.import_csv("PO-9.csv", content, "upload")
        self.assertRecordValues(
            third, [{"state": "duplicate", "duplicate_of_id": second.id}]
        )

    def test_retry_imports_stored_file_after_fix(self):
        self.connection.state = "suspended"
        drop = self.connection.import_csv("PO-10.csv", csv_file("PO-10"), "upload")
        self.assertEqual(drop.state, "error")
        self.assertIn("Suspended", drop.error_summary)
        self.connection.state = "connected"
        drop.with_user(self.b2b_user).action_retry()
        self.assertEqual(drop.state, "imported")
        self.assertEqual(drop.order_id.client_order_ref, "PO-10")
        self.assertFalse(drop.error_file)

    def test_concurrent_same_content_is_caught_by_the_database(self):
        """Two imports of the same bytes at once: the second one, which could
        not see the first one's file yet, is stopped by the unique index."""
        content = csv_file("PO-11")
        first = self.connection.import_csv("PO-11.csv", content, "upload")
        Drop = type(self.env["b2b.file.drop"])
        calls = []

        def not_seen_first(drop_model, connection, digests):
            calls.append(digests)
            return {}

        with (
            patch.object(Drop, "_b2b_originals", not_seen_first),
            mute_logger("odoo.sql_db"),
        ):
            second = self.connection.import_csv("PO-11.csv", content, "upload")
        self.assertEqual(len(calls), 1)
        self.assertRecordValues(
            second, [{"state": "duplicate", "duplicate_of_id": first.id}]
        )
        self.assertEqual(len(self._orders()), 1)

    def test_batch_of_files_creates_each_order_once(self):
        """Files imported together (an SFTP poll) are checked one by one and
        their orders created together; a reference or content met twice in the
        batch is a duplicate, a file with errors creates nothing."""
        Drop = self.env["b2b.file.drop"]
        same = csv_file("B-2")
        drops = Drop._b2b_store_many(
            self.connection,
            [
                ("B-1.csv", csv_file("B-1"), None),
                ("B-2.csv", same, None),
                ("B-2 copy.csv", same, None),
                ("B-1 again.csv", csv_file("B-1", lines=[("TABLE-01", "", "9")]), None),
                ("B-3.csv", csv_file("B-3", lines=[("NOPE", "", "1")]), None),
                ("B-4.csv", csv_file("B-4", kind="order"), None),
            ],
            "sftp",
        )
        self.assertEqual(
            drops.mapped("state"), ["received"] * 2 + ["duplicate"] + ["received"] * 3
        )
        self.assertEqual(drops[2].duplicate_of_id, drops[1])
        drops._b2b_import()
        self.assertEqual(
            drops.mapped("state"),
            ["imported", "imported", "duplicate", "duplicate", "error", "error"],
        )
        self.assertIn("does not allow instant ordering", drops[5].error_summary)
        self.assertEqual(
            sorted(self._orders().mapped("client_order_ref")), ["B-1", "B-2"]
        )
        self.assertEqual(
            drops[0].order_id.order_line.product_id, self.product_a | self.product_b
        )
        self.assertEqual(drops[3].state, "duplicate")

    def test_orders_of_a_batch_are_those_of_the_one_by_one_entry_point(self):
        """What the batch sets once for all its orders (invoice address,
        warehouse, no analytic distribution) is what sale.order computes."""
        drop = self.connection.import_csv("EQ-1.csv", csv_file("EQ-1"), "upload")
        Drop = self.env["b2b.file.drop"]
        parsed = csv_drop.parse(csv_file("EQ-2"))
        single = self.connection._b2b_receive("request", Drop._b2b_receive_data(parsed))
        batch = drop.order_id
        for field in (
            "partner_id",
            "partner_invoice_id",
            "partner_shipping_id",
            "warehouse_id",
            "user_id",
            "pricelist_id",
            "fiscal_position_id",
            "company_id",
            "amount_total",
            "b2b_note",
        ):
            self.assertEqual(batch[field], single[field], field)
        for left, right in zip(batch.order_line, single.order_line, strict=True):
            for field in (
                "product_id",
                "product_uom_qty",
                "price_unit",
                "tax_id",
                "name",
            ):
                self.assertEqual(left[field], right[field], field)
            self.assertEqual(left.analytic_distribution, right.analytic_distribution)

    def test_invoice_address_is_the_one_sale_computes(self):
        retailer = self.connection.partner_id
        self.assertEqual(self.connection._b2b_invoice_address(), retailer.id)
        self.assertEqual(retailer.address_get(["invoice"])["invoice"], retailer.id)
        # a sub-company's invoice address is its own, not the retailer's
        branch = self.env["res.partner"].create(
            {"name": "Branch", "is_company": True, "parent_id": retailer.id}
        )
        self.env["res.partner"].create(
            {"name": "Branch Accounts", "parent_id": branch.id, "type": "invoice"}
        )
        self.assertEqual(retailer.address_get(["invoice"])["invoice"], retailer.id)
        self.assertEqual(self.connection._b2b_invoice_address(), retailer.id)
        accounts = self.env["res.partner"].create(
            {
                "name": "Accounts",
                "parent_id": self.retailer_contact.id,
                "type": "invoice",
            }
        )
        self.assertEqual(retailer.address_get(["invoice"])["invoice"], accounts.id)
        self.assertEqual(self.connection._b2b_invoice_address(), accounts.id)
        drop = self.connection.import_csv("INV-1.csv", csv_file("INV-1"), "upload")
        self.assertEqual(drop.order_id.partner_invoice_id, accounts)

    def test_state_name_is_read_as_its_code(self):
        header = HEADER + ",ship_to_state"
        content = b"\r\n".join(
            row + (b"" if index == 0 else b",California")
            for index, row in enumerate(csv_file("PO-12", country="US").splitlines())
        ).replace(HEADER.encode(), header.encode())
        drop = self.connection.import_csv("PO-12.csv", content, "upload")
        self.assertEqual(drop.state, "imported", drop.error_summary)
        self.assertEqual(
            drop.order_id.partner_shipping_id.state_id, self.env.ref("base.state_us_5")
        )

    def test_header_mapping_of_the_connection(self):
        self.connection.write(
            {
                "csv_mapping_ids": [
                    (0, 0, {"retailer_header": "Order #", "column": "order_reference"}),
                    (0, 0, {"retailer_header": "Item Code", "column": "sku"}),
                    (0, 0, {"retailer_header": "Qty", "column": "quantity"}),
                    (0, 0, {"retailer_header": "Recipient", "column": "ship_to_name"}),
                    # a canonical name the retailer uses for something else
                    (0, 0, {"retailer_header": "note", "column": "ignore"}),
                ]
            }
        )
        content = (
            "Order #;Recipient;ship_to_street;ship_to_city;ship_to_zip;ship_to_country;"
            "ITEM CODE;qty;note\n"
            "SH-1;Jane Customer;1 rue de Rivoli;Paris;75001;FR;CHAIR-01;3;"
            "internal remark\n"
        ).encode("cp1252")
        drop = self.connection.import_csv("shop.csv", content, "upload")
        self.assertEqual(drop.state, "imported", drop.error_summary)
        self.assertRecordValues(
            drop.order_id, [{"client_order_ref": "SH-1", "b2b_note": False}]
        )
        self.assertEqual(drop.order_id.order_line.product_uom_qty, 3.0)
        # an error names the retailer's header
        bad = content.replace(b"CHAIR-01", b"NOPE").replace(b"SH-1", b"SH-2")
        drop = self.connection.import_csv("shop2.csv", bad, "upload")
        self.assertEqual(
            [(row["row"], row["column"]) for row in error_rows(drop)],
            [("2", "ITEM CODE")],
        )

    def test_mapping_of_one_header_to_two_columns_is_refused(self):
        with self.assertRaises(ValidationError):
            self.connection.write(
                {
                    "csv_mapping_ids": [
                        (0, 0, {"retailer_header": "Qty", "column": "quantity"}),
                        (0, 0, {"retailer_header": " qty ", "column": "sku"}),
                    ]
                }
            )
        # the very same header, once to read and once to ignore
        with self.assertRaises(ValidationError):
            self.connection.write(
                {
                    "csv_mapping_ids": [
                        (0, 0, {"retailer_header": "Qty", "column": "quantity"}),
                        (0, 0, {"retailer_header": "Qty", "column": "ignore"}),
                    ]
                }
            )

    def test_upload_wizard_imports_through_the_pipeline(self):
        Wizard = self.env["b2b.csv.upload"].with_user(self.b2b_user)
        defaults = Wizard.with_context(
            active_model="b2b.connection", active_id=self.connection.id
        ).default_get(["connection_id"])
        self.assertEqual(defaults["connection_id"], self.connection.id)
        wizard = Wizard.create(
            dict(defaults, file=base64.b64encode(csv_file("UP-1")), filename="UP-1.csv")
        )
        wizard.action_import()
        self.assertRecordValues(
            wizard.drop_id,
            [{"state": "imported", "source": "upload", "name": "UP-1.csv"}],
        )
        self.assertEqual(wizard.drop_order_id.client_order_ref, "UP-1")

    def test_portal_user_imports_for_own_retailer_only(self):
        connection = self.connection.with_user(self.portal_user)
        drop = connection.import_csv("P-1.csv", csv_file("P-1"), "api")
        self.assertEqual(drop.env.user, self.portal_user)
        self.assertEqual(drop.state, "imported")
        self.assertEqual(drop.create_uid, self.portal_user)
        other = self.env["res.partner"].create(
            {"name": "Other Retailer", "is_company": True}
        )
        other_connection = self.env["b2b.connection"].create(
            {
                "name": "Other",
                "code": "other-one",
                "partner_id": other.id,
                "state": "connected",
            }
        )
        other_drop = other_connection.import_csv("O-1.csv", csv_file("O-1"), "upload")
        with self.assertRaises(AccessError):
            other_connection.with_user(self.portal_user).import_csv(
                "O-2.csv", csv_file("O-2"), "api"
            )
        visible = self.env["b2b.file.drop"].with_user(self.portal_user).search([])
        self.assertEqual(visible, drop)
        with self.assertRaises(AccessError):
            other_drop.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            drop.with_user(self.portal_user).write({"state": "error"})

    def test_sftp_secrets_are_for_managers_only(self):
        self.connection.sudo().sftp_password = "s3cret"
        user = new_test_user(
            self.env, login="b2b_plain", groups="b2b_dropship.group_b2b_user"
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(user).read(["sftp_password"])
        self.assertEqual(
            self.connection.with_user(self.b2b_manager).read(["sftp_password"])[0][
                "sftp_password"
            ],
            "s3cret",
        )
