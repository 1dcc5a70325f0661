from odoo.tests import HttpCase, tagged

from .shipping_common import B2bShippingCommon


@tagged("post_install", "-at_install")
class TestShipmentTour(B2bShippingCommon, HttpCase):
    def test_shipment_tour(self):
        self.carrier_plain.name = "Tour Express"
        order = self._create_order(ref="TOUR-SHIP", lines=[(self.product_a, 5)])
        self.start_tour(
            f"/odoo/action-b2b_dropship.sale_order_action_b2b_orders/{order.id}",
            "b2b_shipment_tour",
            login="b2b_user",
        )
        pickings = order.picking_ids.sorted("id")
        self.assertRecordValues(
            pickings,
            [
                {
                    "state": "done",
                    "carrier_tracking_ref": "TOUR-PARCEL-1",
                    "b2b_shipment_number": 1,
                },
                {
                    "state": "done",
                    "carrier_tracking_ref": "TOUR-PARCEL-2",
                    "b2b_shipment_number": 2,
                },
            ],
        )
        self.assertEqual(pickings[0].move_ids.quantity, 3)
        self.assertEqual(pickings[0].b2b_recipient_message, "Enjoy!")
        self.assertEqual(order.b2b_state, "shipped")
