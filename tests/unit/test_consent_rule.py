"""Who may see a person's situation: opposition, information, health team, consent."""

import itertools

import pytest

from coordination.domain.consent import SharingFacts, sharing_decision


def decide(**facts):
    base = dict(informed=True, opposition=False, organisation_is_health_team=True,
                consent_for_organisation=False)
    return sharing_decision(SharingFacts(**{**base, **facts}))


def test_a_health_team_sees_an_informed_person_who_did_not_object():
    assert decide().allowed


def test_a_non_health_organisation_needs_a_consent_naming_it():
    assert not decide(organisation_is_health_team=False).allowed
    assert decide(organisation_is_health_team=False, consent_for_organisation=True).allowed


def test_nothing_is_shared_before_the_person_is_informed():
    assert not decide(informed=False).allowed


@pytest.mark.parametrize(("informed", "health", "consent"),
                         list(itertools.product([True, False], repeat=3)))
def test_an_opposition_blocks_every_sharing_whatever_else_is_recorded(informed, health,
                                                                     consent):
    decision = decide(opposition=True, informed=informed, organisation_is_health_team=health,
                      consent_for_organisation=consent)
    assert not decision.allowed and "opposée" in decision.reason


def test_health_details_go_to_health_teams_and_under_a_consent_covering_them():
    from coordination.domain.consent import may_see_health_details

    assert may_see_health_details(organisation_is_health_team=True,
                                  consent_covers_health_details=False)
    assert may_see_health_details(organisation_is_health_team=False,
                                  consent_covers_health_details=True)
    assert not may_see_health_details(organisation_is_health_team=False,
                                      consent_covers_health_details=False)


def test_the_intake_withholds_health_details_and_names_every_field_that_may_hold_one():
    from coordination.workflows.intake import load_schema

    schema = load_schema()
    answers = {"housing_status": "none", "psychiatric_disorder": "suspected",
               "substances": [], "suicide_risk": "high",
               "domains": ["psychiatric", "housing", "addiction"]}
    kept, withheld = schema.withhold_health_details(answers)
    assert kept == {"housing_status": "none", "domains": ["housing"]}
    # every field that may hold a health detail, answered or not: naming only the
    # answered ones would tell that the person has, say, substances recorded
    assert withheld == sorted(schema.health_detail_fields)
    assert schema.withhold_health_details({})[1] == withheld
    assert {"psychiatric_disorder", "substances", "disability", "violence_trauma",
            "suicide_risk", "risks_notes", "domains", "request_reason", "isolation_details",
            "caregiver_exhaustion_details", "current_supports_other",
            "agreement_notes", "current_supports",  # the CSAPA that follows tells too
            "recent_discharge_without_follow_up",
            "requester_name", "requester_organisation",  # may name a care service
            } == schema.health_detail_fields
    assert schema.withhold_health_details({"domains": ["housing"]})[0] == {
        "domains": ["housing"]}


def test_a_schema_with_a_split_choice_is_refused_and_the_shipped_one_is_whole():
    import pytest
    import yaml

    from coordination.workflows.intake import load_schema, parse_schema

    housing = load_schema().fields["housing_status"]
    assert dict(housing.choices)["threatened"] == "Menacé (expulsion, fin de bail)"
    broken = yaml.safe_load("""
version: x
title: t
sections:
  - id: s
    label: S
    fields:
      - {id: housing, label: L, type: choice, choices: {a: Menacé (expulsion, fin de bail)}}
""")
    with pytest.raises(ValueError, match="housing"):
        parse_schema(broken)
