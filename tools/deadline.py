"""Deadline arithmetic for partner requests and orders.

Pure Python on purpose: ``b2b.connection`` calls it with values read from its
records (time zone, calendar attendances, public holidays), and its tests run
without Odoo.

Every instant going in or out is a naive UTC datetime, like the values of
Odoo's ``fields.Datetime``. Working schedules are given in local wall-clock
hours, like ``resource.calendar.attendance``; they are turned into UTC day by
day, so a 9-18 day stays 9-18 on the clock on both sides of a daylight-saving
switch, while elapsed time is always counted in real hours.
"""

from datetime import datetime, time, timedelta

import pytz

# How far ahead a working-time deadline is searched before giving up: far
# beyond any real answer or shipping delay, short enough that a calendar whose
# holidays swallow all working time fails at once instead of looping.
SEARCH_YEARS = 5


def compute_deadline(start, hours, tz_name, work_intervals=None, holidays=()):
    """Return the instant at which ``hours`` of counted time after ``start`` run out.

    Without ``work_intervals`` every hour but the holidays counts: 24 hours
    across a daylight-saving switch are 24 real hours, whatever the clock
    shows. With them, only working time outside the holidays counts: a start
    outside working time begins counting at the next working moment, and
    ``hours=0`` gives that moment (or ``start`` itself when it lies in working
    time). A deadline that falls exactly at the end of a working period is
    that end, not the start of the next period.

    :param datetime start: naive UTC datetime.
    :param float hours: number of hours to count, fractions allowed, >= 0.
    :param str tz_name: IANA time zone in which ``work_intervals`` are read;
        not used without them.
    :param work_intervals: weekly working schedule as ``(weekday, hour_from,
        hour_to)`` tuples, weekday 0 (Monday) to 6, hours as floats from 0 to
        24 in local time -- the shape of ``resource.calendar.attendance``
        (pass ``int(dayofweek)``, and leave out the lunch breaks that Odoo 18
        stores as attendances with ``day_period == 'lunch'``). Several
        intervals per day are allowed; overlaps count once. A two-week
        calendar gives ``(weekday, hour_from, hour_to, week_type)`` tuples,
        week type 0 or 1 as Odoo's ``get_week_type`` counts them. ``None``
        means no calendar: every hour counts.
    :param holidays: ``(start, end)`` naive UTC ranges that never count,
        typically the calendar's public holidays (its leaves without a
        resource).
    :return: naive UTC datetime.
    :raise ValueError: on an aware ``start``, negative ``hours``, an unknown
        time zone, a malformed interval, a calendar without working time, or
        a deadline more than ``SEARCH_YEARS`` years of calendar days ahead.
    """
    if start.tzinfo is not None:
        raise ValueError(
            f"The start of a deadline must be a naive UTC datetime, got {start!r}."
        )
    if hours < 0:
        raise ValueError(
            f"A deadline cannot be {hours} hours away:"
            " the number of hours must not be negative."
        )
    if work_intervals is None:
        periods = [(start, datetime.max)]
    else:
        periods = _working_periods(
            start, _time_zone(tz_name), _weekly_schedule(work_intervals)
        )
    remaining = timedelta(hours=hours)
    for begin, end in _without(periods, sorted(holidays)):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise ValueError(
        f"No deadline found: fewer than {hours} hours of working time"
        f" in the {SEARCH_YEARS} years after {start} UTC."
        " Check the working calendar and its public holidays."
    )


def remaining_parts(deadline, now):
    """Split the time between ``now`` and ``deadline`` for display.

    Returns ``(is_overdue, hours, minutes)``, the whole hours and minutes of
    the absolute difference, for texts such as "3 h 12 min left" or "expired
    20 min ago". Seconds are dropped, so the text never promises more time
    than is left. A deadline is overdue only once ``now`` is past it.
    """
    minutes = abs(deadline - now) // timedelta(minutes=1)
    return (now > deadline, *divmod(minutes, 60))


def start_of_day(day, tz_name):
    """The naive UTC instant at which local ``day`` begins in ``tz_name``."""
    return _local_to_utc(_time_zone(tz_name), day, 0)


def _time_zone(tz_name):
    try:
        return pytz.timezone(tz_name)
    except pytz.UnknownTimeZoneError:
        raise ValueError(
            f"Unknown time zone {tz_name!r}:"
            " deadlines on working time need a valid time zone."
        ) from None


def week_type(day):
    """0 or 1: the week of ``day`` in a two-week calendar, as Odoo counts it
    (``resource.calendar.attendance.get_week_type``): the parity of the
    number of weeks since 1 January of year 1, so that the weeks alternate
    across the turn of a year."""
    return (day.toordinal() - 1) // 7 % 2


def _weekly_schedule(work_intervals):
    """Return, for each week type (0, 1) and weekday, its working periods as
    sorted, merged minute ranges; both week types are the same but for
    intervals of a two-week calendar.

    Hours are rounded to the minute, as Odoo does when it reads attendances,
    so that 8.33 means 08:20 and not 08:19:48. Overlapping or touching
    intervals are merged so that no time counts twice.
    """
    weeks = [[[] for _ in range(7)] for _ in range(2)]
    for interval in work_intervals:
        weekday, hour_from, hour_to, *rest = interval
        types = (0, 1) if not rest or rest[0] is None else (rest[0],)
        if (
            weekday not in range(7)
            or not 0 <= hour_from <= hour_to <= 24
            or len(rest) > 1
            or any(kind not in (0, 1) for kind in types)
        ):
            raise ValueError(
                f"Invalid working interval {tuple(interval)!r}:"
                " expected (weekday from 0 to 6, hour_from, hour_to[, week type"
                " 0 or 1]) with 0 <= hour_from <= hour_to <= 24."
            )
        for kind in types:
            weeks[kind][weekday].append((round(hour_from * 60), round(hour_to * 60)))
    for week in weeks:
        for weekday, ranges in enumerate(week):
            merged = []
            for begin, end in sorted(ranges):
                if merged and begin <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                elif begin < end:
                    merged.append((begin, end))
            week[weekday] = merged
    if not any(any(week) for week in weeks):
        raise ValueError(
            "The working calendar has no working time:"
            " a deadline on it would never be reached."
        )
    return weeks


def _working_periods(start, zone, weeks):
    """Yield the working periods from ``start`` on as naive UTC ranges.

    Each local day's wall-clock hours are converted on their own day, so the
    periods follow the clock through daylight-saving switches: on the day
    the clocks go forward, 0-8 lasts 7 real hours. Gives up after
    ``SEARCH_YEARS`` years of days.
    """
    first_day = pytz.utc.localize(start).astimezone(zone).date()
    for day_number in range(SEARCH_YEARS * 366):
        day = first_day + timedelta(days=day_number)
        for minute_from, minute_to in weeks[week_type(day)][day.weekday()]:
            begin = max(start, _local_to_utc(zone, day, minute_from))
            end = _local_to_utc(zone, day, minute_to)
            if begin < end:
                yield begin, end


def _local_to_utc(zone, day, minutes):
    """Return the naive UTC instant of the local wall-clock time ``day`` + ``minutes``.

    24:00 is midnight of the next day, so that days with 0-24 schedules join
    without a gap. A wall time that the clock skips or shows twice is read as
    Odoo's resource calendars read it (``is_dst=False``): the standard-time
    offset wins.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return zone.localize(wall, is_dst=False).astimezone(pytz.utc).replace(tzinfo=None)


def _without(periods, holidays):
    """Yield the parts of ``periods`` outside ``holidays`` (sorted by start)."""
    for begin, end in periods:
        for holiday_start, holiday_end in holidays:
            if holiday_start >= end:
                break
            if holiday_end > begin:
                if holiday_start > begin:
                    yield begin, holiday_start
                begin = holiday_end
                if begin >= end:
                    break
        if begin < end:
            yield begin, end
