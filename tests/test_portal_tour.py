from odoo.tests import HttpCase, tagged

from .common import B2bCommon


@tagged("post_install", "-at_install")
class TestPortalTour(B2bCommon, HttpCase):
    """The dropship story in a real browser, as the retailer (portal) and the
    supplier (backend) take turns."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user.b2b_is_admin = True
        cls.env["delivery.carrier"].create(
            {
                "name": "Tour Parcels",
                "product_id": cls.env["product.product"]
                .create({"name": "Tour Parcels delivery", "type": "service"})
                .id,
                "delivery_type": "fixed",
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )

    def test_dropship_story_in_the_browser(self):
        self.start_tour("/my/b2b", "b2b_portal_request_tour", login="rita")
        order = self.env["sale.order"].search([("client_order_ref", "=", "TOUR-REQ-1")])
        self.assertRecordValues(
            order,
            [
                {
                    "b2b_state": "request",
                    "b2b_connection_id": self.connection.id,
                    "b2b_note": "Gift wrap, please",
                }
            ],
        )
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in order.order_line],
            [(self.product_a, 3), (self.product_b, 1)],
        )
        self.assertEqual(order.partner_shipping_id.name, "Carla Customer")

        self.start_tour(
            f"/odoo/action-b2b_dropship.sale_order_action_b2b_requests/{order.id}",
            "b2b_portal_answer_tour",
            login="b2b_user",
        )
        self.assertEqual(order.b2b_state, "answered")
        self.assertEqual(order.order_line.mapped("b2b_qty_available"), [3, 1])
        self.assertEqual(
            order.b2b_answer_message, "Everything is in stock, it ships tomorrow."
        )

        self.start_tour(
            "/my/b2b/requests?filterby=answered", "b2b_portal_order_tour", login="rita"
        )
        self.assertEqual(order.b2b_state, "order")

        self.start_tour(
            f"/odoo/action-b2b_dropship.sale_order_action_b2b_orders/{order.id}",
            "b2b_portal_ship_tour",
            login="b2b_user",
        )
        self.assertEqual(order.b2b_state, "shipped")
        self.assertEqual(
            order.picking_ids.filtered(
                lambda p: p.state == "done"
            ).carrier_tracking_ref,
            "TOUR-TRACK-1,TOUR-TRACK-2",
        )

        self.start_tour(
            "/my/b2b/orders?filterby=shipped", "b2b_portal_tracking_tour", login="rita"
        )


@tagged("post_install", "-at_install")
class TestPortalTourPhone(B2bCommon, HttpCase):
    """The portal on a phone-sized screen."""

    browser_size = "375x667"
    touch_enabled = True

    def test_order_an_answered_request_on_a_phone(self):
        request = self._create_request("PHONE-REQ", lines=[(self.product_a, 2)])
        self._answer(request, {self.product_a: {"b2b_qty_available": 2}})
        self.start_tour("/my/b2b", "b2b_portal_phone_tour", login="rita")
        self.assertEqual(request.b2b_state, "order")
