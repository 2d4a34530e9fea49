"""Retention: closed situations anonymised after the period (observatory counts kept,
idempotent), access-log entries purged with the chain still verifiable, and a person's
access history for their referent coordinator (page and CSV)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text

from coordination.db import utcnow
from coordination.models import AuditEvent, AuditTombstone, Person, Rupture, Situation
from coordination.services import audit, jobs, retention
from tests.integration.test_ruptures_api import RUPTURE
from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


@pytest.fixture
def closed_situation(client, coordinator, db_session):
    """A situation with a rupture, closed 30 months ago."""
    person = client.post("/api/v1/persons", json={
        "birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre", "birth_date": "1971-04-03",
        "sex": "M", "commune_insee": "11069", "phone": "0612345678",
        "caregiver_name": "Marie Lefevre"}, headers=coordinator).get_json()
    client.post(f"/api/v1/persons/{person['id']}/consents",
                json={"kind": "information", "method": "oral"}, headers=coordinator)
    sid = client.post("/api/v1/situations", json={"person_id": person["id"]},
                      headers=coordinator).get_json()["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    declared = client.post(f"/api/v1/situations/{sid}/ruptures", json=RUPTURE,
                           headers=coordinator)
    assert declared.status_code == 201
    situation = db_session.get(Situation, sid)
    situation.state = "closed"
    situation.closed_at = utcnow() - timedelta(days=30 * 30)
    db_session.commit()
    return sid, person["id"]


def _rupture_counts(db_session):
    return db_session.execute(select(Rupture.type, Rupture.cause, Rupture.occurred_on,
                                     func.count()).group_by(
        Rupture.type, Rupture.cause, Rupture.occurred_on)).all()


def test_a_situation_closed_beyond_the_period_is_anonymised_once_counts_kept(
        settings, db_session, closed_situation):
    sid, person_id = closed_situation
    counts = _rupture_counts(db_session)
    first = retention.anonymise_closed_situations(db_session, settings, utcnow())
    assert first.startswith("1 situation(s) et 1 personne")
    person = db_session.get(Person, person_id)
    assert person.birth_name == "ANONYMISÉ" and person.phone is None
    assert person.caregiver_name is None and person.birth_date.isoformat() == "1971-01-01"
    assert person.commune_insee == "11069"  # the territory of the observatory stays
    situation = db_session.get(Situation, sid)
    assert situation.intake_answers == {} and situation.anonymised_at is not None
    rupture = db_session.scalar(select(Rupture).where(Rupture.situation_id == sid))
    assert rupture.description.startswith("[supprimé")
    assert _rupture_counts(db_session) == counts
    again = retention.anonymise_closed_situations(db_session, settings, utcnow())
    assert again.startswith("0 situation(s) et 0 personne")


def test_a_recently_closed_situation_is_kept(settings, db_session, closed_situation):
    sid, _ = closed_situation
    longer = replace(settings, retention_months=48)
    assert retention.anonymise_closed_situations(db_session, longer, utcnow()).startswith("0")
    assert db_session.get(Situation, sid).anonymised_at is None


def test_the_jobs_are_registered_with_the_scheduler():
    names = {job.name for job in jobs.JOBS}
    assert {"anonymise_closed_situations", "purge_audit_trail"} <= names


def _age_entries(db_session, months: int) -> None:
    """Pretend every entry so far is old: rebuild the chain with older dates (the test
    database lets us drop the append-only triggers inside the rolled-back transaction)."""
    bind = db_session.connection()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:  # the table's owner may switch its triggers off inside the transaction
        bind.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        bind.execute(text("DROP TRIGGER audit_events_no_update"))
    old = utcnow() - timedelta(days=31 * months)
    previous = audit.GENESIS_HASH
    for entry in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all():
        digest = _rehash(entry, old, previous)
        bind.execute(text("UPDATE audit_events SET occurred_at = :at, prev_hash = :prev, "
                          "hash = :hash WHERE id = :id"), {
            "at": old.astimezone(UTC).isoformat(sep=" "), "prev": previous, "id": entry.id,
            "hash": digest})
        previous = digest
    if postgresql:
        bind.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    else:
        bind.execute(text("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON "
                          "audit_events BEGIN SELECT RAISE(ABORT, "
                          "'the audit trail is append-only'); END"))
    db_session.expire_all()


def _rehash(entry, occurred_at: datetime, previous: str) -> str:
    copy = AuditEvent(occurred_at=occurred_at, actor_user_id=entry.actor_user_id,
                      actor_label=entry.actor_label, action=entry.action,
                      object_type=entry.object_type, object_id=entry.object_id,
                      changed_fields=entry.changed_fields, detail=entry.detail,
                      remote_addr=entry.remote_addr, prev_hash=previous)
    return audit.chain_hash(copy)


def test_the_purge_removes_old_access_entries_and_the_chain_still_verifies(
        settings, db_session, closed_situation):
    _age_entries(db_session, months=14)
    assert audit.verify_chain(db_session).broken is None
    reads_before = db_session.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action == "read"))
    writes_before = db_session.scalar(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.action == "create"))
    assert reads_before > 0
    result = retention.purge_audit_trail(db_session, settings, utcnow())
    assert "purgée" in result and not result.startswith("0")
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.in_(audit.PURGEABLE_ACTIONS))) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "create")) == writes_before
    assert db_session.scalar(select(func.count()).select_from(AuditTombstone)) >= reads_before
    report = audit.verify_chain(db_session)
    assert report.broken is None, report.broken
    # idempotent: nothing left to purge
    assert retention.purge_audit_trail(db_session, settings, utcnow()).startswith("0")


def test_the_database_still_refuses_deleting_entries_without_tombstone(db_session,
                                                                        closed_situation):
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(delete(AuditEvent).where(AuditEvent.action == "create"))
    db_session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(delete(AuditEvent).where(AuditEvent.action == "read"))
    db_session.rollback()


def test_a_recent_entry_is_not_purged(settings, db_session, closed_situation):
    assert retention.purge_audit_trail(db_session, settings, utcnow()).startswith("0")


def test_the_referent_reads_and_exports_the_access_history(client, auth, personas,
                                                            closed_situation):
    _, person_id = closed_situation
    auth.login("alice@dac11.test")
    client.get(f"/personnes/{person_id}")
    page = client.get(f"/personnes/{person_id}/historique-acces")
    assert page.status_code == 200
    assert "alice@dac11.test" in page.get_data(as_text=True)
    export = client.get(f"/personnes/{person_id}/historique-acces.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.get_data(as_text=True)
    # in the person's words: no table name, no workflow code
    assert "consultation" in body and "situation n°" in body and "identité n°" in body
    assert "persons" not in body and "->" not in body
    assert "name key" not in body


def test_another_coordinator_of_another_dac_cannot_read_it(
        client, auth, make_organisation, make_user, closed_situation):
    from coordination.domain.accounts import OrganisationType, Role

    _, person_id = closed_situation
    make_user("gaelle@dac34.test", make_organisation("DAC 34", OrganisationType.DAC),
              Role.COORDINATOR)
    auth.login("gaelle@dac34.test")
    assert client.get(f"/personnes/{person_id}/historique-acces").status_code == 404
    auth.logout()
    auth.login("bob@csapa.test")
    assert client.get(f"/personnes/{person_id}/historique-acces").status_code == 403


# --- one-off erasure -------------------------------------------------------------------------

def test_an_accepted_erasure_anonymises_the_person_now_and_keeps_the_counts(
        db_session, closed_situation):
    sid, person_id = closed_situation
    counts = _rupture_counts(db_session)
    db_session.get(Situation, sid).closed_at = utcnow() - timedelta(days=3)  # recent
    db_session.commit()
    report = retention.erase_person(db_session, person_id, "Demande n° 2026-14, avis DPO",
                                    utcnow())
    assert (report.situations, report.records) == (1, 1)
    person = db_session.get(Person, person_id)
    assert person.birth_name == "ANONYMISÉ" and person.caregiver_name is None
    assert db_session.get(Situation, sid).intake_answers == {}
    assert _rupture_counts(db_session) == counts
    erased = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "erased"))
    assert erased.object_id == str(person_id) and "DPO" in erased.detail


def test_an_erasure_is_refused_while_a_situation_is_open_and_changes_nothing(
        db_session, closed_situation):
    from coordination.domain.errors import Conflict, NotFound, ValidationError

    sid, person_id = closed_situation
    db_session.get(Situation, sid).state = "in_coordination"
    db_session.commit()
    with pytest.raises(Conflict, match=f"n° {sid}"):
        retention.erase_person(db_session, person_id, "Demande", utcnow())
    db_session.rollback()
    assert db_session.get(Person, person_id).birth_name == "LEFEVRE"
    with pytest.raises(ValidationError):
        retention.erase_person(db_session, person_id, "   ", utcnow())
    with pytest.raises(NotFound):
        retention.erase_person(db_session, 999_999, "Demande", utcnow())


def test_an_erasure_reaches_records_merged_through_a_chain(db_session, personas):
    """A merged into B, then B into C: erasing C erases A's identity too."""
    from coordination.services import persons

    alice = personas["coordinator"]
    ids = [persons.create_person(db_session, alice, {
        "birth_name": name, "birth_first_names": "Jean", "birth_date": "1971-04-03",
        "sex": "M"}, force=True, force_reason="autre personne").id
        for name in ("LEFEVRE", "LEFEBVRE", "LEFEVRES")]
    persons.merge_persons(db_session, alice, ids[1], ids[0], "même personne")
    persons.merge_persons(db_session, alice, ids[2], ids[1], "même personne")
    report = retention.erase_person(db_session, ids[2], "Demande 14", utcnow())
    assert report.records == 3
    assert {db_session.get(Person, i).birth_name for i in ids} == {"ANONYMISÉ"}
