"""The audit trail: one hook records writes and reads, entries exist only for committed
changes, and the hash chain reveals any tampering."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from coordination.models import AuditEvent
from coordination.services import audit
from coordination.services.audit import GENESIS_HASH, verify_chain


def entries(session):
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_creating_a_user_is_audited_with_its_fields_and_actor(db_session, personas):
    created = [e for e in entries(db_session) if e.action == "create"]
    alice = personas["coordinator"]
    entry = next(e for e in created
                 if e.object_type == "users" and e.object_id == str(alice.id))
    assert entry.actor_label == "test"
    assert {"email", "full_name", "password_hash"} <= set(entry.changed_fields)


def test_an_update_records_only_the_changed_fields(db_session, personas):
    alice = personas["coordinator"]
    alice.full_name = "Alice Durand"
    db_session.commit()
    last = entries(db_session)[-1]
    assert (last.action, last.object_id, last.changed_fields) == ("update", str(alice.id),
                                                                  ["full_name"])


def test_a_rolled_back_change_leaves_no_audit_entry(db_session, personas):
    before = len(entries(db_session))
    personas["coordinator"].full_name = "Jamais enregistré"
    db_session.flush()
    db_session.rollback()
    assert len(entries(db_session)) == before


def test_reads_are_recorded_with_the_reader_and_address(db_session, personas):
    audit.set_actor(db_session, audit.AuditActor(7, "reader@dac11.test", "10.0.0.8"))
    audit.record_read(db_session, personas["csapa_partner"], detail="fiche")
    db_session.commit()
    last = entries(db_session)[-1]
    assert (last.action, last.actor_user_id, last.remote_addr, last.detail) == (
        "read", 7, "10.0.0.8", "fiche")


def test_a_web_login_is_audited_with_the_user_as_actor_and_their_address(client, auth,
                                                                          db_session, personas):
    auth.login("alice@dac11.test")
    login = [e for e in entries(db_session) if e.action == "login"][-1]
    assert login.actor_label == "alice@dac11.test" and login.remote_addr == "127.0.0.1"


def test_failed_logins_are_audited_without_revealing_the_address_typed(client, auth,
                                                                      db_session, personas):
    auth.login("nobody@dac11.test", "mauvais mot de passe")
    failed = [e for e in entries(db_session) if e.action == "login_failed"][-1]
    assert failed.object_id is None and "nobody" not in (failed.actor_label + str(failed.detail))


def test_entries_form_an_unbroken_chain(db_session, personas):
    rows = entries(db_session)
    assert rows[0].prev_hash == GENESIS_HASH
    for previous, current in zip(rows, rows[1:], strict=False):
        assert current.prev_hash == previous.hash
    report = verify_chain(db_session)
    assert report.broken is None and report.checked == len(rows)
    assert report.head_id == rows[-1].id and report.head_hash == rows[-1].hash


def test_the_orm_refuses_to_change_an_audit_entry(db_session, personas):
    entry = entries(db_session)[0]
    entry.detail = "effacé"
    with pytest.raises(PermissionError):
        db_session.flush()
    db_session.rollback()


def test_the_database_refuses_to_change_an_audit_entry(db_session, personas):
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("UPDATE audit_events SET detail = 'x'"))
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_events"))


def _drop_guard_triggers(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_verification_reports_the_first_edited_entry(db_session, personas):
    """Someone with database access drops the guard and rewrites history."""
    rows = entries(db_session)
    target = rows[2]
    _drop_guard_triggers(db_session)
    db_session.execute(text("UPDATE audit_events SET actor_label = 'quelqu''un d''autre' "
                            "WHERE id = :id"), {"id": target.id})
    db_session.expire_all()
    broken = verify_chain(db_session).broken
    assert broken is not None and broken.entry_id == target.id
    assert "modifié" in broken.reason


def test_verification_reports_a_deleted_entry_at_its_successor(db_session, personas):
    rows = entries(db_session)
    _drop_guard_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": rows[1].id})
    db_session.expire_all()
    broken = verify_chain(db_session).broken
    assert broken is not None and broken.entry_id == rows[2].id
    assert "lien" in broken.reason


def test_an_admin_verifies_the_chain_from_the_audit_page(client, auth, personas):
    from tests.conftest import csrf_token

    auth.login(personas["admin"].email)
    page = client.post("/admin/audit", data={"csrf_token": csrf_token(client, "/admin/audit")})
    assert "Chaîne intacte" in page.get_data(as_text=True)
    # the journal reads in French: operations and objects, not codes and table names
    journal = client.get("/admin/audit").get_data(as_text=True)
    assert "connexion" in journal and "compte n°" in journal
    assert "login</td>" not in journal and "users #" not in journal


def test_removing_the_newest_entries_is_caught_by_an_earlier_anchor(db_session, personas):
    anchor = verify_chain(db_session).anchor
    rows = entries(db_session)
    _drop_guard_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": rows[-2].id})
    db_session.expire_all()
    assert verify_chain(db_session).broken is None  # a shorter chain is still a chain
    broken = verify_chain(db_session, anchor).broken
    assert broken is not None and "disparu" in broken.reason


def test_the_database_refuses_to_truncate_the_audit_trail(db_session, personas,
                                                          database_backend):
    if database_backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("TRUNCATE audit_events"))


def test_granting_a_role_is_audited(db_session, personas):
    from coordination.domain.accounts import Role
    from coordination.models import UserRole

    bob = personas["csapa_partner"]
    bob.role_rows.append(UserRole(role=Role.ADMIN))
    db_session.commit()
    last = entries(db_session)[-1]
    assert (last.action, last.object_type, last.object_id) == ("create", "user_roles",
                                                               f"{bob.id},admin")


def test_changing_an_organisation_health_flag_is_audited(db_session, partnership):
    siao = partnership["siao"]
    siao.is_health_professional_team = True
    db_session.commit()
    last = entries(db_session)[-1]
    assert (last.action, last.object_type, last.changed_fields) == (
        "update", "organisations", ["is_health_professional_team"])


def test_bulk_writes_that_would_escape_the_audit_hook_are_refused(db_session, personas):
    from sqlalchemy import delete, update

    from coordination.models import User

    with pytest.raises(PermissionError, match="audited users"):
        db_session.execute(update(User).values(full_name="x"))
    db_session.rollback()
    with pytest.raises(PermissionError):
        db_session.execute(delete(User).where(User.id == personas["admin"].id))
    db_session.rollback()
