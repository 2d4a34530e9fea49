"""The logigramme: the shipped tree is valid and decides as the partnership wrote it;
broken trees are refused with every problem named by node."""

import copy

import pytest

from coordination.services.logigrammes import shipped_document, validate
from coordination.workflows.logigramme import LogigrammeInvalid

BASE = {"imminent_danger": False, "suicide_risk": "none", "person.age": 45,
        "discharge_blocked": False, "domains": ["housing"]}


@pytest.fixture(scope="module")
def shipped():
    return validate(shipped_document())


@pytest.mark.parametrize(("answers", "outcome"), [
    ({"imminent_danger": True}, "emergency"),
    ({"suicide_risk": "high"}, "emergency"),
    ({"person.age": 19}, "youth_handover"),
    ({"discharge_blocked": True}, "meeting"),
    ({"domains": ["psychiatric", "addiction", "housing"]}, "meeting"),
    ({"domains": ["housing", "rights_resources", "isolation"]}, "coordination"),
    ({"domains": ["housing", "rights_resources"]}, "assessment"),
    ({"domains": ["housing"]}, "information"),
])
def test_the_shipped_logigramme_decides(shipped, answers, outcome):
    assert shipped.evaluate({**BASE, **answers}).outcome.id == outcome


def test_the_path_explains_the_decision(shipped):
    decision = shipped.evaluate({**BASE, "person.age": 19})
    assert [(s.node, s.value, s.result) for s in decision.path] == [
        ("danger", False, False), ("suicide", "none", False), ("youth", 19, True)]
    assert decision.version == "2026.1"


def test_the_same_answers_always_take_the_same_path(shipped):
    first = shipped.evaluate(BASE).path_json()
    assert all(shipped.evaluate(BASE).path_json() == first for _ in range(10))


def broken(mutate):
    document = copy.deepcopy(shipped_document())
    mutate(document)
    with pytest.raises(LogigrammeInvalid) as invalid:
        validate(document)
    return invalid.value.problems


def test_a_cycle_is_refused_naming_the_node():
    problems = broken(lambda d: d["nodes"]["two_domains"].update({"no": "danger"}))
    assert any("danger : cycle" in p for p in problems)


def test_a_field_missing_from_the_intake_is_refused():
    problems = broken(lambda d: d["nodes"]["danger"].update({"field": "astrology"}))
    assert any("danger" in p and "astrology" in p for p in problems)


def test_a_wrong_test_is_one_problem_said_as_the_admin_wrote_it():
    """A node whose test is wrong is not also reported as missing where a branch leads to
    it; values are quoted as written, not in Python's notation."""
    problems = broken(lambda d: d["nodes"]["suicide"].update({"test": {"equals": "tres_haut"}}))
    assert len(problems) == 1
    assert "« tres_haut »" in problems[0] and "['" not in problems[0]
    assert "possibles : none, moderate, high" in problems[0]


def test_a_branch_to_nowhere_is_refused():
    problems = broken(lambda d: d["nodes"]["youth"].update({"yes": "limbo"}))
    assert any("youth" in p and "limbo" in p for p in problems)


def test_an_outcome_without_a_workflow_event_is_refused():
    problems = broken(lambda d: d["outcomes"]["meeting"].update({"event": "party"}))
    assert any("meeting" in p and "party" in p for p in problems)


def test_unreachable_nodes_and_outcomes_are_refused():
    def mutate(d):
        d["nodes"]["orphan"] = {"question": "?", "field": "lives_alone",
                                "test": {"equals": True}, "yes": "meeting", "no": "meeting"}
        d["outcomes"]["nowhere"] = {"label": "x", "event": "orient"}
    problems = broken(mutate)
    assert any("orphan" in p and "inaccessible" in p for p in problems)
    assert any("nowhere" in p for p in problems)


def test_an_operator_that_does_not_fit_the_field_type_is_refused():
    problems = broken(lambda d: d["nodes"]["danger"].update({"test": {"less_than": 3}}))
    assert any("danger" in p and "less_than" in p for p in problems)


def test_a_value_outside_the_fields_choices_is_refused():
    problems = broken(lambda d: d["nodes"]["suicide"].update({"test": {"equals": "extreme"}}))
    assert any("suicide" in p and "extreme" in p for p in problems)


def test_every_problem_is_listed_at_once():
    def mutate(d):
        d["nodes"]["danger"]["field"] = "astrology"
        d["outcomes"]["meeting"]["event"] = "party"
    assert len(broken(mutate)) >= 2


def test_a_document_that_is_not_a_tree_is_refused():
    with pytest.raises(LogigrammeInvalid):
        validate(["not", "a", "tree"])
    with pytest.raises(LogigrammeInvalid):
        validate({"version": "x"})


def test_a_test_value_of_the_wrong_type_is_refused():
    problems = broken(lambda d: d["nodes"]["youth"].update({"test": {"less_than": "vingt"}}))
    assert any("youth" in p and "entier" in p for p in problems)
    problems = broken(lambda d: d["nodes"]["danger"].update({"test": {"equals": "vrai"}}))
    assert any("danger" in p and "true ou false" in p for p in problems)


def test_an_outcome_whose_event_cannot_follow_a_triage_is_refused():
    problems = broken(lambda d: d["outcomes"]["assessment"].update({"event": "close"}))
    assert any("assessment" in p and "close" in p for p in problems)


def test_a_non_text_intake_version_is_refused_not_a_crash():
    problems = broken(lambda d: d.update({"intake_version": ["x"]}))
    assert problems


def test_a_test_reads_in_the_words_of_the_form(shipped):
    from coordination.workflows.intake import load_schema
    from coordination.workflows.logigramme import describe_test

    schema = load_schema()
    words = {node.id: describe_test(node, schema) for node in shipped.nodes.values()}
    assert words["suicide"] == "Risque suicidaire = Élevé"
    assert words["youth"].endswith("< 21 ans") and "equals" not in " ".join(words.values())
