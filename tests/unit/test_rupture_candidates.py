"""Rupture candidates: each rule raises on its fact and at its threshold, not before; the
same fact gives the same key on every sweep, a new occurrence a new key; suggestions are
codes of the shipped taxonomy."""

from datetime import date, datetime, timedelta

import pytest

from coordination.domain.rupture_candidates import (
    SUGGESTIONS,
    ActionFacts,
    CandidateThresholds,
    SituationFacts,
    detect_candidates,
    discharge_without_follow_up,
    handover_without_receiver,
    overdue_action,
    refused_or_blocked_action,
    stale_situation,
)
from coordination.domain.ruptures import load_taxonomy
from coordination.workflows.complex_case import ACTIVE_STATES

TODAY = date(2026, 11, 20)
DEFAULTS = CandidateThresholds()


def days_ago(n):
    return TODAY - timedelta(days=n)


def situation(**facts):
    return SituationFacts(**{"id": 12, "state": "in_coordination",
                             "last_event_at": days_ago(1), **facts})


def action(**facts):
    return ActionFacts(**{"id": 7, "situation_id": 12, "state": "open",
                          "due_on": days_ago(0), **facts})


def test_the_defaults_are_45_days_of_silence_and_14_days_of_delay():
    assert (DEFAULTS.stale_after_days, DEFAULTS.overdue_after_days) == (45, 14)


@pytest.mark.parametrize("bad", [{"stale_after_days": 0}, {"overdue_after_days": -1},
                                 {"stale_after_days": "45"}, {"overdue_after_days": True},
                                 {"discharge_follow_up_days": -2}])
def test_thresholds_that_make_no_sense_are_refused(bad):
    with pytest.raises(ValueError):
        CandidateThresholds(**bad)


# --- stale situation --------------------------------------------------------------------------

def test_an_active_situation_silent_for_45_days_raises_a_candidate():
    candidate = stale_situation(situation(last_event_at=days_ago(45)), TODAY, DEFAULTS)
    assert candidate.rule == "stale_situation"
    assert candidate.key == "stale_situation:situation:12:2026-10-06"
    assert candidate.situation_id == 12 and candidate.action_id is None
    assert candidate.occurred_on == date(2026, 10, 6)
    assert "45 jours" in candidate.explanation and "06/10/2026" in candidate.explanation


def test_44_days_of_silence_is_not_yet_a_candidate():
    assert stale_situation(situation(last_event_at=days_ago(44)), TODAY, DEFAULTS) is None


def test_the_last_event_may_be_a_moment_in_the_day():
    facts = situation(last_event_at=datetime(2026, 10, 6, 17, 30))
    assert stale_situation(facts, TODAY, DEFAULTS).key.endswith(":2026-10-06")


@pytest.mark.parametrize("state", ["draft", "in_rupture", "closed"])
def test_a_situation_not_active_is_never_stale(state):
    assert state not in ACTIVE_STATES
    assert stale_situation(situation(state=state, last_event_at=days_ago(400)),
                           TODAY, DEFAULTS) is None


def test_a_team_can_ask_for_a_shorter_silence():
    thresholds = CandidateThresholds(stale_after_days=30)
    assert stale_situation(situation(last_event_at=days_ago(30)), TODAY, thresholds)


def test_the_same_silence_gives_the_same_key_on_every_sweep_and_a_new_one_after_an_event():
    silent = situation(last_event_at=days_ago(50))
    first = stale_situation(silent, TODAY, DEFAULTS)
    later = stale_situation(silent, TODAY + timedelta(days=30), DEFAULTS)
    assert first.key == later.key
    after_new_event = situation(last_event_at=TODAY)
    again = stale_situation(after_new_event, TODAY + timedelta(days=60), DEFAULTS)
    assert again.key != first.key


# --- actions ----------------------------------------------------------------------------------

def test_an_action_overdue_by_14_days_raises_a_candidate():
    candidate = overdue_action(action(due_on=days_ago(14)), TODAY, DEFAULTS)
    assert candidate.key == "overdue_action:action:7:2026-11-06"
    assert (candidate.situation_id, candidate.action_id) == (12, 7)
    assert "14 jours" in candidate.explanation


def test_an_action_overdue_by_13_days_is_not_yet_a_candidate():
    assert overdue_action(action(due_on=days_ago(13)), TODAY, DEFAULTS) is None


@pytest.mark.parametrize("state", ["done", "cancelled", "blocked"])
def test_a_finished_action_is_never_overdue(state):
    assert overdue_action(action(state=state, due_on=days_ago(100)), TODAY, DEFAULTS) is None


def test_an_action_without_due_date_is_never_overdue():
    assert overdue_action(action(due_on=None), TODAY, DEFAULTS) is None


def test_a_postponed_due_date_missed_again_is_a_new_candidate():
    first = overdue_action(action(due_on=days_ago(40)), TODAY, DEFAULTS)
    same_later = overdue_action(action(due_on=days_ago(40)), TODAY + timedelta(days=3), DEFAULTS)
    postponed = overdue_action(action(due_on=days_ago(20)), TODAY, DEFAULTS)
    assert first.key == same_later.key != postponed.key


def test_an_action_refused_by_the_service_raises_a_candidate():
    facts = action(state="cancelled", closed_as="refused", closed_on=days_ago(2))
    candidate = refused_or_blocked_action(facts, TODAY, DEFAULTS)
    assert candidate.rule == "action_refused"
    assert candidate.key == "action_refused:action:7:2026-11-18"
    assert candidate.suggested_type == "admission_refused_other"


def test_a_blocked_action_raises_a_candidate():
    facts = action(state="blocked", closed_as="blocked", closed_on=days_ago(0))
    assert refused_or_blocked_action(facts, TODAY, DEFAULTS).rule == "action_blocked"


def test_an_action_closed_normally_raises_nothing():
    assert refused_or_blocked_action(action(state="done"), TODAY, DEFAULTS) is None


def test_refused_without_its_date_is_a_programming_error():
    with pytest.raises(ValueError):
        ActionFacts(id=1, situation_id=1, state="cancelled", closed_as="refused")
    with pytest.raises(ValueError):
        ActionFacts(id=1, situation_id=1, state="done", closed_as="done", closed_on=TODAY)


# --- closures and discharges ------------------------------------------------------------------

def test_a_hand_over_to_nobody_raises_a_candidate():
    facts = situation(state="closed", closure_reason="handed_over", closed_on=days_ago(3))
    candidate = handover_without_receiver(facts, TODAY, DEFAULTS)
    assert candidate.key == "handover_without_receiver:situation:12:2026-11-17"
    assert candidate.suggested_type == "end_of_care_without_handover"


@pytest.mark.parametrize("facts", [
    {"state": "closed", "closure_reason": "handed_over", "receiving_service_known": True},
    {"state": "closed", "closure_reason": "resolved"},
    {"state": "in_coordination", "closure_reason": "handed_over"},
])
def test_a_hand_over_to_a_named_service_or_another_closure_raises_nothing(facts):
    assert handover_without_receiver(situation(closed_on=TODAY, **facts), TODAY,
                                     DEFAULTS) is None


def test_a_discharge_without_follow_up_appointment_raises_a_candidate():
    facts = situation(discharged_on=days_ago(1))
    candidate = discharge_without_follow_up(facts, TODAY, DEFAULTS)
    assert candidate.key == "discharge_without_follow_up:situation:12:2026-11-19"
    assert candidate.suggested_type == "hospital_discharge_without_follow_up"
    assert candidate.occurred_on == days_ago(1)


@pytest.mark.parametrize("facts", [
    {"discharged_on": date(2026, 11, 19), "follow_up_appointment_recorded": True},
    {"discharged_on": None},
    {"discharged_on": date(2026, 11, 25)},
    {"discharged_on": date(2026, 11, 19), "state": "closed"},
    {"discharged_on": date(2026, 11, 19), "state": "draft"},
])
def test_a_discharge_with_follow_up_or_no_discharge_raises_nothing(facts):
    assert discharge_without_follow_up(situation(**facts), TODAY, DEFAULTS) is None


def test_a_team_can_wait_a_few_days_for_the_appointment_to_be_recorded():
    thresholds = CandidateThresholds(discharge_follow_up_days=3)
    assert discharge_without_follow_up(situation(discharged_on=days_ago(2)), TODAY,
                                       thresholds) is None
    assert discharge_without_follow_up(situation(discharged_on=days_ago(3)), TODAY, thresholds)


# --- the sweep --------------------------------------------------------------------------------

def test_a_sweep_finds_every_rule_once_and_twice_the_same_keys():
    situations = [situation(id=1, last_event_at=days_ago(60)),
                  situation(id=2, discharged_on=days_ago(1)),
                  situation(id=3, state="closed", closure_reason="handed_over",
                            closed_on=days_ago(1), last_event_at=days_ago(1)),
                  situation(id=4)]
    actions = [action(id=10, situation_id=4, due_on=days_ago(20)),
               action(id=11, situation_id=4, state="cancelled", closed_as="refused",
                      closed_on=days_ago(5)),
               action(id=12, situation_id=4, due_on=days_ago(2))]
    found = detect_candidates(situations, actions, TODAY)
    assert sorted(c.rule for c in found) == sorted([
        "stale_situation", "discharge_without_follow_up", "handover_without_receiver",
        "overdue_action", "action_refused"])
    again = detect_candidates(situations, actions, TODAY + timedelta(days=1))
    assert {c.key for c in again} == {c.key for c in found}


def test_a_situation_that_is_both_stale_and_discharged_gets_two_distinct_candidates():
    facts = situation(last_event_at=days_ago(50), discharged_on=days_ago(50))
    keys = [c.key for c in detect_candidates([facts], [], TODAY)]
    assert len(keys) == len(set(keys)) == 2


@pytest.mark.parametrize("rule", sorted(SUGGESTIONS))
def test_every_suggestion_is_a_code_of_the_shipped_taxonomy(rule):
    taxonomy = load_taxonomy()
    suggested_type, suggested_cause = SUGGESTIONS[rule]
    assert suggested_type in taxonomy.codes("types")
    assert suggested_cause is None or suggested_cause in taxonomy.codes("causes")
