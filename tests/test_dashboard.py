from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import B2bCommon

NOW = datetime(2026, 3, 10, 10, 0)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

W_LATER = "Requests — waiting for answer, more than 1 h left"
W_SOON = "Requests — waiting for answer, less than 1 h left"
W_EXPIRED = "Requests — expired"
W_ANSWERED = "Requests — answered recently"
W_TO_SHIP = "Orders — to be shipped"
W_LATE = "Orders — delayed shipping"
W_SHIPPED = "Orders — shipped in the last 14 days"
DEFAULT_NAMES = [W_LATER, W_SOON, W_EXPIRED, W_ANSWERED, W_TO_SHIP, W_LATE, W_SHIPPED]


@tagged("post_install", "-at_install")
class TestDashboard(B2bCommon):
    """Records on both sides of every boundary of the default widgets, at NOW."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # B2B orders a database may already hold (demo data) must not blur the counts.
        cls.env.cr.execute(
            "UPDATE sale_order SET b2b_state = 'cancelled' "
            "WHERE b2b_connection_id IS NOT NULL"
        )
        cls.env.invalidate_all()
        cls.Widget = cls.env["b2b.dashboard.widget"]
        cls.other_user = new_test_user(
            cls.env,
            login="b2b_other",
            groups="b2b_dropship.group_b2b_user",
            email="b2b.other@example.com",
        )
        with freeze_time(NOW):
            cls.req_61 = cls._order(
                "REQ-61", "request", b2b_answer_deadline=NOW + 61 * MINUTE
            )
            cls.req_59 = cls._order(
                "REQ-59", "request", b2b_answer_deadline=NOW + 59 * MINUTE
            )
            cls.req_overdue = cls._order(
                "REQ-OVERDUE", "request", b2b_answer_deadline=NOW - MINUTE
            )
            cls.expired = cls._order(
                "EXPIRED", "expired", b2b_answer_deadline=NOW - 2 * DAY
            )
            cls.answered_13 = cls._order(
                "ANSWERED-13", "answered", b2b_answered_at=NOW - 13 * DAY
            )
            cls.answered_15 = cls._order(
                "ANSWERED-15", "answered", b2b_answered_at=NOW - 15 * DAY
            )
            cls.order_on_time = cls._order(
                "ORDER-ON-TIME", "order", b2b_ship_deadline=NOW + 1 * MINUTE
            )
            cls.order_late = cls._order(
                "ORDER-LATE", "order", b2b_ship_deadline=NOW - MINUTE
            )
            cls.shipped_13 = cls._order(
                "SHIPPED-13", "shipped", b2b_shipped_at=NOW - 13 * DAY
            )
            cls.shipped_15 = cls._order(
                "SHIPPED-15", "shipped", b2b_shipped_at=NOW - 15 * DAY
            )
            cls.declined = cls._order("DECLINED", "declined")
            cls.cancelled = cls._order("CANCELLED", "cancelled")

    @classmethod
    def _order(cls, ref, state, **values):
        order = cls._create_request(ref=ref, lines=[(cls.product_a, 1)])
        order.write(dict(values, b2b_state=state))
        return order

    def _dashboard(self, user=None):
        widgets = self.Widget.with_user(user or self.b2b_user).get_dashboard()
        return {widget["name"]: widget for widget in widgets}

    def _ids(self, widget):
        return {record["id"] for record in widget["records"]}

    def _widget(self, name, user=None):
        return self.Widget.with_user(user or self.b2b_user).search(
            [("name", "=", name)]
        )

    # Default widgets -------------------------------------------------------

    def test_default_widgets_count_exactly_what_their_names_say(self):
        with freeze_time(NOW):
            widgets = self.Widget.with_user(self.b2b_user).get_dashboard()
        self.assertEqual([widget["name"] for widget in widgets], DEFAULT_NAMES)
        expected = {
            W_LATER: self.req_61,
            W_SOON: self.req_59,
            W_EXPIRED: self.expired,
            W_ANSWERED: self.answered_13,
            W_TO_SHIP: self.order_on_time | self.order_late,
            W_LATE: self.order_late,
            W_SHIPPED: self.shipped_13,
        }
        for widget in widgets:
            with self.subTest(widget=widget["name"]):
                orders = expected[widget["name"]]
                self.assertEqual(widget["total"], len(orders))
                self.assertEqual(self._ids(widget), set(orders.ids))
        alerts = {widget["name"] for widget in widgets if widget["alert_dashboard"]}
        self.assertEqual(alerts, {W_LATER, W_SOON, W_EXPIRED, W_TO_SHIP, W_LATE})

    def test_relative_widgets_follow_the_clock(self):
        # Two minutes later the 61-minute request has less than an hour left
        # and the order that had one minute left is late.
        with freeze_time(NOW):
            self._dashboard()
        with freeze_time(NOW + 2 * MINUTE):
            dashboard = self._dashboard()
        self.assertEqual(dashboard[W_LATER]["total"], 0)
        self.assertEqual(self._ids(dashboard[W_SOON]), {self.req_61.id, self.req_59.id})
        self.assertEqual(
            self._ids(dashboard[W_LATE]), {self.order_late.id, self.order_on_time.id}
        )
        # a day later, answered 13 days ago has become 14 days and a bit
        with freeze_time(NOW + DAY + MINUTE):
            dashboard = self._dashboard()
        self.assertEqual(dashboard[W_ANSWERED]["total"], 0)
        self.assertEqual(dashboard[W_SHIPPED]["total"], 0)

    def test_records_carry_the_chosen_columns_in_the_widget_order(self):
        self.order_late.partner_shipping_id.write(
            {"city": "Lyon", "country_id": self.env.ref("base.fr").id}
        )
        with freeze_time(NOW):
            dashboard = self._dashboard()
        widget = dashboard[W_TO_SHIP]
        self.assertEqual(
            [column["code"] for column in widget["columns"]],
            ["reference", "retailer", "city", "country", "remaining_time"],
        )
        # ship deadline, soonest first: the late order, then the other one
        self.assertEqual(
            [record["id"] for record in widget["records"]],
            [self.order_late.id, self.order_on_time.id],
        )
        late = widget["records"][0]
        self.assertEqual(late["columns"]["reference"], self.order_late.name)
        self.assertEqual(late["columns"]["retailer"], "Retailer One")
        self.assertEqual(late["columns"]["city"], "Lyon")
        self.assertEqual(late["columns"]["country"], "France")
        self.assertEqual(late["columns"]["remaining_time"], "late by 1 min")
        self.assertEqual(late["deadline"], "2026-03-10 09:59:00")
        self.assertEqual(late["res_model"], "sale.order")
        request = dashboard[W_LATER]["records"][0]
        self.assertEqual(request["columns"]["retailer_reference"], "REQ-61")
        self.assertNotIn("amount", request["columns"], "only the chosen columns")
        answered = dashboard[W_ANSWERED]["records"][0]
        self.assertIn("40.00", answered["columns"]["amount"])
        self.assertEqual(answered["columns"]["state"], "Answered")
        # print-all is offered on the widgets of orders to ship only
        printable = {
            name for name, widget in dashboard.items() if widget["can_print_all"]
        }
        if hasattr(self.env["sale.order"], "action_b2b_print_unprinted_slips"):
            self.assertEqual(printable, {W_TO_SHIP, W_LATE})
        else:
            self.assertEqual(printable, set())

    def test_row_count_limits_the_records_not_the_total(self):
        with freeze_time(NOW):
            self._dashboard()
            widget = self._widget(W_TO_SHIP)
            widget.row_count = 1
            dashboard = self._dashboard()
        self.assertEqual(dashboard[W_TO_SHIP]["total"], 2)
        self.assertEqual(self._ids(dashboard[W_TO_SHIP]), {self.order_late.id})

    # Unread counters -------------------------------------------------------

    def test_unread_counter_rises_when_a_record_enters_and_falls_on_reset(self):
        with freeze_time(NOW):
            dashboard = self._dashboard()
            self.assertEqual({w["unread"] for w in dashboard.values()}, {0})
            new_request = self._order(
                "REQ-NEW", "request", b2b_answer_deadline=NOW + 5 * timedelta(hours=1)
            )
            dashboard = self._dashboard()
            self.assertEqual(dashboard[W_LATER]["unread"], 1)
            self.assertEqual(dashboard[W_LATER]["total"], 2)
            self.assertIn(new_request.id, self._ids(dashboard[W_LATER]))
            self.assertEqual(dashboard[W_SOON]["unread"], 0)
        # by the passage of time only, REQ-61 enters "less than 1 h left"
        with freeze_time(NOW + 2 * MINUTE):
            dashboard = self._dashboard()
            self.assertEqual(dashboard[W_SOON]["unread"], 1)
            self._widget(W_SOON).action_reset_counter()
            dashboard = self._dashboard()
            self.assertEqual(dashboard[W_SOON]["unread"], 0)
            self.assertEqual(dashboard[W_SOON]["total"], 2)
            self.assertEqual(
                dashboard[W_LATER]["unread"], 1, "other widgets keep their count"
            )
            # a record that leaves does not make the counter negative
            new_request.b2b_state = "answered"
            dashboard = self._dashboard()
            self.assertEqual(dashboard[W_LATER]["unread"], 0)

    def test_widgets_without_dashboard_alert_count_nothing_unread(self):
        with freeze_time(NOW):
            self._dashboard()
            self._order("SHIPPED-NOW", "shipped", b2b_shipped_at=NOW)
            dashboard = self._dashboard()
        self.assertEqual(dashboard[W_SHIPPED]["total"], 2)
        self.assertEqual(dashboard[W_SHIPPED]["unread"], 0)

    def test_all_alerts_are_read(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            self._dashboard()
            self._order(
                "REQ-NEW", "request", b2b_answer_deadline=NOW + 3 * timedelta(hours=1)
            )
            self._order("ORDER-NEW", "order", b2b_ship_deadline=NOW - MINUTE)
            self.assertEqual(Widget.get_unread_total(), 3)  # later, to ship, late
            dashboard = self._dashboard()
            self.assertEqual(dashboard[W_TO_SHIP]["unread"], 1)
            self.assertEqual(dashboard[W_LATE]["unread"], 1)
            Widget.action_mark_all_read()
            self.assertEqual(Widget.get_unread_total(), 0)
            dashboard = self._dashboard()
        self.assertEqual({w["unread"] for w in dashboard.values()}, {0})
        self.assertEqual(dashboard[W_TO_SHIP]["total"], 3)

    def test_reset_counter_of_another_user_widget_is_refused(self):
        with freeze_time(NOW):
            self._dashboard()
            widget = self._widget(W_LATER)
            with self.assertRaises(AccessError):
                widget.with_user(self.other_user).action_reset_counter()

    # Reset to default and ownership -----------------------------------------

    def test_reset_to_default_replaces_the_user_widgets(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            self._dashboard()
            self._widget(W_LATER).unlink()
            self._widget(W_SOON).write({"name": "Hurry", "width": "100"})
            Widget.create(
                {"name": "Mine", "domain": "[('b2b_state', '=', 'declined')]"}
            )
            self.assertIn("Mine", self._dashboard())
            Widget.action_reset_to_default()
            widgets = Widget.get_dashboard()
        self.assertEqual([widget["name"] for widget in widgets], DEFAULT_NAMES)
        self.assertEqual(widgets[1]["width"], "33")
        self.assertEqual(len(Widget.search([])), 7)

    def test_a_user_who_removed_every_widget_keeps_an_empty_dashboard(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            self._dashboard()
            Widget.search([]).unlink()
            self.assertEqual(Widget.get_dashboard(), [])
            Widget.action_reset_to_default()
            self.assertEqual(len(Widget.get_dashboard()), 7)

    def test_widgets_of_a_user_are_invisible_to_another(self):
        with freeze_time(NOW):
            self._dashboard(self.b2b_user)
            self._widget(W_LATER).name = "Only mine"
            other_dashboard = self._dashboard(self.other_user)
        self.assertNotIn("Only mine", other_dashboard)
        mine = self.Widget.search([("user_id", "=", self.b2b_user.id)])
        theirs = self.Widget.search([("user_id", "=", self.other_user.id)])
        self.assertEqual(len(mine), 7)
        self.assertEqual(len(theirs), 7)
        self.assertEqual(
            self.Widget.with_user(self.other_user).search([]),
            theirs.with_user(self.other_user),
        )
        self.assertFalse(
            self.Widget.with_user(self.other_user).search([("id", "in", mine.ids)])
        )
        with self.assertRaises(AccessError):
            mine[0].with_user(self.other_user).read(["name"])
        with self.assertRaises(AccessError):
            mine[0].with_user(self.other_user).write({"name": "Taken"})
        with self.assertRaises(AccessError):
            mine[0].with_user(self.other_user).unlink()
        with self.assertRaises(AccessError):
            self.Widget.with_user(self.other_user).create(
                {"name": "For someone else", "user_id": self.b2b_user.id}
            )

    def test_a_user_outside_b2b_has_no_dashboard(self):
        salesman = new_test_user(
            self.env, login="plain_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.Widget.with_user(salesman).get_dashboard()

    # Add to dashboard from a search -----------------------------------------

    def test_add_to_dashboard_from_a_search_keeps_relative_filters_relative(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            self._dashboard()
            domain = (
                "['&', '|', ('b2b_state', 'in', ['order', 'shipped']), '&', "
                "('b2b_state', '=', 'cancelled'), ('b2b_ship_deadline', '!=', False), "
                "('b2b_urgency', '=', 'ship_late')]"
            )
            action = Widget.action_create_from_search(
                "Late orders", "sale.order", domain
            )
            self.assertEqual(action["res_model"], "b2b.dashboard.widget")
            self.assertEqual(action["target"], "new")
            view_id = action["views"][0][0]
            form = Form(Widget.with_context(**action["context"]), view=view_id)
            self.assertEqual(form.name, "Late orders")
            self.assertTrue(form.print_all)
            form.width = "100"
            form.alert_email = True
            widget = form.save()
            self.assertEqual(widget.domain, domain)
            self.assertEqual(widget.user_id, self.b2b_user)
            self.assertEqual(
                widget.column_ids.mapped("code"),
                ["reference", "retailer", "city", "country", "remaining_time"],
            )
            self.assertEqual(widget.sort_order, "ship_deadline_asc")
            dashboard = self._dashboard()
            # appended after the default widgets
            self.assertEqual(list(dashboard)[-1], "Late orders")
            self.assertEqual(self._ids(dashboard["Late orders"]), {self.order_late.id})
            self.assertEqual(dashboard["Late orders"]["unread"], 0)
        # a month later the same widget still means "late now"
        with freeze_time(NOW + 30 * DAY):
            self.order_late.b2b_state = "shipped"
            dashboard = self._dashboard()
            self.assertEqual(
                self._ids(dashboard["Late orders"]), {self.order_on_time.id}
            )
            self.assertEqual(dashboard["Late orders"]["unread"], 1)

    def test_add_to_dashboard_refuses_a_broken_search(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with self.assertRaises(UserError):
            Widget.action_create_from_search(
                "Oops", "sale.order", "[('no_such_field', '=', 1)]"
            )
        with self.assertRaises(UserError):
            Widget.action_create_from_search("Oops", "res.partner", "[]")

    def test_place_after_puts_the_widget_where_asked(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            self._dashboard()
            widget = Widget.create(
                {
                    "name": "Second",
                    "domain": "[('b2b_state', '=', 'declined')]",
                    "place_after_id": self._widget(W_LATER).id,
                }
            )
            names = [w["name"] for w in Widget.get_dashboard()]
            self.assertEqual(names[:3], [W_LATER, "Second", W_SOON])
            widget.place_after_id = False
            names = [w["name"] for w in Widget.get_dashboard()]
            self.assertEqual(names[0], "Second")

    # E-mail digest ----------------------------------------------------------

    def _digests(self, user):
        return self.env["mail.mail"].search(
            [("model", "=", "res.users"), ("res_id", "=", user.id)], order="id"
        )

    def test_digest_sends_each_new_record_once(self):
        cron = self.env.ref("b2b_dropship.cron_dashboard_alert_mail")
        self.assertEqual(cron.code.strip(), "model._cron_send_alert_digest()")
        with freeze_time(NOW):
            self._dashboard()  # default widgets, e-mail alerts on
            self.Widget._cron_send_alert_digest()
            self.assertFalse(self._digests(self.b2b_user), "nothing entered yet")
            new_request = self._order(
                "REQ-MAIL", "request", b2b_answer_deadline=NOW + 5 * timedelta(hours=1)
            )
            cron.method_direct_trigger()
            digests = self._digests(self.b2b_user)
            self.assertEqual(len(digests), 1)
            self.assertIn(new_request.name, str(digests.body_html))
            self.assertIn(W_LATER, str(digests.body_html))
            self.assertIn(self.b2b_user.partner_id, digests.recipient_ids)
            cron.method_direct_trigger()
            self.assertEqual(
                len(self._digests(self.b2b_user)), 1, "nothing new: no e-mail"
            )
        with freeze_time(NOW + 2 * MINUTE):
            # REQ-61 entered "less than 1 h left"; REQ-MAIL is not reported again
            cron.method_direct_trigger()
            digests = self._digests(self.b2b_user)
            self.assertEqual(len(digests), 2)
            body = str(digests[-1].body_html)
            self.assertIn(self.req_61.name, body)
            self.assertIn(W_SOON, body)
            self.assertNotIn(new_request.name, body)
            # a record that leaves and comes back is not reported twice
            self.req_61.b2b_state = "answered"
            cron.method_direct_trigger()
            self.req_61.b2b_state = "request"
            cron.method_direct_trigger()
            self.assertEqual(len(self._digests(self.b2b_user)), 2)

    def test_digest_skips_widgets_without_email_alert(self):
        with freeze_time(NOW):
            self._dashboard()
            self.Widget.with_user(self.b2b_user).search([]).write(
                {"alert_email": False}
            )
            self._order(
                "REQ-QUIET", "request", b2b_answer_deadline=NOW + 5 * timedelta(hours=1)
            )
            self.Widget._cron_send_alert_digest()
        self.assertFalse(self._digests(self.b2b_user))

    # Cost ----------------------------------------------------------------------

    def test_dashboard_queries_do_not_grow_with_the_records(self):
        Widget = self.Widget.with_user(self.b2b_user)
        with freeze_time(NOW):
            Widget.get_dashboard()

            def count_queries():
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                Widget.get_dashboard()
                return self.env.cr.sql_log_count - before

            few = count_queries()
            for index in range(12):
                self._order(
                    f"MORE-{index}", "order", b2b_ship_deadline=NOW + index * MINUTE
                )
                self._order(
                    f"MORE-REQ-{index}",
                    "request",
                    b2b_answer_deadline=NOW + (index + 2) * DAY,
                )
            self.env.flush_all()
            many = count_queries()
        self.assertEqual(few, many)
        self.assertLess(many, 25)
