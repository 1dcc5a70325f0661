from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import B2bCommon


class DashboardTourCommon(B2bCommon, HttpCase):
    """A request and a late order that entered the widgets after they were set up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # B2B orders of the demo data would change the counts the tour reads
        cls.env.cr.execute(
            "UPDATE sale_order SET b2b_state = 'cancelled' "
            "WHERE b2b_connection_id IS NOT NULL"
        )
        cls.env.invalidate_all()
        now = fields.Datetime.now()
        cls._create_request(
            ref="TOUR-OLD", b2b_answer_deadline=now + timedelta(hours=5)
        )
        # the user opened the dashboard once: the default widgets and their snapshots
        cls.env["b2b.dashboard.widget"].with_user(cls.b2b_user).get_dashboard()
        cls._create_request(
            ref="TOUR-NEW", b2b_answer_deadline=now + timedelta(hours=6)
        )
        cls.late_order = cls._create_request(ref="TOUR-LATE", name="SO-TOUR-LATE")
        cls.late_order.write(
            {
                "b2b_state": "order",
                "b2b_ship_deadline": now - timedelta(hours=2),
                "b2b_slip_printed": True,
            }
        )


@tagged("post_install", "-at_install")
class TestDashboardTour(DashboardTourCommon):
    def test_dashboard_tour(self):
        self.start_tour("/odoo/b2b-dashboard", "b2b_dashboard_tour", login="b2b_user")
        Widget = self.env["b2b.dashboard.widget"].with_user(self.b2b_user)
        added = Widget.search([("name", "=", "Tour late orders")])
        self.assertEqual(len(added), 1)
        self.assertIn(
            "('b2b_urgency', '=', 'ship_late')", added.domain.replace('"', "'")
        )
        self.assertEqual(added.width, "100")
        self.assertEqual(Widget.get_unread_total(), 0)


@tagged("post_install", "-at_install")
class TestDashboardTourPhone(DashboardTourCommon):
    browser_size = "375x667"
    touch_enabled = True

    def test_dashboard_phone_tour(self):
        self.start_tour(
            "/odoo/b2b-dashboard", "b2b_dashboard_phone_tour", login="b2b_user"
        )
