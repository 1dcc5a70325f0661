from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import B2bCommon
from .test_csv_import import csv_file


@tagged("post_install", "-at_install")
class TestFileDropBatch(B2bCommon):
    """Files stored and imported together, as the SFTP poll takes them."""

    def _import_together(self, *files):
        Drop = self.env["b2b.file.drop"]
        drops = Drop._b2b_store_many(
            self.connection, [(name, content, None) for name, content in files], "sftp"
        )
        drops._b2b_import(
            {
                drop.id: content
                for drop, (_name, content) in zip(drops, files, strict=True)
            }
        )
        return drops

    def _orders(self, reference):
        return self.env["sale.order"].search(
            [
                ("b2b_connection_id", "=", self.connection.id),
                ("client_order_ref", "=", reference),
            ]
        )

    def test_file_of_a_reference_refused_leaves_its_place_to_the_next_one(self):
        # a firm order Odoo refuses to confirm, then the retailer's corrected
        # request for the same reference, in one batch: the request goes in
        self.connection.instant_ordering = True
        Connection = type(self.connection)
        create = Connection._b2b_create_received

        def refuse_orders(connection, values_list):
            if any(values["b2b_state"] == "order" for values in values_list):
                raise UserError(self.env._("No rule to deliver it."))
            return create(connection, values_list)

        with patch.object(Connection, "_b2b_create_received", refuse_orders):
            first, second, third = self._import_together(
                ("X-1-order.csv", csv_file("X-1", kind="order")),
                ("X-1-request.csv", csv_file("X-1")),
                ("X-1-again.csv", csv_file("X-1", note="Ring once")),
            )
        order = self._orders("X-1")
        self.assertEqual(order.b2b_state, "request")
        self.assertRecordValues(
            first + second + third,
            [
                {"state": "error", "order_id": False},
                {"state": "imported", "order_id": order.id},
                {"state": "duplicate", "order_id": order.id},
            ],
        )
        self.assertIn("No rule to deliver it.", first.error_summary)

    def test_later_files_of_an_imported_reference_are_duplicates(self):
        first, second = self._import_together(
            ("Y-1.csv", csv_file("Y-1")),
            ("Y-1-bis.csv", csv_file("Y-1", note="Ring once")),
        )
        order = self._orders("Y-1")
        self.assertRecordValues(
            first + second,
            [
                {"state": "imported", "order_id": order.id},
                {"state": "duplicate", "order_id": order.id},
            ],
        )
        self.assertIn(order.name, second.error_summary)
