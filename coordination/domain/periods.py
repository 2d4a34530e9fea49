"""Periods of days in the users' time zone, as the UTC instants the database compares."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def period_bounds(date_from: date, date_to: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start of `date_from`, start of the day after `date_to`) in `zone`."""
    return (datetime.combine(date_from, time.min, tzinfo=zone),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))


def whole_months(date_from: date, date_to: date) -> tuple[date, date]:
    """The period widened to whole calendar months. Published counts of two periods then
    differ by whole months only: shifting a period by one day cannot reveal, by
    subtraction, the one-day count that small-cell suppression masks."""
    last = (date_to.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return date_from.replace(day=1), last


def parse_datetime(value: object, zone: tzinfo) -> datetime | None:
    """An ISO 8601 date and time; without an offset it is local time (what a person typed)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
