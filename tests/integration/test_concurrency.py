"""Concurrent requests on a real database (separate connections, real commits): failures
are all counted and the audit chain never forks, on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from coordination.db import make_engine, make_session_factory
from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.errors import AuthenticationFailed
from coordination.migrate import upgrade_to_head
from coordination.models import AuditEvent, LoginThrottle
from coordination.services import accounts, audit
from coordination.services.accounts import _digest
from tests.conftest import PASSWORD


@pytest.fixture
def shared_db(fresh_database_url, settings):
    upgrade_to_head(fresh_database_url)
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        audit.set_actor(session, audit.AuditActor(None, "test"))
        org = accounts.create_organisation(session, name="DAC 11", type=OrganisationType.DAC)
        accounts.create_user(session, email="alice@dac11.test", full_name="Alice",
                             organisation=org, roles=[Role.COORDINATOR], password=PASSWORD)
    yield factory
    engine.dispose()


def _attempt(factory, settings, password):
    with factory() as session:
        audit.set_actor(session, audit.AuditActor(None, "anonymous", "10.0.0.1"))
        try:
            accounts.issue_api_token(session, settings, "alice@dac11.test", password)
            return "ok"
        except AuthenticationFailed:
            return "refused"


def test_simultaneous_wrong_passwords_are_all_counted_and_none_crashes(shared_db, settings):
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: _attempt(shared_db, settings, "faux"), range(12)))
    assert outcomes == ["refused"] * 12
    with shared_db() as session:
        throttle = session.scalar(select(LoginThrottle).where(
            LoginThrottle.email_key == _digest("alice@dac11.test")))
        assert throttle.locked_until is not None
    assert _attempt(shared_db, settings, PASSWORD) == "refused"  # locked


def test_concurrent_writers_keep_one_unbroken_audit_chain(shared_db, settings):
    def work(index):
        with shared_db() as session:
            audit.set_actor(session, audit.AuditActor(None, f"worker-{index}"))
            for n in range(5):
                audit.record(session, "read", "persons", f"{index}-{n}")
                session.commit()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))
    with shared_db() as session:
        report = audit.verify_chain(session)
    assert report.broken is None and report.checked >= 30


def _open_situation(session, birth_name="Roux", born="1990-02-03"):
    """A person and their situation opened by the coordinator (who is returned too)."""
    from coordination.models import User
    from coordination.services import persons, situations

    audit.set_actor(session, audit.AuditActor(None, "test"))
    alice = session.scalar(select(User))
    person = persons.create_person(session, alice, {
        "birth_name": birth_name, "birth_first_names": "Léa", "birth_date": born, "sex": "F"})
    return alice, situations.open_situation(session, alice, person.id)


def test_two_coordinators_firing_on_the_same_situation_one_wins_the_other_conflicts(
        shared_db):
    """Both loaded version 1; the second write finds the row changed and is refused
    (StaleDataError, answered 409 by the web layer); history holds one transition."""
    from sqlalchemy.orm.exc import StaleDataError

    from coordination.models import Situation, TransitionRecord, User
    from coordination.services import situations

    with shared_db() as session:
        situation_id = _open_situation(session)[1].id

    def load():
        session = shared_db()
        audit.set_actor(session, audit.AuditActor(None, "test"))
        user = session.scalar(select(User))
        situation = session.get(Situation, situation_id)
        session.commit()  # end the read: the other coordinator can now work too
        return session, user, situation

    first, second = load(), load()
    situations.fire_event(first[0], first[1], first[2], "close",
                          fields={"closure_reason": "declined"})
    with pytest.raises(StaleDataError):
        situations.fire_event(second[0], second[1], second[2], "close",
                              fields={"closure_reason": "moved_out"})
    second[0].rollback()
    for session, _, _ in (first, second):
        session.close()
    with shared_db() as session:
        stored = session.get(Situation, situation_id)
        assert (stored.state, stored.closure_reason, stored.version) == ("closed", "declined", 2)
        closes = session.scalars(select(TransitionRecord).where(
            TransitionRecord.situation_id == situation_id, TransitionRecord.event == "close"))
        assert len(list(closes)) == 1
        # the refused write left no audit entry either, and the chain is whole
        entries = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "transition", AuditEvent.object_id == str(situation_id)))
        assert [d for d in entries if d.startswith("close:")] == ["close: draft -> closed"]
        assert audit.verify_chain(session).broken is None


def test_each_transition_moves_the_version_by_one_and_leaves_nothing_to_flush(shared_db):
    """The state is written by a conditional UPDATE: the object returned holds what the
    database holds, and the next transition checks against that version."""
    from coordination.models import Situation
    from coordination.services import situations

    with shared_db() as session:
        alice, situation = _open_situation(session)
        situations.fire_event(session, alice, situation, "close",
                              fields={"closure_reason": "declined"})
        assert not session.dirty and situation.version == 2
        situations.fire_event(session, alice, situation, "reopen", reason="nouvelle demande",
                              expected_version=2)
        assert (situation.state, situation.closure_reason, situation.version) == (
            "reopened", None, 3)
        situation_id = situation.id
    with shared_db() as session:
        stored = session.get(Situation, situation_id)
        assert (stored.state, stored.closure_reason, stored.closed_at, stored.version) == (
            "reopened", None, None, 3)
        assert [r.event for r in stored.history] == ["open", "close", "reopen"]


def test_a_stale_write_through_the_api_answers_409(app, client, auth, personas):
    from sqlalchemy.orm.exc import StaleDataError

    from coordination.web.access import allow

    @allow()
    def stale():
        raise StaleDataError("UPDATE statement on table 'situations' expected to update 1 row")

    app.add_url_rule("/api/v1/stale", "stale", stale)
    response = client.get("/api/v1/stale", headers=auth.token("alice@dac11.test"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "stale_version"


def test_a_hand_edit_and_an_agenda_rebuild_cannot_overwrite_each_other(shared_db):
    """The hourly rebuild and a coordinator reordering the same agenda: whichever read the
    agenda before the other wrote it is refused (StaleDataError: 409 on the web, the next
    hourly run for the scheduler), never a silent mix of two orders."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy.orm.exc import StaleDataError

    from coordination.models import Meeting, User
    from coordination.services import meetings

    paris = ZoneInfo("Europe/Paris")
    with shared_db() as session:
        pairs = [_open_situation(session, name, born)
                 for name, born in (("Roux", "1990-02-03"), ("Fabre", "1975-08-21"))]
        alice, opened_ids = pairs[0][0], [situation.id for _, situation in pairs]
        meeting = meetings.create_meeting(session, alice, {
            "title": "Réunion", "starts_at": (datetime.now(UTC) + timedelta(days=5)).isoformat()},
            paris)
        for situation_id in opened_ids:
            meetings.add_item(session, alice, meeting, situation_id, "À discuter")
        meetings.build_agenda(session, alice, meeting, paris)
        meeting_id = meeting.id

    def opened():
        session = shared_db()
        audit.set_actor(session, audit.AuditActor(None, "test"))
        meeting = session.get(Meeting, meeting_id)
        items = sorted((i for i in meeting.items if i.position), key=lambda i: i.position)
        user = session.scalar(select(User))
        session.commit()  # end the read (SQLite holds its write lock until then)
        return session, user, meeting, items

    editor, rebuild = opened(), opened()
    meetings.move_item(editor[0], editor[1], editor[2], editor[3][1].id, direction="up")
    with pytest.raises(StaleDataError):
        meetings.build_agenda(rebuild[0], None, rebuild[2], paris)
    rebuild[0].rollback()
    editor2, rebuild2 = opened(), opened()
    meetings.build_agenda(rebuild2[0], None, rebuild2[2], paris)
    with pytest.raises(StaleDataError):
        meetings.move_item(editor2[0], editor2[1], editor2[2], editor2[3][0].id,
                           direction="down")
    for session, *_ in (editor, rebuild, editor2, rebuild2):
        session.rollback()
        session.close()
    with shared_db() as session:
        items = sorted((i for i in session.get(Meeting, meeting_id).items if i.position),
                       key=lambda i: i.position)
        assert [i.id for i in items] == [editor[3][1].id, editor[3][0].id]  # the hand order
