"""The rules of a logged call, without Flask or a database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordination.domain.calls import (
    CallerType,
    CallOutcome,
    Channel,
    clean_call,
    format_duration,
    parse_duration,
    phone_key,
)
from coordination.domain.errors import ValidationError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MOTIVES = {"housing", "addiction", "orientation"}


def clean(**data):
    return clean_call({"caller_name": "Dr Pujol", "motives": ["housing"], **data}, now=NOW,
                      zone=PARIS, motive_codes=MOTIVES)


def refusal(**data) -> dict:
    with pytest.raises(ValidationError) as caught:
        clean(**data)
    return caught.value.fields


def test_a_typical_call_gets_defaults_for_what_was_not_said():
    call = clean(caller_phone=" 06 12 34 56 78 ")
    assert call["received_at"] == NOW
    assert call["channel"] is Channel.PHONE and call["caller_type"] is CallerType.PROFESSIONAL
    assert call["outcome"] is CallOutcome.INFORMATION
    assert call["caller_phone"] == "06 12 34 56 78" and call["motives"] == ["housing"]


def test_missing_caller_and_motive_are_both_named():
    errors = refusal(caller_name="  ", motives=[])
    assert set(errors) == {"caller_name", "motives"}
    assert "obligatoire" in errors["caller_name"][0]


def test_a_call_in_the_future_is_refused_beyond_five_minutes_of_clock_drift():
    assert clean(received_at=(NOW + timedelta(minutes=4)).isoformat())["received_at"] \
        == NOW + timedelta(minutes=4)
    assert "futur" in refusal(received_at=(NOW + timedelta(minutes=6)).isoformat())[
        "received_at"][0]


def test_a_callback_before_the_call_itself_is_refused():
    assert "avant l'appel" in refusal(callback_due_at="2026-11-22T09:00")[
        "callback_due_at"][0]  # 08:00 UTC, two hours before the call
    assert clean(callback_due_at="2026-11-22T14:00")["callback_due_at"] == \
        datetime(2026, 11, 22, 13, 0, tzinfo=UTC)


def test_a_local_time_without_offset_is_read_in_the_deployment_zone():
    call = clean(received_at="2026-11-22T09:30")
    assert call["received_at"] == datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("value,message", [(-1, "négative"), ("12", "entier"),
                                           (True, "entier"), (7 * 3600, "Six heures")])
def test_bad_durations_are_refused(value, message):
    assert message in refusal(duration_seconds=value)["duration_seconds"][0]


def test_unknown_codes_are_named_with_the_allowed_values():
    errors = refusal(channel="fax", caller_type="robot", outcome="lost", motives=["weather"])
    assert "phone" in errors["channel"][0] and "family" in errors["caller_type"][0]
    assert "orientation" in errors["outcome"][0] and "weather" in errors["motives"][0]


def test_an_orientation_names_services_and_a_link_names_the_situation():
    assert "service" in refusal(outcome="orientation")["service_ids"][0]
    assert "situation" in refusal(outcome="linked_situation")["situation_id"][0]
    assert "situation" in refusal(outcome="situation_opened")["outcome"][0]
    assert clean(outcome="orientation", service_ids=[3, 3, 4])["service_ids"] == [3, 4]
    assert "Liste" in refusal(service_ids=["x"])["service_ids"][0]


def test_text_limits_and_types():
    assert "200" in refusal(caller_name="x" * 201)["caller_name"][0]
    assert "Texte" in refusal(notes=12)["notes"][0]


@pytest.mark.parametrize("text,seconds", [("4:30", 270), ("0:45", 45), ("12", 720),
                                          ("1h05", 3900), ("", None), ("4:75", None),
                                          ("-3", None), ("abc", None)])
def test_durations_read_as_coordinators_type_them(text, seconds):
    assert parse_duration(text) == seconds


def test_duration_is_shown_as_minutes_and_seconds():
    assert format_duration(270) == "4:30" and format_duration(None) == ""
    assert format_duration(3900) == "1h05" and parse_duration("1h05") == 3900


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78",
                                   "0033612345678"])
def test_every_writing_of_a_number_is_the_same_caller(phone):
    assert phone_key(phone) == "0612345678"


def test_a_typed_duration_is_read_and_a_bad_one_named():
    assert clean(duration="4:30")["duration_seconds"] == 270
    assert "négative" in refusal(duration="-2")["duration"][0]


def test_the_name_is_taken_from_the_callers_description_of_the_person():
    from coordination.domain.calls import name_in_label

    assert name_in_label("Gérard Roche, 58 ans, Narbonne") == "Gérard Roche"
    assert name_in_label("M. Roche 58 ans") == "Roche"
    assert name_in_label("") is None and name_in_label(None) is None
