"""The generated territory (services/generator.py): the same seed gives the same rows,
timelines hold together, the sizes give their volumes, the distributions are the field's."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from coordination.domain.ruptures import load_taxonomy
from coordination.models import (
    Action,
    Call,
    DirectoryService,
    Person,
    Rupture,
    RuptureCandidate,
    Situation,
    TransitionRecord,
    TriageRecord,
)
from coordination.services import audit, generator

TODAY = date(2026, 6, 15)


def _generate(session_factory, size: str, scale: float, seed: int = 7):
    session = session_factory()
    audit.set_actor(session, audit.AuditActor(None, "test"))
    counts = generator.generate(session, size, seed=seed, today=TODAY, scale=scale)
    return session, counts


def _snapshot(session) -> tuple[list[tuple], ...]:
    return (
        list(session.execute(select(Person.birth_name, Person.first_birth_first_name,
                                    Person.birth_date, Person.commune_insee).order_by(Person.id))),
        list(session.execute(select(TransitionRecord.situation_id, TransitionRecord.event,
                                    TransitionRecord.to_state).order_by(TransitionRecord.id))),
        list(session.execute(select(Rupture.situation_id, Rupture.type, Rupture.occurred_on)
                             .order_by(Rupture.id))),
        list(session.execute(select(Call.caller_name, Call.outcome).order_by(Call.id))),
    )


def test_the_same_seed_gives_the_same_territory(session_factory):
    connection = session_factory.kw["bind"]
    snapshots = []
    for _ in range(2):
        savepoint = connection.begin_nested()
        session, counts = _generate(session_factory, "dac", 0.03)
        assert counts.situations == 60
        snapshots.append(_snapshot(session))
        session.close()
        savepoint.rollback()
    assert snapshots[0] == snapshots[1]
    assert all(snapshots[0])


def test_generating_twice_adds_nothing_the_second_time(session_factory):
    session, first = _generate(session_factory, "dac", 0.02)
    _, second = _generate(session_factory, "dac", 0.02)
    assert first.situations > 0
    assert second == generator.Counts()
    session.close()


def test_rows_added_after_the_generated_ones_get_fresh_ids(session_factory):
    # the generator gives ids itself; on PostgreSQL the sequences must move past them
    from coordination.models import User
    from coordination.services import persons

    session, _ = _generate(session_factory, "dac", 0.01)
    user = session.scalar(select(User).where(User.email.like("coordination.%")))
    person = persons.create_person(session, user, {
        "birth_name": "NOUVEAU", "birth_first_names": "Paul", "birth_date": "1980-02-03",
        "sex": "M"}, force=True, force_reason="test")
    assert person.id > session.scalar(select(func.max(Person.id)).where(Person.id != person.id))
    session.close()


# Created once for the checks below, which only read: keep the tests that write above it
# (on SQLite its open transaction would make them wait).
@pytest.fixture(scope="module")
def region(engine):
    """One small region for the module's read-only checks (creating its accounts is the
    slow part), rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    session, counts = _generate(factory, "region", 0.003)
    yield session, counts
    session.close()
    transaction.rollback()
    connection.close()


def test_region_size_gives_its_volumes_at_a_small_scale(region):
    session, counts = region
    per_dac = round(100_000 * 0.003 / 15)
    assert counts.situations == session.scalar(select(func.count(Situation.id))) == per_dac * 15
    assert counts.calls == round(300_000 * 0.003 / 15) * 15
    assert counts.services == session.scalar(select(func.count(DirectoryService.id))) == 150
    # the reference ratios: ≈ 10 transitions, 3 actions, 1.5 ruptures per situation
    assert 7 <= counts.transitions / counts.situations <= 13
    assert 2 <= counts.actions / counts.situations <= 4.5
    assert 1 <= counts.ruptures / counts.situations <= 2


def test_a_rupture_comes_after_the_action_it_follows(region):
    session, _ = region
    pairs = session.execute(
        select(Rupture.occurred_on, Action.created_at, Action.situation_id,
               Rupture.situation_id)
        .join(RuptureCandidate, RuptureCandidate.rupture_id == Rupture.id)
        .join(Action, Action.id == RuptureCandidate.action_id)).all()
    assert len(pairs) > 50
    for occurred, created, action_situation, rupture_situation in pairs:
        assert action_situation == rupture_situation
        assert occurred > created.date()


def test_each_situation_history_is_a_chain_in_time_order_ending_in_its_state(region):
    session, _ = region
    histories: dict[int, list[TransitionRecord]] = defaultdict(list)
    for record in session.scalars(select(TransitionRecord).order_by(TransitionRecord.id)):
        histories[record.situation_id].append(record)
    for situation in session.scalars(select(Situation)):
        history = histories[situation.id]
        assert history[0].from_state == "" and history[0].to_state == "draft"
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_state == before.to_state
            assert after.occurred_at >= before.occurred_at
        assert history[-1].to_state == situation.state
        call = session.get(Call, situation.origin_call_id)
        assert call.situation_id == situation.id and call.received_at <= situation.created_at
    for rupture in session.scalars(select(Rupture)):
        declared = [r for r in histories[rupture.situation_id] if r.event == "declare_rupture"]
        assert any(r.occurred_at.date() >= rupture.occurred_on for r in declared)


def test_requests_end_mostly_in_coordination_then_orientation(region):
    session, _ = region
    outcomes = Counter(session.scalars(select(TriageRecord.final_outcome)))
    total = sum(outcomes.values())
    coordination = (outcomes["coordination"] + outcomes["meeting"]) / total
    orientation = (outcomes["information"] + outcomes["youth_handover"]) / total
    assert 0.5 <= coordination <= 0.7
    assert 0.12 <= orientation <= 0.28


def test_ruptures_cluster_at_hospital_discharge_and_housing_transitions(region):
    session, _ = region
    types = Counter(session.scalars(select(Rupture.type)))
    top = [kind for kind, _ in types.most_common(2)]
    assert set(top) == {"hospital_discharge_without_follow_up", "no_housing_at_discharge"}


def test_alcohol_goes_with_mood_anxiety_personality_and_cannabis_with_psychosis():
    rng = random.Random(1)
    main: dict[str, Counter[str]] = defaultdict(Counter)
    for _ in range(5_000):
        disorder, _, _, substances = generator.clinical_profile(rng)
        main[disorder][substances[0]] += 1
    for disorder in ("mood", "anxiety", "personality"):
        assert main[disorder].most_common(1)[0][0] == "alcohol"
    assert main["psychotic"].most_common(1)[0][0] == "cannabis"
    overall = sum(main.values(), Counter())
    assert overall.most_common(1)[0][0] == "alcohol"


def test_generated_codes_are_those_of_the_taxonomy():
    taxonomy = load_taxonomy()
    for _, kind, cause, consequence, point, _, action_type in generator.RUPTURE_PROFILES:
        assert kind in taxonomy.codes("types")
        assert cause in taxonomy.codes("causes")
        assert consequence in taxonomy.codes("consequences")
        assert point is None or point in taxonomy.codes("transition_points")
        assert action_type in generator.ACTION_TITLES



def test_every_generated_intake_is_complete_and_valid(region):
    """Situations past the draft were submitted for triage: their intake must hold every
    required answer, in the schema's codes (a new user triages them in the demo)."""
    from coordination.workflows.intake import load_schema

    session, _ = region
    schema = load_schema()
    for situation in session.scalars(select(Situation)):
        assert schema.missing(situation.intake_answers) == [], situation.id
        _, problems = schema.clean(situation.intake_answers)
        assert problems == {}, (situation.id, problems)


def test_an_action_s_organisation_sees_its_situation(region):
    """Confiding an action shares the situation with the assignee (a non-health one under
    the person's consent): a partner finds every action confided to it."""
    from coordination.domain.consent import ConsentKind
    from coordination.models import ConsentRecord, Organisation, SituationShare

    session, _ = region
    shared = {tuple(row) for row in session.execute(
        select(SituationShare.situation_id, SituationShare.organisation_id))}
    consents = {tuple(row) for row in session.execute(
        select(ConsentRecord.person_id, ConsentRecord.organisation_id)
        .where(ConsentRecord.kind == ConsentKind.CONSENT))}
    rows = session.execute(select(Action.situation_id, Action.assignee_organisation_id,
                                  Organisation.is_health_professional_team,
                                  Situation.person_id)
                           .join(Organisation, Organisation.id == Action.assignee_organisation_id)
                           .join(Situation, Situation.id == Action.situation_id)).all()
    assert rows
    from coordination.domain.accounts import OrganisationType

    holders = set(session.scalars(select(Organisation.id).where(
        Organisation.type == OrganisationType.DAC)))  # the DAC holds its own situations
    for situation_id, organisation_id, health, person_id in rows:
        assert (situation_id, organisation_id) in shared
        assert health or organisation_id in holders or (person_id, organisation_id) in consents
