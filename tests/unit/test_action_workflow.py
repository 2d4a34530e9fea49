"""The action lifecycle run by the one engine, without Flask or a database: every (state,
event) pair, who may do what, the notes and coded reasons, and the overdue rule."""

from datetime import date

import pytest

from coordination.workflows.action import (
    ACTION,
    ActionType,
    BlockReason,
    CompletionOutcome,
    due_soon,
    overdue,
)
from coordination.workflows.definition import GuardContext
from coordination.workflows.engine import EventRefused, WorkflowEngine

ENGINE = WorkflowEngine(ACTION)
COORDINATOR = frozenset({"coordinator"})
PARTNER = frozenset({"partner"})
STATES = [s.name for s in ACTION.states]
EVENTS = sorted(ACTION.events)

# Every field an event can need, filled in; the partner belongs to the assignee.
FIELDS = {"completion_note": "RDV obtenu le 12/03 au CSAPA", "block_reason": "no_place"}
FACTS = {"user_in_assignee_organisation": True, "state_before_block": "in_progress"}

EXPECTED = {
    ("open", "start"): "in_progress",
    ("open", "complete"): "done", ("in_progress", "complete"): "done",
    ("open", "block"): "blocked", ("in_progress", "block"): "blocked",
    ("blocked", "unblock"): "in_progress",
    ("open", "cancel"): "cancelled", ("in_progress", "cancel"): "cancelled",
    ("blocked", "cancel"): "cancelled",
    ("done", "reopen"): "open", ("cancelled", "reopen"): "open",
}


def context(state, event, roles=COORDINATOR, fields=None, facts=None, reason="motif"):
    return GuardContext(state=state, event=event, user_roles=roles, reason=reason,
                        fields={**FIELDS, **(fields or {})}, facts={**FACTS, **(facts or {})})


def refusal(state, event, **kwargs):
    with pytest.raises(EventRefused) as refused:
        ENGINE.fire(context(state, event, **kwargs))
    return refused.value


@pytest.mark.parametrize(("state", "event"), [(s, e) for s in STATES for e in EVENTS])
def test_every_state_and_event_pair(state, event):
    expected = EXPECTED.get((state, event))
    if expected is None:
        assert event not in refusal(state, event).allowed
    else:
        assert ENGINE.fire(context(state, event)).dest == expected


def test_unblocking_returns_where_the_action_was():
    assert ENGINE.fire(context("blocked", "unblock",
                               facts={"state_before_block": "open"})).dest == "open"
    # Not known (blocked before the history was kept): back to "À faire", the safe guess.
    assert ENGINE.fire(context("blocked", "unblock",
                               facts={"state_before_block": None})).dest == "open"


def test_the_partner_of_the_assignee_organisation_starts_blocks_and_completes():
    assert ENGINE.fire(context("open", "start", PARTNER)).dest == "in_progress"
    assert ENGINE.fire(context("in_progress", "block", PARTNER)).dest == "blocked"
    assert ENGINE.fire(context("blocked", "unblock", PARTNER)).dest == "in_progress"
    assert ENGINE.fire(context("in_progress", "complete", PARTNER)).dest == "done"


@pytest.mark.parametrize("event", ["start", "complete", "block"])
def test_a_partner_of_another_organisation_is_refused(event):
    refused = refusal("open", event, roles=PARTNER,
                      facts={"user_in_assignee_organisation": False})
    assert refused.reasons == ["Seule l'organisation à qui l'action est confiée, ou la "
                               "coordination, peut la faire avancer."]
    assert refused.allowed == []


@pytest.mark.parametrize(("state", "event"), [("open", "cancel"), ("done", "reopen")])
def test_only_the_coordination_cancels_and_reopens(state, event):
    assert refusal(state, event, roles=PARTNER).reasons == [
        "Votre rôle ne permet pas cette action."]


def test_a_manager_moves_no_action():
    assert refusal("open", "start", roles=frozenset({"manager"}),
                   facts={"user_in_assignee_organisation": False}).reasons[0] \
        == "Votre rôle ne permet pas cette action."


@pytest.mark.parametrize("note", [None, "", "   "])
def test_completing_needs_a_note_saying_what_was_done(note):
    assert refusal("in_progress", "complete", fields={"completion_note": note}).reasons == [
        "Il manque ce qui a été fait (note de réalisation)."]


def test_the_completion_outcome_is_optional_but_must_be_known():
    assert ENGINE.fire(context("open", "complete",
                               fields={"outcome": "other_solution"})).dest == "done"
    assert refusal("open", "complete", fields={"outcome": "magic"}).reasons == [
        "Résultat non prévu : magic."]


def test_blocking_needs_a_coded_reason_and_other_needs_words():
    assert refusal("open", "block", fields={"block_reason": None}).reasons == [
        "Il manque le motif du blocage."]
    assert refusal("open", "block", fields={"block_reason": "trop psy"}).reasons == [
        "Valeur non prévue pour « le motif du blocage » : trop psy."]
    assert refusal("open", "block", fields={"block_reason": "other"}, reason=" ").reasons == [
        "Motif « Autre » : précisez-le en quelques mots."]
    assert ENGINE.fire(context("open", "block", fields={"block_reason": "refused_admission"},
                               reason=None)).dest == "blocked"


@pytest.mark.parametrize(("state", "event"), [("open", "cancel"), ("cancelled", "reopen")])
def test_cancelling_and_reopening_need_a_written_reason(state, event):
    assert refusal(state, event, reason="").reasons == ["Un motif écrit est nécessaire."]


def test_a_done_action_can_only_be_reopened():
    refused = refusal("done", "complete")
    assert refused.reasons == ["Impossible depuis l'état « Réalisée »."]
    assert refused.allowed == ["reopen"]


def test_options_show_a_partner_only_what_they_may_do():
    options = {o.event: o for o in ENGINE.options(context("in_progress", "", PARTNER))}
    assert {e for e, o in options.items() if o.allowed} == {"complete", "block"}
    assert not options["cancel"].allowed
    assert options["complete"].required_fields == ("completion_note",)


def test_the_diagram_names_every_state_and_event():
    diagram = ENGINE.mermaid()
    for name in STATES + EVENTS:
        assert name in diagram


def test_codes_and_french_labels():
    assert [t.value for t in ActionType] == [
        "cmp_appointment", "csapa_appointment", "siao_request", "housing", "rights",
        "home_visit", "gp_contact", "hospitalisation", "other"]
    assert ActionType.SIAO_REQUEST.label == "Demande SIAO"
    assert [r.value for r in BlockReason] == [
        "person_absent", "refused_admission", "no_place", "criteria_not_met",
        "person_refused", "waiting_list", "other"]
    assert BlockReason.REFUSED_ADMISSION.label == "Refus d'admission"
    assert all(o.label for o in CompletionOutcome)


TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(("due_on", "state", "late"), [
    (date(2026, 3, 9), "open", True),
    (date(2026, 3, 9), "in_progress", True),
    (date(2026, 3, 9), "blocked", True),  # blocked is still to be done: a rupture risk
    (date(2026, 3, 10), "open", False),  # due today is not late yet
    (date(2026, 3, 9), "done", False),
    (date(2026, 3, 9), "cancelled", False),
    (None, "open", False),
])
def test_overdue_is_computed(due_on, state, late):
    assert overdue(due_on, state, TODAY) is late


@pytest.mark.parametrize(("due_on", "state", "soon"), [
    (date(2026, 3, 12), "open", True), (date(2026, 3, 10), "in_progress", True),
    (date(2026, 3, 13), "open", False), (date(2026, 3, 9), "open", False),
    (date(2026, 3, 11), "done", False),
])
def test_due_soon_is_the_two_day_reminder(due_on, state, soon):
    assert due_soon(due_on, state, TODAY) is soon


def test_the_partial_index_of_open_actions_names_every_open_state():
    from coordination.models.meetings import OPEN_ACTIONS_SQL
    from coordination.workflows.action import OPEN_STATES

    assert "state IN (" + ", ".join(f"'{s}'" for s in OPEN_STATES) + ")" == OPEN_ACTIONS_SQL
