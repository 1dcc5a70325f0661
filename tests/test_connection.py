from datetime import datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools.deadline import week_type
from .common import B2bCommon


@tagged("post_install", "-at_install")
class TestConnection(B2bCommon):
    def test_code_must_be_url_safe_and_unique(self):
        with self.assertRaises(ValidationError):
            self.connection.copy({"code": "Not URL safe!"})
        with (
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.connection.copy({"code": "retailer-one"})

    def test_default_time_zone_is_the_supplier_company(self):
        connection = self.env["b2b.connection"].create(
            {"name": "New", "partner_id": self.retailer.id}
        )
        self.assertEqual(connection.tz, "Europe/Paris")
        self.assertEqual(connection.state, "pending")
        self.assertTrue(connection.code)

    def test_compute_deadline_in_new_york_across_dst(self):
        self.connection.tz = "America/New_York"
        # Elapsed hours: 24 h after Saturday 12:00 EST is Sunday 13:00 EDT
        # (the same instant in UTC + 24 h).
        start = datetime(2026, 3, 7, 17, 0)
        self.assertEqual(
            self.connection.compute_deadline(start, 24), datetime(2026, 3, 8, 17, 0)
        )

    def _calendar_with_easter_monday(self, **leave_values):
        """Odoo's default calendar (Mon-Fri 8-12 and 13-17, Paris) on the
        connection, and Easter Monday 2026 off (``leave_values``: on the
        calendar by default)."""
        calendar = self.env["resource.calendar"].create(
            {"name": "Standard", "tz": "Europe/Paris"}
        )
        self.env["resource.calendar.leaves"].create(
            dict(
                {
                    "name": "Easter Monday",
                    "calendar_id": calendar.id,
                    "date_from": datetime(2026, 4, 5, 22, 0),
                    "date_to": datetime(2026, 4, 6, 21, 59, 59),
                },
                **leave_values,
            )
        )
        self.connection.resource_calendar_id = calendar
        return calendar

    def test_compute_deadline_skips_public_holiday(self):
        self._calendar_with_easter_monday()
        # Friday 3 April 16:00 Paris (14:00 UTC) + 2 h: 1 h on Friday, Monday is a
        # holiday, 1 h on Tuesday from 8:00 -> Tuesday 9:00 Paris = 7:00 UTC.
        self.assertEqual(
            self.connection.compute_deadline(datetime(2026, 4, 3, 14, 0), 2),
            datetime(2026, 4, 7, 7, 0),
        )

    def test_compute_deadline_skips_the_companys_public_holidays_only(self):
        # a public holiday of the company, for every calendar (no calendar)
        calendar = self._calendar_with_easter_monday(
            calendar_id=False, company_id=self.connection.company_id.id
        )
        # time off that Odoo counts as worked, on the Tuesday
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "calendar_id": calendar.id,
                "time_type": "other",
                "date_from": datetime(2026, 4, 6, 22, 0),
                "date_to": datetime(2026, 4, 7, 21, 59, 59),
            }
        )
        # as in the test above: Monday off, Tuesday worked
        self.assertEqual(
            self.connection.compute_deadline(datetime(2026, 4, 3, 14, 0), 2),
            datetime(2026, 4, 7, 7, 0),
        )

    def test_compute_deadline_on_a_two_week_calendar(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "Every other week", "tz": "UTC"}
        )
        calendar.switch_calendar_type()
        self.assertTrue(calendar.two_weeks_calendar)
        # Friday 6 March 2026 is in a working week; the week after is off
        friday = datetime(2026, 3, 6, 16, 0)
        working = str(week_type(friday.date()))
        calendar.attendance_ids.filtered(
            lambda att: att.week_type != working and not att.display_type
        ).unlink()
        self.connection.write({"tz": "UTC", "resource_calendar_id": calendar.id})
        # 1 h on Friday, nothing the week after, 1 h on Monday 16 March from 8:00
        self.assertEqual(
            self.connection.compute_deadline(friday, 2), datetime(2026, 3, 16, 9, 0)
        )

    def test_counts(self):
        self._create_request(ref="A")
        self._create_request(ref="B")
        self.assertEqual(self.connection.request_count, 2)
        self.assertEqual(self.connection.order_count, 0)
