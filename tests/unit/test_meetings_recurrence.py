"""Meeting dates of a series: the monthly rule, French public holidays, the wording, and
the refusal of bad input. Dates below were checked on a calendar, not computed by the
code under test."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from coordination.domain import meetings
from coordination.domain.errors import ValidationError
from coordination.domain.meetings import (
    LAST,
    HolidayPolicy,
    MeetingRecurrence,
    agenda_freeze_on,
    as_mapping,
    local_to_utc,
    occurrences,
    parse_recurrence,
    recurrence_label,
    utc_to_local,
)

MONDAY, TUESDAY, THURSDAY, FRIDAY = 0, 1, 3, 4


def series(weekday=TUESDAY, positions=(2, 4), policy=HolidayPolicy.SKIP, **more):
    return MeetingRecurrence(weekday=weekday, positions=positions, start_time=time(14),
                             holiday_policy=policy, **more)


def dates(recurrence, start, end):
    return [m.on for m in occurrences(recurrence, start, end)]


def test_second_and_fourth_tuesdays_of_a_plain_month():
    assert dates(series(), date(2026, 3, 1), date(2026, 3, 31)) == [
        date(2026, 3, 10), date(2026, 3, 24)]


def test_eleven_november_2025_is_the_second_tuesday_and_is_skipped():
    assert dates(series(), date(2025, 11, 1), date(2025, 11, 30)) == [date(2025, 11, 25)]


def test_eleven_november_2025_moves_to_wednesday_the_twelfth():
    held = occurrences(series(policy=HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                       date(2025, 11, 1), date(2025, 11, 30))
    assert [(m.on, m.moved_from, m.holiday_name) for m in held] == [
        (date(2025, 11, 12), date(2025, 11, 11), "Armistice"),
        (date(2025, 11, 25), None, None)]
    assert held[0].rule_date == date(2025, 11, 11)
    assert held[0].starts_at == datetime(2025, 11, 12, 14, 0)


def test_eleven_november_2025_moves_back_to_monday_the_tenth():
    assert dates(series(policy=HolidayPolicy.MOVE_PREVIOUS_WORKING_DAY),
                 date(2025, 11, 1), date(2025, 11, 30)) == [date(2025, 11, 10),
                                                            date(2025, 11, 25)]


def test_in_2026_and_2027_only_the_fourteenth_of_july_2026_falls_on_such_a_tuesday():
    """Every month has at least four Tuesdays: 48 meetings over two years, less the
    National Day 2026 (Tuesday 14 July, the 2nd Tuesday). Nothing in 2027 collides."""
    start, end = date(2026, 1, 1), date(2027, 12, 31)
    skipped = dates(series(), start, end)
    assert len(skipped) == 47
    assert date(2026, 7, 14) not in skipped
    moved = [m for m in occurrences(series(policy=HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                                    start, end) if m.moved_from]
    assert [(m.on, m.moved_from, m.holiday_name) for m in moved] == [
        (date(2026, 7, 15), date(2026, 7, 14), "Fête nationale")]


def test_easter_monday_2026_moves_a_first_monday_series_to_tuesday():
    held = occurrences(series(MONDAY, (1,), HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                       date(2026, 4, 1), date(2026, 4, 30))
    assert [(m.on, m.moved_from, m.holiday_name) for m in held] == [
        (date(2026, 4, 7), date(2026, 4, 6), "Lundi de Pâques")]


def test_easter_monday_2027_is_the_last_monday_of_march():
    assert dates(series(MONDAY, (LAST,), HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                 date(2027, 3, 1), date(2027, 3, 31)) == [date(2027, 3, 30)]


def test_whit_monday_2026_moved_back_lands_on_the_friday_before():
    assert dates(series(MONDAY, (LAST,), HolidayPolicy.MOVE_PREVIOUS_WORKING_DAY),
                 date(2026, 5, 1), date(2026, 5, 31)) == [date(2026, 5, 22)]


def test_a_move_skips_the_weekend_and_the_next_holiday():
    """Friday 1 May 2026 moves to Monday 4 May; Friday 8 May moves to Monday 11 May."""
    assert dates(series(FRIDAY, (1, 2), HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                 date(2026, 5, 1), date(2026, 5, 31)) == [date(2026, 5, 4), date(2026, 5, 11)]
    # Backwards from 1 May: Thursday 30 April; from 8 May: Thursday 7 May.
    assert dates(series(FRIDAY, (1, 2), HolidayPolicy.MOVE_PREVIOUS_WORKING_DAY),
                 date(2026, 4, 25), date(2026, 5, 31)) == [date(2026, 4, 30), date(2026, 5, 7)]


def test_ascension_thursday_2026_moves_to_the_friday_bridge_day():
    assert date(2026, 5, 15) in dates(series(THURSDAY, (2,), HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                                      date(2026, 5, 1), date(2026, 5, 31))


def test_good_friday_is_a_holiday_only_in_alsace_moselle():
    first_friday = series(FRIDAY, (1,))
    april = (date(2026, 4, 1), date(2026, 4, 30))
    assert dates(first_friday, *april) == [date(2026, 4, 3)]
    assert dates(series(FRIDAY, (1,), holiday_subdivision="57"), *april) == []


def test_fifth_tuesday_exists_only_in_some_months():
    assert dates(series(positions=(5,)), date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 29), date(2026, 12, 29)]


def test_fifth_and_last_tuesday_are_one_meeting_when_they_are_the_same_day():
    assert dates(series(positions=(5, LAST)), date(2026, 3, 1), date(2026, 4, 30)) == [
        date(2026, 3, 31), date(2026, 4, 28)]


def test_a_moved_meeting_landing_on_another_meeting_is_held_once(monkeypatch):
    """No real French calendar has a whole week of holidays, so one is made up: the first
    Monday moved forward reaches the second Monday, which is held once, not moved."""
    week = {date(2026, 4, 6) + timedelta(days=n): "Semaine fériée" for n in range(5)}
    monkeypatch.setattr(meetings, "french_holidays", lambda years, subdivision=None: week)
    held = occurrences(series(MONDAY, (1, 2), HolidayPolicy.MOVE_NEXT_WORKING_DAY),
                       date(2026, 4, 1), date(2026, 4, 30))
    assert [(m.on, m.moved_from) for m in held] == [(date(2026, 4, 13), None)]


def test_consecutive_windows_give_each_meeting_exactly_once():
    """The scheduler creates meetings window by window; a meeting moved across a window's
    edge (14 July → 15 July) must appear in exactly one of them."""
    recurrence = series(policy=HolidayPolicy.MOVE_NEXT_WORKING_DAY)
    whole = occurrences(recurrence, date(2026, 1, 1), date(2026, 12, 31))
    pieces, start = [], date(2026, 1, 1)
    for end in (date(2026, 7, 14), date(2026, 9, 30), date(2026, 12, 31)):
        pieces += occurrences(recurrence, start, end)
        start = end + timedelta(days=1)
    assert pieces == whole
    assert date(2026, 7, 15) in [m.on for m in pieces]


def test_the_wall_clock_time_stays_at_14_00_and_utc_follows_daylight_saving():
    winter, summer = occurrences(series(), date(2026, 3, 1), date(2026, 4, 30))[0:3:2]
    assert winter.starts_at_utc == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert summer.starts_at_utc == datetime(2026, 4, 14, 12, 0, tzinfo=UTC)
    assert summer.ends_at == datetime(2026, 4, 14, 16, 0)
    assert utc_to_local(summer.starts_at_utc) == datetime(2026, 4, 14, 14, 0)
    assert local_to_utc(datetime(2026, 1, 5, 9, 30)) == datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def test_an_empty_or_reversed_window_has_no_meeting():
    assert occurrences(series(), date(2026, 3, 31), date(2026, 3, 1)) == []


def test_the_agenda_freezes_calendar_days_before_the_meeting():
    assert agenda_freeze_on(date(2026, 3, 10), series(freeze_days_before=3)) == date(2026, 3, 7)


@pytest.mark.parametrize(("weekday", "positions", "at", "label"), [
    (TUESDAY, (2, 4), time(14), "2e et 4e mardis du mois à 14 h 00"),
    (MONDAY, (1,), time(9, 30), "1er lundi du mois à 9 h 30"),
    (FRIDAY, (1, 3, LAST), time(14), "1er, 3e et dernier vendredis du mois à 14 h 00"),
    (THURSDAY, (LAST,), time(10), "dernier jeudi du mois à 10 h 00"),
])
def test_the_french_label(weekday, positions, at, label):
    recurrence = MeetingRecurrence(weekday=weekday, positions=positions, start_time=at)
    assert recurrence_label(recurrence) == label


def test_the_rule_in_icalendar_form():
    assert series(positions=(2, LAST)).rrule_text == "FREQ=MONTHLY;BYDAY=2TU,-1TU"


def test_a_form_is_read_with_defaults_and_round_trips():
    recurrence = parse_recurrence({"weekday": "mardi", "positions": "4, 2", "time": "14:00",
                                   "holiday_policy": "move_next_working_day",
                                   "agenda_cap": "15", "other_form_field": "ignored"})
    assert recurrence == MeetingRecurrence(
        weekday=TUESDAY, positions=(2, 4), start_time=time(14), duration_minutes=120,
        timezone="Europe/Paris", holiday_policy=HolidayPolicy.MOVE_NEXT_WORKING_DAY,
        agenda_cap=15, freeze_days_before=3)
    assert parse_recurrence(as_mapping(recurrence)) == recurrence
    assert parse_recurrence({"weekday": 1, "positions": [-1, 2], "time": "9:05"}).positions \
        == (2, LAST)


def test_every_bad_field_is_named_in_french():
    with pytest.raises(ValidationError) as refused:
        parse_recurrence({"weekday": "mardy", "positions": [0, 6], "time": "25:00",
                          "holiday_policy": "postpone", "agenda_cap": 0,
                          "freeze_days_before": 31, "duration_minutes": 5,
                          "timezone": "Mars/Olympus", "holiday_subdivision": "99"})
    fields = refused.value.fields
    assert set(fields) == {"weekday", "positions", "time", "holiday_policy", "agenda_cap",
                           "freeze_days_before", "duration_minutes", "timezone",
                           "holiday_subdivision"}
    assert fields["positions"] == ["Semaines du mois : de 1 à 5, ou -1 pour le dernier."]
    assert fields["time"] == ["Heure attendue au format HH:MM (par exemple 14:00)."]
    assert fields["agenda_cap"] == [
        "Le nombre maximal de situations à l'ordre du jour doit être entre 1 et 100."]
    assert fields["freeze_days_before"] == [
        "Le délai de gel de l'ordre du jour doit être entre 0 et 30 jours."]
    assert "Reportée au jour ouvré suivant" in fields["holiday_policy"][0]


def test_required_fields_are_required():
    with pytest.raises(ValidationError) as refused:
        parse_recurrence({"positions": "", "time": None})
    assert refused.value.fields == {name: ["Ce champ est obligatoire."]
                                    for name in ("weekday", "positions", "time")}


@pytest.mark.parametrize(("field", "value"), [
    ("positions", [2, 2]), ("positions", []), ("positions", "2,x"), ("weekday", 7),
    ("weekday", True), ("agenda_cap", True), ("agenda_cap", 12.5), ("time", "14h00"),
    ("time", "14:60"), ("timezone", "../etc/passwd"),
])
def test_odd_values_are_refused_on_their_field(field, value):
    data = {"weekday": 1, "positions": [2, 4], "time": "14:00", field: value}
    with pytest.raises(ValidationError) as refused:
        parse_recurrence(data)
    assert list(refused.value.fields) == [field]
