"""The complex-case workflow and its engine, without Flask or a database: every
(state, event) pair, the guards, and random sequences of events."""

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordination.workflows.complex_case import ACTIVE_STATES, COMPLEX_CASE
from coordination.workflows.definition import GuardContext
from coordination.workflows.engine import EventRefused, UnknownEvent, WorkflowEngine

ENGINE = WorkflowEngine(COMPLEX_CASE)
COORDINATOR = frozenset({"coordinator"})
STATES = [s.name for s in COMPLEX_CASE.states]
EVENTS = sorted(COMPLEX_CASE.events)

# Everything a guard could ask for, satisfied (state_before_rupture set per test).
ALL_GOOD = {"intake_missing_fields": [], "person_informed": True, "has_triage": True,
            "open_actions": 0, "open_rupture": True}
FIELDS = {"closure_reason": "resolved"}

# The expected table: (state, event) -> destination, for every pair the design allows.
EXPECTED = {
    ("draft", "submit_for_triage"): "to_triage", ("reopened", "submit_for_triage"): "to_triage",
    ("to_triage", "orient"): "oriented", ("in_assessment", "orient"): "oriented",
    ("to_triage", "redirect_emergency"): "emergency_redirected",
    ("in_assessment", "redirect_emergency"): "emergency_redirected",
    ("in_coordination", "redirect_emergency"): "emergency_redirected",
    ("to_triage", "start_assessment"): "in_assessment",
    ("to_triage", "schedule_meeting"): "awaiting_meeting",
    ("in_assessment", "schedule_meeting"): "awaiting_meeting",
    ("to_triage", "start_coordination"): "in_coordination",
    ("in_assessment", "start_coordination"): "in_coordination",
    ("awaiting_meeting", "meeting_decision"): "in_coordination",
    ("in_coordination", "request_review"): "awaiting_meeting",
    ("closed", "reopen"): "reopened",
    **{(state, "declare_rupture"): "in_rupture" for state in ACTIVE_STATES},
    **{(state, "close"): "closed" for state in STATES if state != "closed"},
}


def context(state, event, facts=None, reason="motif", fields=FIELDS, roles=COORDINATOR):
    return GuardContext(state=state, event=event, user_roles=roles, reason=reason,
                        fields=fields, facts={**ALL_GOOD, **(facts or {})})


@pytest.mark.parametrize(("state", "event"), [(s, e) for s in STATES for e in EVENTS])
def test_every_state_and_event_pair(state, event):
    if event == "resolve_rupture":
        facts = {"open_rupture": False, "state_before_rupture": "in_coordination"}
        expected = "in_coordination" if state == "in_rupture" else None
    else:
        facts = {}
        expected = EXPECTED.get((state, event))
    if expected is None:
        with pytest.raises(EventRefused) as refused:
            ENGINE.fire(context(state, event, facts))
        assert event not in refused.value.allowed
    else:
        assert ENGINE.fire(context(state, event, facts)).dest == expected


def test_an_unknown_event_is_not_a_refusal_but_unknown():
    with pytest.raises(UnknownEvent):
        ENGINE.fire(context("draft", "teleport"))


@pytest.mark.parametrize(("facts", "reason_part"), [
    ({"intake_missing_fields": ["domains"]}, "Fiche de recueil incomplète : domains"),
    ({"person_informed": False}, "information de la personne"),
])
def test_no_triage_before_the_intake_and_the_information(facts, reason_part):
    with pytest.raises(EventRefused) as refused:
        ENGINE.fire(context("draft", "submit_for_triage", facts))
    assert any(reason_part in r for r in refused.value.reasons)
    assert refused.value.allowed == ["close"]


def test_no_closing_with_open_actions_unless_cancelled_in_the_same_step():
    with pytest.raises(EventRefused):
        ENGINE.fire(context("in_coordination", "close", {"open_actions": 2}))
    done = ENGINE.fire(context("in_coordination", "close", {"open_actions": 2},
                               fields={**FIELDS, "cancel_open_actions": True}))
    assert done.dest == "closed"


def test_closing_with_open_actions_is_offered_since_its_form_can_cancel_them():
    """The close form has the 'cancel the open actions' box: the option is open (the
    refusal comes only if the box is left unticked)."""
    options = {o.event: o for o in ENGINE.options(context("in_coordination", "",
                                                          {"open_actions": 2}))}
    assert options["close"].allowed


def test_a_rupture_returns_the_situation_where_it_was():
    for state in ACTIVE_STATES:
        facts = {"open_rupture": False, "state_before_rupture": state}
        assert ENGINE.fire(context("in_rupture", "resolve_rupture", facts)).dest == state


def test_a_partner_may_declare_a_rupture_but_not_close():
    partner = frozenset({"partner"})
    assert ENGINE.fire(context("in_coordination", "declare_rupture",
                               roles=partner)).dest == "in_rupture"
    with pytest.raises(EventRefused) as refused:
        ENGINE.fire(context("in_coordination", "close", roles=partner))
    assert "rôle" in refused.value.reasons[0]


def test_options_list_every_leaving_event_with_its_reasons():
    options = {o.event: o for o in ENGINE.options(context("draft", "", {
        "intake_missing_fields": ["domains"]}))}
    assert set(options) == {"submit_for_triage", "close"}
    assert not options["submit_for_triage"].allowed and options["close"].allowed
    assert options["close"].required_fields == ("closure_reason",)


def test_the_engine_keeps_no_reference_to_what_it_moved():
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(2000):
        ENGINE.fire(context("to_triage", "start_assessment"))
    gc.collect()
    assert len(gc.get_objects()) - before < 200
    assert ENGINE._machine.models == []


def test_the_diagram_names_every_state_and_event():
    diagram = ENGINE.mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for state in STATES:
        assert state in diagram
    for event in EVENTS:
        assert event in diagram


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(EVENTS), st.booleans(), st.booleans()),
                max_size=30))
def test_random_event_sequences_only_reach_allowed_states_and_replay(steps):
    """Whatever is tried, the state stays one of the design's, every accepted transition is
    in the table, and replaying the accepted events gives the same final state."""
    state, before_rupture, history = "draft", None, []
    for event, intake_ok, rupture_open in steps:
        facts = {"intake_missing_fields": [] if intake_ok else ["domains"],
                 "open_rupture": rupture_open, "state_before_rupture": before_rupture}
        try:
            outcome = ENGINE.fire(context(state, event, facts))
        except EventRefused:
            continue
        assert outcome.dest in STATES
        if event == "resolve_rupture":
            assert outcome.dest == before_rupture
        else:
            assert EXPECTED[(state, event)] == outcome.dest
        before_rupture = state if event == "declare_rupture" else (
            None if event == "resolve_rupture" else before_rupture)
        history.append((state, event, outcome.dest))
        state = outcome.dest
    replayed = "draft"
    for source, _event, dest in history:
        assert source == replayed
        replayed = dest
    assert replayed == state


def test_the_workflow_is_drawn_as_svg_with_every_state():
    from coordination.workflows.diagram import workflow_svg

    svg = workflow_svg(COMPLEX_CASE)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for state in COMPLEX_CASE.states:
        assert f">{state.name}</text>" in svg
    assert svg.count("<line") + svg.count("<path d=\"M ") >= len(EXPECTED) // 3
