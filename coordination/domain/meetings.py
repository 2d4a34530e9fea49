"""When partner meetings happen: a monthly rule ("2nd and 4th Tuesday at 14:00"), French
public holidays, and the agenda settings of a series (DESIGN §3, §5; issue 7).

Dates come from python-dateutil's rrule and French public holidays from the `holidays`
package (metropolitan list by default; "57" or "6AE" adds Good Friday and 26 December
for Alsace-Moselle). A meeting's time is wall-clock time in the series' timezone, because
that is what partners put in their diaries; the service stores UTC (`local_to_utc`), so
a 14:00 meeting stays at 14:00 across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from dateutil.rrule import MONTHLY, rrule, weekdays

from coordination.domain.errors import ValidationError

PARIS = "Europe/Paris"

WEEKDAY_CODES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_LABELS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
LAST = -1  # "last <weekday> of the month", as in RFC 5545 (BYDAY=-1TU)
POSITIONS = (1, 2, 3, 4, 5, LAST)
# Departments and overseas territories with their own public holidays; the package's
# "Zone A/B/C" are school-holiday zones, not public holidays.
HOLIDAY_SUBDIVISIONS = tuple(s for s in holidays.France.subdivisions if not s.startswith("Zone"))

# A holiday move is at most a few days (a long weekend plus a holiday); generating this
# much around the window lets a date moved across the window's edge land in exactly one
# window, so the scheduler's successive windows neither lose nor repeat a meeting.
_MOVE_MARGIN = timedelta(days=14)


class HolidayPolicy(StrEnum):
    SKIP = "skip"
    MOVE_NEXT_WORKING_DAY = "move_next_working_day"
    MOVE_PREVIOUS_WORKING_DAY = "move_previous_working_day"

    @property
    def label(self) -> str:
        return {
            "skip": "Pas de réunion ce jour-là",
            "move_next_working_day": "Reportée au jour ouvré suivant",
            "move_previous_working_day": "Avancée au jour ouvré précédent",
        }[self.value]


@dataclass(frozen=True)
class MeetingRecurrence:
    """A series' rule and agenda settings, valid by construction when built by
    `parse_recurrence`. `weekday` counts from Monday = 0 (Python's convention)."""

    weekday: int
    positions: tuple[int, ...]  # ordinals in the month, 1–5 or LAST; sorted, no repeats
    start_time: time
    duration_minutes: int = 120
    timezone: str = PARIS
    # Skip by default: partners block the usual slot in their diaries; a moved date is a
    # new slot that many of them will not have free.
    holiday_policy: HolidayPolicy = HolidayPolicy.SKIP
    holiday_subdivision: str | None = None  # "57", "6AE": Alsace-Moselle holidays
    agenda_cap: int = 12
    freeze_days_before: int = 3

    @property
    def rrule_text(self) -> str:
        """The rule in RFC 5545 form, e.g. FREQ=MONTHLY;BYDAY=2TU,4TU (iCalendar export)."""
        day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[self.weekday]
        return "FREQ=MONTHLY;BYDAY=" + ",".join(f"{n}{day}" for n in self.positions)


@dataclass(frozen=True)
class MeetingDate:
    """One meeting of a series. `starts_at` is naive wall-clock time in `timezone`."""

    starts_at: datetime
    duration_minutes: int
    timezone: str = PARIS
    moved_from: date | None = None  # the rule's date, when a holiday moved the meeting
    holiday_name: str | None = None  # in French, when moved

    @property
    def on(self) -> date:
        return self.starts_at.date()

    @property
    def rule_date(self) -> date:
        """The date the rule gave, moved or not: a stable key for "this series' meeting of
        that slot", so that creating meetings twice creates nothing twice."""
        return self.moved_from or self.on

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def starts_at_utc(self) -> datetime:
        return local_to_utc(self.starts_at, self.timezone)

    @property
    def ends_at_utc(self) -> datetime:
        return local_to_utc(self.ends_at, self.timezone)


def local_to_utc(local: datetime, timezone: str = PARIS) -> datetime:
    """Wall-clock time in `timezone` (naive) to an aware UTC datetime. An hour that does
    not exist (the spring change) or happens twice (autumn) takes the earlier offset."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def utc_to_local(moment: datetime, timezone: str = PARIS) -> datetime:
    """An aware (or naive UTC, as some databases return it) datetime to naive wall-clock
    time in `timezone`, for display."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def french_holidays(years: range, subdivision: str | None = None) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", subdiv=subdivision, years=years, language="fr")


def occurrences(recurrence: MeetingRecurrence, start: date, end: date) -> list[MeetingDate]:
    """The meetings held from `start` to `end` (both included, by the date actually held),
    holidays skipped or moved by the series' policy. A moved meeting that lands on
    another meeting of the series is merged into it, never held twice."""
    if end < start:
        return []
    first, last = start - _MOVE_MARGIN, end + _MOVE_MARGIN
    closed = french_holidays(range(first.year, last.year + 1), recurrence.holiday_subdivision)
    day = weekdays[recurrence.weekday]
    rule = rrule(MONTHLY, dtstart=datetime.combine(first, recurrence.start_time),
                 until=datetime.combine(last, recurrence.start_time),
                 byweekday=[day(n) for n in recurrence.positions])
    rule_dates = [moment.date() for moment in rule]
    held: dict[date, MeetingDate] = {}
    for on in rule_dates:  # regular dates first, so a moved one defers to them
        if on not in closed:
            held[on] = _meeting(recurrence, on)
    for on in rule_dates:
        if on in closed and recurrence.holiday_policy is not HolidayPolicy.SKIP:
            step = 1 if recurrence.holiday_policy is HolidayPolicy.MOVE_NEXT_WORKING_DAY else -1
            moved = _working_day(on, step, closed)
            held.setdefault(moved, _meeting(recurrence, moved, on, closed.get(on)))
    return [held[on] for on in sorted(held) if start <= on <= end]


def _meeting(recurrence: MeetingRecurrence, on: date, moved_from: date | None = None,
             holiday_name: str | None = None) -> MeetingDate:
    return MeetingDate(datetime.combine(on, recurrence.start_time), recurrence.duration_minutes,
                       recurrence.timezone, moved_from, holiday_name)


def _working_day(on: date, step: int, closed: Mapping[date, str]) -> date:
    candidate = on + timedelta(days=step)
    while candidate.weekday() >= 5 or candidate in closed:
        candidate += timedelta(days=step)
    return candidate


def agenda_freeze_on(meeting_on: date, recurrence: MeetingRecurrence) -> date:
    """The day the agenda is built and frozen: calendar days before the meeting, so that
    the rule reads the way the admin typed it ("3 days before")."""
    return meeting_on - timedelta(days=recurrence.freeze_days_before)


# --- French wording -------------------------------------------------------------------------------

def _ordinal(position: int) -> str:
    return {1: "1er", LAST: "dernier"}.get(position, f"{position}e")


def time_label(moment: time) -> str:
    return f"{moment.hour} h {moment.minute:02d}"


def recurrence_label(recurrence: MeetingRecurrence) -> str:
    """e.g. "2e et 4e mardis du mois à 14 h 00", "dernier vendredi du mois à 9 h 30"."""
    ordinals = [_ordinal(n) for n in recurrence.positions]
    day = WEEKDAY_LABELS[recurrence.weekday]
    if len(ordinals) == 1:
        days = f"{ordinals[0]} {day}"
    else:
        days = ", ".join(ordinals[:-1]) + f" et {ordinals[-1]} {day}s"
    return f"{days} du mois à {time_label(recurrence.start_time)}"


# --- user input ----------------------------------------------------------------------------------

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_recurrence(data: Mapping[str, Any]) -> MeetingRecurrence:
    """A recurrence from a form or JSON mapping; every bad field is named, in French.

    weekday: 0–6 (Monday = 0), "tuesday" or "mardi"; positions: [2, 4] or "2,4" (1–5, -1 = last);
    time: "HH:MM"; the other fields have defaults (see `MeetingRecurrence`)."""
    errors: dict[str, list[str]] = {}
    defaults = MeetingRecurrence(weekday=0, positions=(1,), start_time=time(14))

    def check(name: str, parser, fallback):  # type: ignore[no-untyped-def]
        value = data.get(name)
        if value is None or value == "":
            if fallback is None:
                errors[name] = ["Ce champ est obligatoire."]
            return fallback
        try:
            return parser(value)
        except ValueError as error:
            errors[name] = [str(error)]
            return fallback

    weekday = check("weekday", _weekday, None)
    positions = check("positions", _positions, None)
    at = check("time", _time, None)
    duration = check("duration_minutes", _bounded(15, 480, "La durée", " minutes"),
                     defaults.duration_minutes)
    timezone = check("timezone", _timezone, defaults.timezone)
    policy = check("holiday_policy", _policy, defaults.holiday_policy)
    subdivision = check("holiday_subdivision", _subdivision, "")
    cap = check("agenda_cap", _bounded(
        1, 100, "Le nombre maximal de situations à l'ordre du jour", ""), defaults.agenda_cap)
    freeze = check("freeze_days_before", _bounded(
        0, 30, "Le délai de gel de l'ordre du jour", " jours"), defaults.freeze_days_before)
    if errors:
        raise ValidationError(errors, "La périodicité de la réunion est invalide.")
    return MeetingRecurrence(weekday, positions, at, duration, timezone, policy,
                             subdivision or None, cap, freeze)


def as_mapping(recurrence: MeetingRecurrence) -> dict[str, Any]:
    """JSON-ready fields that `parse_recurrence` reads back to an equal recurrence."""
    return {"weekday": WEEKDAY_CODES[recurrence.weekday],
            "positions": list(recurrence.positions),
            "time": recurrence.start_time.strftime("%H:%M"),
            "duration_minutes": recurrence.duration_minutes,
            "timezone": recurrence.timezone,
            "holiday_policy": recurrence.holiday_policy.value,
            "holiday_subdivision": recurrence.holiday_subdivision,
            "agenda_cap": recurrence.agenda_cap,
            "freeze_days_before": recurrence.freeze_days_before}


def _integer(value: Any) -> int:
    # bool is an int in Python; a checkbox's True is not a number of days.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,4}", value.strip()):
        return int(value.strip())
    raise ValueError("Nombre entier attendu.")


def _bounded(low: int, high: int, what: str, unit: str):  # type: ignore[no-untyped-def]
    def parse(value: Any) -> int:
        number = _integer(value)
        if not low <= number <= high:
            raise ValueError(f"{what} doit être entre {low} et {high}{unit}.")
        return number

    return parse


def _weekday(value: Any) -> int:
    if isinstance(value, str):
        name = value.strip().lower()
        for names in (WEEKDAY_CODES, WEEKDAY_LABELS):
            if name in names:
                return names.index(name)
    try:
        number = _integer(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 6:
        raise ValueError("Jour de la semaine inconnu (lundi à dimanche).")
    return number


def _positions(value: Any) -> tuple[int, ...]:
    items = re.split(r"[\s,;]+", value.strip()) if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("Indiquez au moins une semaine du mois.")
    try:
        numbers = [_integer(item) for item in items if item != ""]
    except ValueError:
        numbers = [0]
    if not numbers or any(n not in POSITIONS for n in numbers):
        raise ValueError("Semaines du mois : de 1 à 5, ou -1 pour le dernier.")
    if len(set(numbers)) != len(numbers):
        raise ValueError("Une même semaine du mois est indiquée deux fois.")
    return tuple(sorted(numbers, key=lambda n: n if n > 0 else 99))


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError("Heure attendue au format HH:MM (par exemple 14:00).")
    return time(int(match[1]), int(match[2]))


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("Fuseau horaire inconnu (par exemple Europe/Paris).") from None
    return str(value)


def _policy(value: Any) -> HolidayPolicy:
    try:
        return HolidayPolicy(value)
    except ValueError:
        choices = ", ".join(f"« {p.label} »" for p in HolidayPolicy)
        raise ValueError(f"Règle des jours fériés inconnue (au choix : {choices}).") from None


def _subdivision(value: Any) -> str:
    if value not in HOLIDAY_SUBDIVISIONS:
        raise ValueError("Territoire de jours fériés inconnu (par exemple 57 pour "
                         "l'Alsace-Moselle).")
    return str(value)
