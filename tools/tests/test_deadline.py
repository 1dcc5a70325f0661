"""Deadline arithmetic, as a table of cases worked out by hand in local time.

Start, holidays and expected deadline are written as local wall-clock times
of the row's time zone, with the weekday so that the table can be checked
against a calendar; the helpers convert them to the naive UTC datetimes that
``compute_deadline`` takes and returns.

Daylight-saving switches used below (2024):
- Europe/Paris: Sun 31 March 02:00 -> 03:00, Sun 27 October 03:00 -> 02:00.
- America/New_York: Sun 10 March 02:00 -> 03:00, Sun 3 November 02:00 -> 01:00.
- Pacific/Auckland: Sun 29 September 02:00 -> 03:00, Sun 7 April 03:00 -> 02:00.
- Asia/Shanghai: none.
"""

from datetime import date, datetime, timedelta

import pytest
import pytz
from b2b_dropship_tools import deadline
from b2b_dropship_tools.deadline import compute_deadline, remaining_parts

# The tables below keep one case per line, wider than the usual limit, so
# that they read as tables.
# ruff: noqa: E501

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
SHANGHAI = "Asia/Shanghai"
AUCKLAND = "Pacific/Auckland"

NO_CALENDAR = None
MON_FRI_9_18 = [(day, 9, 18) for day in range(5)]
MON_FRI_8_12_13_17 = [(day, 8, 12) for day in range(5)] + [
    (day, 13, 17) for day in range(5)
]
# Working through the night covers the hour in which the clocks change.
EVERY_DAY_0_8 = [(day, 0, 8) for day in range(7)]
AROUND_THE_CLOCK = [(day, 0, 24) for day in range(7)]
MONDAY_OVERLAPPING_8_12_10_14 = [(0, 10, 14), (0, 8, 12)]
# Starts in the hour skipped in spring / repeated in autumn in Paris.
SUNDAY_2_30_4 = [(6, 2.5, 4)]


def local(text):
    """Parse "Fri 2024-06-07 17:00", checking that the weekday is right."""
    moment = datetime.strptime(text[4:], "%Y-%m-%d %H:%M")
    assert moment.strftime("%a") == text[:3], f"{text}: that day is a {moment:%A}"
    return moment


def to_utc(tz_name, wall_time):
    """Convert a local wall-clock time to naive UTC; ambiguous or skipped
    times raise, so that every row of the table means one instant."""
    aware = pytz.timezone(tz_name).localize(wall_time, is_dst=None)
    return aware.astimezone(pytz.utc).replace(tzinfo=None)


def holiday_ranges(tz_name, days):
    """Turn local days ("2024-12-25") or day ranges ("2024-10-01..2024-10-07")
    into UTC ranges from local midnight to local midnight, as Odoo stores
    public holidays."""
    ranges = []
    for text in days:
        first, _, last = text.partition("..")
        first_day = datetime.strptime(first, "%Y-%m-%d")
        last_day = datetime.strptime(last or first, "%Y-%m-%d")
        after_last_day = last_day + timedelta(days=1)
        ranges.append((to_utc(tz_name, first_day), to_utc(tz_name, after_last_day)))
    return ranges


# fmt: off
DEADLINE_CASES = [
    # Without calendar: elapsed real hours, weekends and DST included.
    pytest.param(PARIS, "Sat 2024-03-30 12:00", 24, NO_CALENDAR, [], "Sun 2024-03-31 13:00", id="paris-elapsed-spring-forward"),
    pytest.param(PARIS, "Sat 2024-10-26 12:00", 24, NO_CALENDAR, [], "Sun 2024-10-27 11:00", id="paris-elapsed-fall-back"),
    pytest.param(NEW_YORK, "Sat 2024-03-09 20:00", 12, NO_CALENDAR, [], "Sun 2024-03-10 09:00", id="new-york-elapsed-spring-forward"),
    pytest.param(NEW_YORK, "Sat 2024-11-02 20:00", 12, NO_CALENDAR, [], "Sun 2024-11-03 07:00", id="new-york-elapsed-fall-back"),
    pytest.param(AUCKLAND, "Sat 2024-09-28 12:00", 24, NO_CALENDAR, [], "Sun 2024-09-29 13:00", id="auckland-elapsed-spring-forward-september"),
    pytest.param(AUCKLAND, "Sat 2024-04-06 12:00", 24, NO_CALENDAR, [], "Sun 2024-04-07 11:00", id="auckland-elapsed-fall-back-april"),
    pytest.param(SHANGHAI, "Fri 2024-06-07 15:00", 50, NO_CALENDAR, [], "Sun 2024-06-09 17:00", id="shanghai-elapsed-weekend-counts"),
    pytest.param(SHANGHAI, "Mon 2024-06-03 10:00", 1.25, NO_CALENDAR, [], "Mon 2024-06-03 11:15", id="shanghai-elapsed-fractional"),
    pytest.param(PARIS, "Sat 2024-06-08 10:00", 0, NO_CALENDAR, [], "Sat 2024-06-08 10:00", id="paris-elapsed-zero-hours"),
    pytest.param(NEW_YORK, "Tue 2024-12-24 12:00", 24, NO_CALENDAR, ["2024-12-25"], "Thu 2024-12-26 12:00", id="new-york-elapsed-christmas-skipped"),
    # Mon-Fri 9-18: the example of the issue, in every zone and across both switches.
    pytest.param(PARIS, "Fri 2024-06-07 17:00", 4, MON_FRI_9_18, [], "Mon 2024-06-10 12:00", id="paris-9-18-friday-17h-plus-4h"),
    pytest.param(PARIS, "Fri 2024-03-29 17:00", 4, MON_FRI_9_18, [], "Mon 2024-04-01 12:00", id="paris-9-18-over-spring-forward"),
    pytest.param(PARIS, "Fri 2024-10-25 17:00", 4, MON_FRI_9_18, [], "Mon 2024-10-28 12:00", id="paris-9-18-over-fall-back"),
    pytest.param(NEW_YORK, "Fri 2024-03-08 16:00", 5, MON_FRI_9_18, [], "Mon 2024-03-11 12:00", id="new-york-9-18-over-spring-forward"),
    pytest.param(NEW_YORK, "Fri 2024-11-01 16:00", 5, MON_FRI_9_18, [], "Mon 2024-11-04 12:00", id="new-york-9-18-over-fall-back"),
    pytest.param(AUCKLAND, "Fri 2024-09-27 17:00", 4, MON_FRI_9_18, [], "Mon 2024-09-30 12:00", id="auckland-9-18-over-spring-forward-september"),
    pytest.param(AUCKLAND, "Fri 2024-04-05 17:00", 4, MON_FRI_9_18, [], "Mon 2024-04-08 12:00", id="auckland-9-18-over-fall-back-april"),
    pytest.param(SHANGHAI, "Fri 2024-06-14 17:00", 4, MON_FRI_9_18, [], "Mon 2024-06-17 12:00", id="shanghai-9-18-friday-17h-plus-4h"),
    # Mon-Fri 9-18: starts outside working time, zero hours, fractions, several days.
    pytest.param(PARIS, "Tue 2024-06-11 07:30", 2, MON_FRI_9_18, [], "Tue 2024-06-11 11:00", id="paris-9-18-start-before-opening"),
    pytest.param(PARIS, "Tue 2024-06-11 19:00", 2, MON_FRI_9_18, [], "Wed 2024-06-12 11:00", id="paris-9-18-start-after-closing"),
    pytest.param(NEW_YORK, "Sat 2024-06-08 10:00", 1, MON_FRI_9_18, [], "Mon 2024-06-10 10:00", id="new-york-9-18-start-on-saturday"),
    pytest.param(SHANGHAI, "Sun 2024-06-09 23:00", 0, MON_FRI_9_18, [], "Mon 2024-06-10 09:00", id="shanghai-9-18-zero-hours-on-sunday"),
    pytest.param(PARIS, "Tue 2024-06-11 10:15", 0, MON_FRI_9_18, [], "Tue 2024-06-11 10:15", id="paris-9-18-zero-hours-in-working-time"),
    pytest.param(PARIS, "Tue 2024-06-11 18:00", 0, MON_FRI_9_18, [], "Wed 2024-06-12 09:00", id="paris-9-18-zero-hours-at-closing"),
    pytest.param(PARIS, "Mon 2024-06-10 09:00", 9, MON_FRI_9_18, [], "Mon 2024-06-10 18:00", id="paris-9-18-whole-day-ends-at-closing"),
    pytest.param(PARIS, "Tue 2024-06-11 16:45", 1.5, MON_FRI_9_18, [], "Wed 2024-06-12 09:15", id="paris-9-18-fractional-over-night"),
    pytest.param(AUCKLAND, "Wed 2024-06-12 14:00", 24, MON_FRI_9_18, [], "Mon 2024-06-17 11:00", id="auckland-9-18-three-days-over-weekend"),
    pytest.param(PARIS, "Mon 2024-06-10 09:00", 40, MON_FRI_9_18, [], "Fri 2024-06-14 13:00", id="paris-9-18-most-of-a-week"),
    pytest.param(PARIS, "Mon 2024-06-03 09:00", 180, MON_FRI_9_18, [], "Fri 2024-06-28 18:00", id="paris-9-18-four-weeks"),
    # Mon-Fri 9-18 with public holidays.
    pytest.param(PARIS, "Tue 2024-12-24 15:00", 5, MON_FRI_9_18, ["2024-12-25"], "Thu 2024-12-26 11:00", id="paris-9-18-christmas"),
    pytest.param(PARIS, "Fri 2024-03-29 17:00", 4, MON_FRI_9_18, ["2024-04-01"], "Tue 2024-04-02 12:00", id="paris-9-18-easter-monday-pushes-to-tuesday"),
    pytest.param(PARIS, "Wed 2024-12-25 10:00", 0, MON_FRI_9_18, ["2024-12-25"], "Thu 2024-12-26 09:00", id="paris-9-18-zero-hours-on-holiday"),
    pytest.param(NEW_YORK, "Wed 2024-11-27 17:00", 3, MON_FRI_9_18, ["2024-11-28"], "Fri 2024-11-29 11:00", id="new-york-9-18-thanksgiving"),
    pytest.param(AUCKLAND, "Wed 2024-04-24 16:00", 4, MON_FRI_9_18, ["2024-04-25"], "Fri 2024-04-26 11:00", id="auckland-9-18-anzac-day"),
    pytest.param(SHANGHAI, "Mon 2024-09-30 17:00", 2, MON_FRI_9_18, ["2024-10-01..2024-10-07"], "Tue 2024-10-08 10:00", id="shanghai-9-18-national-day-week"),
    # Split day 8-12 and 13-17: lunch does not count.
    pytest.param(PARIS, "Tue 2024-06-11 11:00", 2, MON_FRI_8_12_13_17, [], "Tue 2024-06-11 14:00", id="paris-split-over-lunch"),
    pytest.param(PARIS, "Tue 2024-06-11 10:00", 2, MON_FRI_8_12_13_17, [], "Tue 2024-06-11 12:00", id="paris-split-ends-at-lunch"),
    pytest.param(NEW_YORK, "Tue 2024-06-11 12:30", 1, MON_FRI_8_12_13_17, [], "Tue 2024-06-11 14:00", id="new-york-split-start-at-lunch"),
    pytest.param(PARIS, "Tue 2024-06-11 12:30", 0, MON_FRI_8_12_13_17, [], "Tue 2024-06-11 13:00", id="paris-split-zero-hours-at-lunch"),
    pytest.param(PARIS, "Fri 2024-06-07 17:00", 4, MON_FRI_8_12_13_17, [], "Mon 2024-06-10 12:00", id="paris-split-friday-17h-plus-4h"),
    pytest.param(SHANGHAI, "Fri 2024-06-14 16:00", 3.5, MON_FRI_8_12_13_17, [], "Mon 2024-06-17 10:30", id="shanghai-split-fractional-over-weekend"),
    pytest.param(PARIS, "Wed 2024-06-12 10:00", 20, MON_FRI_8_12_13_17, [], "Fri 2024-06-14 15:00", id="paris-split-several-days"),
    pytest.param(AUCKLAND, "Fri 2024-09-27 16:30", 4.5, MON_FRI_8_12_13_17, [], "Mon 2024-09-30 12:00", id="auckland-split-over-spring-forward"),
    pytest.param(PARIS, "Tue 2024-12-24 16:00", 6, MON_FRI_8_12_13_17, ["2024-12-25"], "Thu 2024-12-26 14:00", id="paris-split-christmas"),
    # Every day 0-8: on the day of the switch, 0-8 on the clock lasts 7 or 9 real hours.
    pytest.param(PARIS, "Sun 2024-03-31 00:00", 7.5, EVERY_DAY_0_8, [], "Mon 2024-04-01 00:30", id="paris-night-shift-spring-forward-7h"),
    pytest.param(PARIS, "Sun 2024-10-27 00:00", 8.5, EVERY_DAY_0_8, [], "Sun 2024-10-27 07:30", id="paris-night-shift-fall-back-9h"),
    pytest.param(NEW_YORK, "Sun 2024-03-10 00:00", 7.5, EVERY_DAY_0_8, [], "Mon 2024-03-11 00:30", id="new-york-night-shift-spring-forward-7h"),
    pytest.param(NEW_YORK, "Sun 2024-11-03 00:00", 8.5, EVERY_DAY_0_8, [], "Sun 2024-11-03 07:30", id="new-york-night-shift-fall-back-9h"),
    pytest.param(AUCKLAND, "Sun 2024-09-29 00:00", 7.5, EVERY_DAY_0_8, [], "Mon 2024-09-30 00:30", id="auckland-night-shift-spring-forward-7h"),
    pytest.param(AUCKLAND, "Sun 2024-04-07 00:00", 8.5, EVERY_DAY_0_8, [], "Sun 2024-04-07 07:30", id="auckland-night-shift-fall-back-9h"),
    # A round-the-clock calendar counts like elapsed time, even across a switch.
    pytest.param(PARIS, "Sat 2024-03-30 12:00", 24, AROUND_THE_CLOCK, [], "Sun 2024-03-31 13:00", id="paris-around-the-clock-spring-forward"),
    pytest.param(AUCKLAND, "Sat 2024-04-06 12:00", 24, AROUND_THE_CLOCK, [], "Sun 2024-04-07 11:00", id="auckland-around-the-clock-fall-back"),
    # Interval bounds the clock skips or shows twice take the standard-time offset, as in Odoo.
    pytest.param(PARIS, "Sun 2024-03-31 00:00", 0, SUNDAY_2_30_4, [], "Sun 2024-03-31 03:30", id="paris-interval-starting-in-skipped-hour"),
    pytest.param(PARIS, "Sun 2024-10-27 00:00", 1.5, SUNDAY_2_30_4, [], "Sun 2024-10-27 04:00", id="paris-interval-starting-in-repeated-hour"),
    # Overlapping intervals count once.
    pytest.param(PARIS, "Mon 2024-06-10 08:00", 6, MONDAY_OVERLAPPING_8_12_10_14, [], "Mon 2024-06-10 14:00", id="paris-overlapping-intervals"),
]
# fmt: on


@pytest.mark.parametrize(
    ("tz_name", "start", "hours", "calendar", "holidays", "expected"),
    DEADLINE_CASES,
)
def test_compute_deadline(tz_name, start, hours, calendar, holidays, expected):
    deadline = compute_deadline(
        to_utc(tz_name, local(start)),
        hours,
        tz_name,
        calendar,
        holiday_ranges(tz_name, holidays),
    )
    assert deadline == to_utc(tz_name, local(expected))


def test_elapsed_hours_need_no_time_zone():
    # A connection without calendar may have no time zone set (False in Odoo).
    deadline = compute_deadline(datetime(2024, 6, 7, 15, 0), 4, False)
    assert deadline == datetime(2024, 6, 7, 19, 0)


def test_deadline_is_naive_utc():
    deadline = compute_deadline(datetime(2024, 6, 7, 15, 0), 4, PARIS, MON_FRI_9_18)
    assert deadline.tzinfo is None


# fmt: off
REFUSED_CASES = [
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, [], [], "no working time", id="empty-calendar"),
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, [(0, 9, 9), (1, 12, 12)], [], "no working time", id="only-empty-intervals"),
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, MON_FRI_9_18, [(datetime(2024, 1, 1), datetime(2031, 1, 1))], "No deadline found", id="holidays-cover-five-years"),
    pytest.param(datetime(2024, 6, 7, 15), 100_000, PARIS, MON_FRI_9_18, [], "No deadline found", id="more-than-five-years-of-work"),
    pytest.param(datetime(2024, 6, 7, 15), -1, PARIS, None, [], "must not be negative", id="negative-hours"),
    pytest.param(datetime(2024, 6, 7, 15, tzinfo=pytz.utc), 4, PARIS, None, [], "naive UTC", id="aware-start"),
    pytest.param(datetime(2024, 6, 7, 15), 4, "Mars/Olympus_Mons", MON_FRI_9_18, [], "Unknown time zone", id="unknown-time-zone"),
    pytest.param(datetime(2024, 6, 7, 15), 4, False, MON_FRI_9_18, [], "Unknown time zone", id="calendar-without-time-zone"),
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, [(7, 9, 18)], [], "Invalid working interval", id="weekday-out-of-range"),
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, [(0, 9, 25)], [], "Invalid working interval", id="hour-after-midnight"),
    pytest.param(datetime(2024, 6, 7, 15), 4, PARIS, [(0, 18, 9)], [], "Invalid working interval", id="hours-reversed"),
]
# fmt: on


@pytest.mark.parametrize(
    ("start", "hours", "tz_name", "calendar", "holidays", "message"),
    REFUSED_CASES,
)
def test_compute_deadline_refuses(start, hours, tz_name, calendar, holidays, message):
    with pytest.raises(ValueError, match=message):
        compute_deadline(start, hours, tz_name, calendar, holidays)


# fmt: off
REMAINING_CASES = [
    pytest.param(datetime(2024, 6, 7, 15, 12), datetime(2024, 6, 7, 12, 0), (False, 3, 12), id="3h12-left"),
    pytest.param(datetime(2024, 6, 7, 15, 12, 59), datetime(2024, 6, 7, 12, 0), (False, 3, 12), id="seconds-dropped"),
    pytest.param(datetime(2024, 6, 7, 12, 0, 59), datetime(2024, 6, 7, 12, 0), (False, 0, 0), id="under-a-minute-left"),
    pytest.param(datetime(2024, 6, 9, 14, 0), datetime(2024, 6, 7, 12, 0), (False, 50, 0), id="hours-beyond-a-day"),
    pytest.param(datetime(2024, 6, 7, 12, 0), datetime(2024, 6, 7, 12, 0), (False, 0, 0), id="due-now-not-yet-overdue"),
    pytest.param(datetime(2024, 6, 7, 12, 0), datetime(2024, 6, 7, 12, 0, 1), (True, 0, 0), id="one-second-overdue"),
    pytest.param(datetime(2024, 6, 7, 12, 0), datetime(2024, 6, 7, 12, 20), (True, 0, 20), id="expired-20-min-ago"),
    pytest.param(datetime(2024, 6, 7, 12, 0), datetime(2024, 6, 8, 13, 1), (True, 25, 1), id="expired-over-a-day-ago"),
]
# fmt: on


@pytest.mark.parametrize(
    ("deadline", "now", "expected"),
    REMAINING_CASES,
)
def test_remaining_parts(deadline, now, expected):
    assert remaining_parts(deadline, now) == expected


def test_two_week_calendar_follows_odoo_week_types():
    monday = date(2026, 3, 2)
    kind = deadline.week_type(monday)
    # Mondays of this week's type, Tuesdays of the other one
    intervals = [(0, 9, 17, kind), (1, 9, 17, 1 - kind)]
    # 8 h on Monday 2 March; Tuesday 3 is of the other type, Monday 9 too;
    # Tuesday 10 March 9:00 + 2 h
    assert deadline.compute_deadline(
        datetime(2026, 3, 2, 8, 0), 10, "UTC", intervals
    ) == datetime(2026, 3, 10, 11, 0)


def test_week_types_alternate_across_the_turn_of_the_year():
    # Odoo's count: weeks since 1 January of year 1, not ISO week numbers
    # (2026 has 53 ISO weeks: weeks 53 and 1 would both be odd)
    types = [
        deadline.week_type(date(2026, 12, 21) + timedelta(weeks=n)) for n in range(4)
    ]
    assert types in ([0, 1, 0, 1], [1, 0, 1, 0])
    assert deadline.week_type(date(1, 1, 1)) == 0
    assert deadline.week_type(date(1, 1, 8)) == 1


def test_week_type_of_an_interval_must_be_0_or_1():
    with pytest.raises(ValueError, match="week type"):
        deadline.compute_deadline(datetime(2026, 3, 2), 1, "UTC", [(0, 9, 17, 2)])


def test_start_of_day_is_local_midnight_in_utc():
    assert deadline.start_of_day(date(2026, 3, 14), "Europe/Paris") == datetime(
        2026, 3, 13, 23, 0
    )
    # summer time
    assert deadline.start_of_day(date(2026, 7, 14), "Europe/Paris") == datetime(
        2026, 7, 13, 22, 0
    )
