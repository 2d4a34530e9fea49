"""Retention (issue 9 §4, §5): closed situations anonymised after the configured period,
access-log entries of the audit trail purged after theirs; and a person's access history.

Both jobs are idempotent sweeps over our own tables ("what is due up to now"): a second
run finds nothing left to do. See docs/privacy.md for the periods and their legal basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coordination.domain.errors import Conflict, NotFound, ValidationError
from coordination.models import (
    Action,
    AgendaItem,
    AuditEvent,
    Call,
    ConsentRecord,
    Person,
    Rupture,
    Situation,
    SituationShare,
    TransitionRecord,
    User,
)
from coordination.services import audit, persons, policy
from coordination.services.jobs import Job, register_job
from coordination.settings import Settings

ANONYMOUS = "ANONYMISÉ"
REMOVED = "[supprimé — durée de conservation échue]"


# --- anonymisation of closed situations ----------------------------------------------------

def anonymise_closed_situations(session: Session, settings: Settings, now: datetime) -> str:
    """Situations closed more than `retention_months` ago lose every identifying trait and
    free text. What the observatory counts stays: states and dates, ruptures' type, cause,
    consequence, transition point, service and dates, and the commune of residence (the
    territory). A person is anonymised once none of their situations is still kept."""
    cutoff = now - relativedelta(months=settings.retention_months)
    due = session.scalars(select(Situation).where(
        Situation.state == "closed", Situation.closed_at < cutoff,
        Situation.anonymised_at.is_(None))).all()
    persons_done = 0
    for situation in due:
        _anonymise_situation(session, situation, now)
    session.flush()
    for person_id in sorted({s.person_id for s in due}):
        kept = session.scalar(select(Situation.id).where(
            Situation.person_id == person_id, Situation.anonymised_at.is_(None)).limit(1))
        person = session.get(Person, person_id)
        if kept is None and person is not None and person.anonymised_at is None:
            _anonymise_person(session, person, now)
            persons_done += 1
    session.commit()
    return f"{len(due)} situation(s) et {persons_done} personne(s) anonymisée(s)"


def _anonymise_situation(session: Session, situation: Situation, now: datetime) -> None:
    situation.requester = {}
    situation.intake_answers = {}
    situation.anonymised_at = now
    for record in session.scalars(select(TransitionRecord).where(
            TransitionRecord.situation_id == situation.id)):
        record.reason = REMOVED if record.reason else None
        record.fields = {}
    for rupture in session.scalars(select(Rupture).where(Rupture.situation_id == situation.id)):
        rupture.description = REMOVED if rupture.description else None
        rupture.resolution = REMOVED if rupture.resolution else None
    for action in session.scalars(select(Action).where(Action.situation_id == situation.id)):
        action.title = "Action"
        action.completion_note = REMOVED if action.completion_note else None
    for item in session.scalars(select(AgendaItem).where(
            AgendaItem.situation_id == situation.id)):
        item.note = item.discussion_notes = None
        item.decision = REMOVED if item.decision else None
    if situation.origin_call_id is not None:
        call = session.get(Call, situation.origin_call_id)
        if call is not None:
            _anonymise_call(call)


def _anonymise_call(call: Call) -> None:
    call.caller_name = call.caller_name_key = ANONYMOUS
    call.caller_phone = call.caller_phone_key = None
    call.notes = REMOVED if call.notes else None
    call.callback_note = None


def _anonymise_person(session: Session, person: Person, now: datetime) -> None:
    person.birth_name = ANONYMOUS
    person.birth_first_names = ANONYMOUS
    person.first_birth_first_name = ANONYMOUS
    person.used_name = person.used_first_name = None
    # the year is kept for age-band counts; the day is not
    person.birth_date = person.birth_date.replace(month=1, day=1)
    person.birth_place_insee = person.birth_country_insee = None
    person.ins = None
    person.address = person.phone = None
    person.gp_name = person.gp_phone = None
    person.caregiver_name = person.caregiver_relation = person.caregiver_phone = None
    person.legal_protection_holder = None
    person.duplicate_override_reason = None
    person.name_key = person.first_name_key = ANONYMOUS.lower()
    person.used_name_key = None
    person.search_text = ""
    person.anonymised_at = now
    for record in session.scalars(select(ConsentRecord).where(
            ConsentRecord.person_id == person.id)):
        record.note = None
        record.revocation_reason = None


# --- one-off erasure (art. 17 request accepted by the DPO) -----------------------------------

@dataclass(frozen=True)
class ErasureReport:
    person_id: int
    situations: int
    calls: int
    records: int  # the person and the tombstones merged into them


def erase_person(session: Session, person_id: int, reason: str,
                 now: datetime) -> ErasureReport:
    """Anonymise one person now, as retention would later: their situations (all closed
    first: an open one is still someone's work), the calls about them, their identity and
    the tombstones of records merged into them. Observatory counts stay; the audit trail
    records the erasure and its reason (ids only, never the erased values)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": ["Indiquez la décision (référence de la demande, "
                                          "avis du DPO)."]})
    person = session.get(Person, person_id)
    if person is None or person.is_tombstone:
        raise NotFound(f"Personne n° {person_id} introuvable (ou fusionnée dans une autre).")
    records = [person, *_merged_into(session, person.id)]
    ids = [p.id for p in records]
    situations = session.scalars(select(Situation).where(
        Situation.person_id.in_(ids))).all()
    still_open = [s.id for s in situations if s.state != "closed"]
    if still_open:
        raise Conflict("Situations encore ouvertes : n° " + ", ".join(map(str, still_open))
                       + ". Clôturez-les avec leur motif avant l'effacement.")
    for situation in situations:
        if situation.anonymised_at is None:
            _anonymise_situation(session, situation, now)
    calls = session.scalars(select(Call).where(Call.person_id.in_(ids))).all()
    for call in calls:
        _anonymise_call(call)
    for record in records:
        if record.anonymised_at is None:
            _anonymise_person(session, record, now)
    audit.record(session, "erased", "persons", person.id, detail=reason[:500])
    session.commit()
    return ErasureReport(person.id, len(situations), len(calls), len(records))


def _merged_into(session: Session, person_id: int) -> list[Person]:
    """Every tombstone that leads to this person, through chains of merges (A into B, then
    B into the survivor): each still holds an identity."""
    found: list[Person] = []
    frontier = [person_id]
    while frontier:
        layer = list(session.scalars(select(Person).where(Person.merged_into_id.in_(frontier))))
        found += layer
        frontier = [p.id for p in layer]
    return found


# --- audit trail retention -----------------------------------------------------------------

def purge_audit_trail(session: Session, settings: Settings, now: datetime) -> str:
    before = now - relativedelta(months=settings.audit_retention_months)
    purged = audit.purge_access_logs(session, before)
    return f"{purged} entrée(s) d'accès purgée(s)"


register_job(Job("anonymise_closed_situations", timedelta(days=1), anonymise_closed_situations,
                 "anonymise les situations clôturées depuis la durée de conservation"))
register_job(Job("purge_audit_trail", timedelta(days=1), purge_audit_trail,
                 "purge les traces d'accès plus anciennes que leur durée de conservation"))


# --- a person's access history -------------------------------------------------------------

@dataclass(frozen=True)
class AccessEntry:
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    changed_fields: list[str]
    detail: str | None


def person_access_history(session: Session, actor: User, person_id: int) -> list[AccessEntry]:
    """Who read or changed what about this person, their situations, calls, actions,
    ruptures, consents and shares, and when: for the person's access request. Only the
    referent coordinator of one of their situations (or, before any situation, a
    coordinator of the organisation that recorded them) may read it."""
    person = persons.get_person(session, actor, person_id, detail="historique des accès")
    situation_rows = session.execute(select(Situation.id, Situation.referent_user_id,
                                            Situation.origin_call_id)
                                     .where(Situation.person_id == person.id)).all()
    creator = session.get(User, person.created_by_user_id) if person.created_by_user_id else None
    if not policy.can_read_access_history(
            actor, [row.referent_user_id for row in situation_rows],
            creator.organisation_id if creator else None):
        raise NotFound("Personne introuvable.")
    situation_ids = [row.id for row in situation_rows]
    ids = {
        "persons": [person.id],
        "situations": situation_ids,
        "calls": [row.origin_call_id for row in situation_rows if row.origin_call_id]
        + list(session.scalars(select(Call.id).where(Call.person_id == person.id))),
        "actions": list(session.scalars(select(Action.id).where(
            Action.situation_id.in_(situation_ids)))),
        "ruptures": list(session.scalars(select(Rupture.id).where(
            Rupture.situation_id.in_(situation_ids)))),
        "consent_records": list(session.scalars(select(ConsentRecord.id).where(
            ConsentRecord.person_id == person.id))),
        "situation_shares": list(session.scalars(select(SituationShare.id).where(
            SituationShare.situation_id.in_(situation_ids)))),
    }
    conditions = [and_(AuditEvent.object_type == kind,
                       AuditEvent.object_id.in_([str(i) for i in values]))
                  for kind, values in ids.items() if values]
    events = session.scalars(select(AuditEvent).where(or_(*conditions))
                             .order_by(AuditEvent.id.desc()).limit(5000))
    return [AccessEntry(e.occurred_at, e.actor_label, e.action, e.object_type, e.object_id,
                        list(e.changed_fields or []), e.detail) for e in events]
