"""Periods of days in the users' time zone, as the UTC instants the database compares."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def period_bounds(date_from: date, date_to: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start of `date_from`, start of the day after `date_to`) in `zone`."""
    return (datetime.combine(date_from, time.min, tzinfo=zone),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))
