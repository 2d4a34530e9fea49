"""Complex situations: open, intake, triage, workflow events, shares, lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from coordination.db import utcnow
from coordination.domain.errors import (
    Conflict,
    NotFound,
    ValidationError,
    check_version,
    is_id,
)
from coordination.domain.identity import age_on
from coordination.models import (
    Call,
    Organisation,
    Person,
    Situation,
    SituationShare,
    TransitionRecord,
    TriageRecord,
    User,
)
from coordination.services import audit, logigrammes, persons, policy
from coordination.services.pagination import Page, paginate
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.definition import GuardContext
from coordination.workflows.engine import EventOption, WorkflowEngine
from coordination.workflows.intake import CURRENT_VERSION, load_schema, requester_role_for
from coordination.workflows.logigramme import Decision
from coordination.workflows.logigramme import Outcome as LogigrammeOutcome
from directory import services as directory_services

ENGINE = WorkflowEngine(COMPLEX_CASE)
_INSERT_TRANSITION = insert(TransitionRecord.__table__)
INTAKE_EDITABLE = {"draft", "reopened", "to_triage", "in_assessment"}

# Later modules plug their facts in: open actions (meetings/actions), open confirmed
# ruptures (ruptures). Each takes (session, situation) and answers for that situation.
OPEN_ACTIONS: list[Callable[[Session, Situation], int]] = []
OPEN_RUPTURE: list[Callable[[Session, Situation], bool]] = []
EVENT_EFFECTS: list[Callable[[Session, Situation, str, Mapping[str, Any]], None]] = []

persons.register_person_reference(Situation)


# --- reading -------------------------------------------------------------------------------

def get_situation(session: Session, actor: User, situation_id: int,
                  detail: str | None = None) -> Situation:
    situation = session.scalar(select(Situation).where(
        Situation.id == situation_id,
        policy.situation_visibility_clause(actor, among=situation_id)))
    if situation is None:
        raise NotFound("Situation introuvable.")
    audit.record_read(session, situation, detail=detail)
    return situation


def list_situations(session: Session, actor: User, *, state: str | None = None,
                    shared_with: int | None = None, referent: int | None = None,
                    review_due: bool = False, person_id: int | None = None,
                    name: str | None = None, page: int = 1,
                    per_page: int = 50) -> Page[Situation]:
    """The situations `actor` sees, filtered; `name`: words of the person's names (accents
    and case ignored), `person_id`: one person's situations."""
    errors: dict[str, list[str]] = {}
    if state is not None and state not in {s.name for s in COMPLEX_CASE.states}:
        errors["state"] = ["État inconnu. Valeurs : "
                           + ", ".join(s.name for s in COMPLEX_CASE.states) + "."]
    if name is not None and len(name) > 200:
        errors["q"] = ["200 caractères au plus."]
    if errors:
        raise ValidationError(errors)
    query = select(Situation).where(policy.situation_visibility_clause(actor))
    if person_id is not None:
        query = query.where(Situation.person_id == person_id)
    if words := persons.name_matches(name):
        query = query.join(Person, Person.id == Situation.person_id).where(*words)
    if state:
        query = query.where(Situation.state == state)
    if referent is not None:
        query = query.where(Situation.referent_user_id == referent)
    if shared_with is not None:
        query = query.where(Situation.shares.any(SituationShare.organisation_id == shared_with))
    if review_due:
        query = query.where(Situation.next_review_on <= date.today(),
                            Situation.state != "closed")
    query = query.order_by(Situation.updated_at.desc(), Situation.id.desc())
    result = paginate(session, query, page, per_page, total_with_page=True)
    for situation in result.items:
        audit.record_read(session, situation, detail="liste")
    return result


# --- opening and intake --------------------------------------------------------------------

REQUESTER_FIELDS = ("name", "role", "organisation", "phone")


def open_from_call(session: Session, actor: User, call: Call) -> Situation | None:
    """The situation a call opens: the one it already opened, else a new one for its person;
    None while the person is not identified (the coordinator finds or creates them)."""
    if call.situation_id is not None:
        return get_situation(session, actor, call.situation_id)
    if call.person_id is None:
        return None
    return open_situation(session, actor, call.person_id, call_id=call.id)


def open_situation(session: Session, actor: User, person_id: Any,
                   requester: Mapping[str, Any] | None = None,
                   call_id: Any = None) -> Situation:
    """Open a situation for a person; from a logged call, the caller becomes the requester
    (fields given in `requester` win) and the call is marked as having opened it."""
    from coordination.services import calls

    if not policy.can_work_on_situations(actor):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    call = None
    if call_id is not None:
        try:
            call = calls.get_call(session, actor, int(call_id)) if is_id(call_id) else None
        except NotFound:
            call = None
        if call is None:
            errors["call_id"] = ["Appel introuvable."]
        elif call.situation_id is not None:
            errors["call_id"] = [f"Cet appel est déjà lié à la situation n° {call.situation_id}."]
    if person_id is None and call is not None and call.person_id is not None:
        person_id = call.person_id
    person = None
    if not is_id(person_id):
        errors["person_id"] = ["Identifiant de personne attendu."]
    else:
        try:
            person = persons.get_person(session, actor, person_id)
        except NotFound:
            errors["person_id"] = ["Personne introuvable."]
    requester = {**(calls.requester_from(call) if call else {}), **dict(requester or {})}
    unknown = set(requester) - set(REQUESTER_FIELDS)
    if unknown or not all(isinstance(v, str) for v in requester.values()):
        errors["requester"] = ["Objet attendu avec : " + ", ".join(REQUESTER_FIELDS)
                               + " (texte)."]
    if errors or person is None:
        raise ValidationError(errors)
    answers: dict[str, Any] = {f"requester_{key}": value for key, value in requester.items()
                               if value and key in ("name", "organisation", "phone")}
    # what the call already told, so that the intake does not ask it again
    role = requester_role_for(requester.get("role"))
    if role:
        answers["requester_role"] = role
    if call is not None and call.notes:
        answers["request_reason"] = call.notes
    situation = Situation(person_id=person.id, origin_call_id=call.id if call else None,
                          requester=requester, state=COMPLEX_CASE.initial,
                          intake_version=CURRENT_VERSION, intake_answers=answers,
                          referent_user_id=actor.id, created_by_user_id=actor.id)
    session.add(situation)
    session.flush()
    situation.shares.append(SituationShare(organisation_id=actor.organisation_id,
                                           shared_by_user_id=actor.id))
    situation.history.append(TransitionRecord(occurred_at=utcnow(), event="open", from_state="",
                                              to_state=situation.state, user_id=actor.id))
    if call is not None:
        calls.link_situation(session, call, situation)
    session.commit()
    return situation


def save_intake(session: Session, actor: User, situation: Situation,
                answers: Mapping[str, Any], expected_version: int | None) -> Situation:
    """Save intake answers, merged into what is there: a field sent with a value replaces
    it, a field sent empty (null, "", []) clears it, a field not sent is kept, so that a
    second sitting never erases the first. 422 per field for answers of the wrong type,
    409 once the situation is past triage."""
    if not policy.can_work_on_situations(actor):
        raise NotFound("Situation introuvable.")
    check_version(situation.version, expected_version, "cette situation",
                  state=situation.state)
    if situation.state not in INTAKE_EDITABLE:
        raise Conflict("La fiche de recueil n'est plus modifiable dans l'état « "
                       f"{COMPLEX_CASE.state(situation.state).label} ».")
    schema = load_schema(situation.intake_version)
    clean, problems = schema.clean(answers)
    for name, value in clean.items():
        if schema.fields[name].type == "services":
            unknown = directory_services.unknown_ids(session, value)
            if unknown:
                problems[name] = ["Services absents de l'annuaire : "
                                  + ", ".join(f"n° {i}" for i in unknown) + "."]
    if problems:
        raise ValidationError(problems)
    cleared = {name for name, value in answers.items() if value in (None, "", [])}
    merged = {k: v for k, v in {**situation.intake_answers, **clean}.items()
              if k not in cleared}
    changed = sorted(name for name in set(merged) | set(situation.intake_answers)
                     if merged.get(name) != situation.intake_answers.get(name))
    situation.intake_answers = merged
    situation.intake_updated_at = utcnow()
    if changed:
        audit.record(session, "intake_saved", "situations", situation.id,
                     changed_fields=changed)
    session.commit()
    return situation


@dataclass(frozen=True)
class ReadableIntake:
    """The intake as one reader may see it: `answers` without what the field-level rule
    withholds, `withheld` the ids of the answered fields left out, `hidden` every field
    withheld from this reader (also in triage paths and answers); `health_details` whether
    the reader sees them (and so the nature and texts of ruptures, policy.sees_rupture_details)."""
    answers: dict[str, Any]
    withheld: list[str]
    hidden: frozenset[str] = frozenset()
    health_details: bool = False

    def triage_path(self, path: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The path up to the first withheld answer, that step blanked and the rest left
        out: the result of "psychiatric disorder diagnosed?" tells as much as the answer,
        and so does which question comes next."""
        shown: list[dict[str, Any]] = []
        for step in path:
            if step.get("field") in self.hidden:
                shown.append({**step, "value": None, "result": None, "withheld": True})
                break
            shown.append(step)
        return shown

    def triage_answers(self, answers: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answers.items() if k not in self.hidden}

    def requester(self, requester: dict[str, Any]) -> dict[str, Any]:
        """The situation's requester as this reader may see it: who asked may name a care
        service, so a reader without the health details sees the role only."""
        if self.health_details:
            return dict(requester)
        return {k: v for k, v in requester.items() if k == "role"}


def readable_intake(session: Session, actor: User, situation: Situation) -> ReadableIntake:
    """The one place that applies the field-level rule (policy.sees_health_details) to a
    situation's intake and triage, for pages, API, PDFs and exports."""
    if policy.sees_health_details(session, actor, situation):
        return ReadableIntake(dict(situation.intake_answers), [], health_details=True)
    schema = load_schema(situation.intake_version)
    answers, withheld = schema.withhold_health_details(situation.intake_answers)
    return ReadableIntake(answers, withheld, schema.health_detail_fields)


def readable_shares(actor: User, situation: Situation,
                    health_details: bool) -> tuple[list[SituationShare], bool]:
    """The organisations a situation is shared with, as `actor` may read them, and whether
    some were left out. A CSAPA or a CMP in the list tells the person's care as surely as
    a diagnosis: a reader who does not see the health details (readable_intake) sees
    their own organisation, the referent's, and the organisations outside care only."""
    active = [share for share in situation.shares if share.revoked_at is None]
    if health_details:
        return active, False
    holder = situation.referent.organisation_id if situation.referent else None
    shown = [share for share in active
             if share.organisation_id in (actor.organisation_id, holder)
             or not share.organisation.is_health_professional_team]
    return shown, len(shown) < len(active)


def intake_missing(situation: Situation) -> list[str]:
    return load_schema(situation.intake_version).missing(situation.intake_answers)


# --- events --------------------------------------------------------------------------------

class _LazyFacts(Mapping[str, Any]):
    """Facts computed only when a guard asks for them (closing a situation need not look
    at its triages), once each."""

    def __init__(self, producers: dict[str, Callable[[], Any]],
                 given: Mapping[str, Any]) -> None:
        self._producers, self._values = producers, dict(given)

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = self._producers[key]()
        return self._values[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(set(self._producers) | set(self._values))

    def __len__(self) -> int:
        return len(set(self._producers) | set(self._values))


def _facts(session: Session, situation: Situation,
           given: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    def missing_labels() -> list[str]:
        fields = load_schema(situation.intake_version).fields
        return [fields[name].label for name in intake_missing(situation)]

    def informed() -> bool:
        return any(r.kind.value == "information" and r.revoked_on is None
                   for r in situation.person.consents)

    return _LazyFacts({
        "intake_missing_fields": missing_labels,
        "person_informed": informed,
        "has_triage": lambda: _triaged_since_submission(session, situation),
        "open_actions": lambda: sum(count(session, situation) for count in OPEN_ACTIONS),
        "open_rupture": lambda: any(check(session, situation) for check in OPEN_RUPTURE),
        "state_before_rupture": lambda: situation.state_before_rupture,
    }, given or {})


def _triaged_since_submission(session: Session, situation: Situation) -> bool:
    """A triage counts for the current pass only: after a reopening, triage again.
    Two indexed MAX queries: the cost does not grow with the situation's history."""
    entered = session.scalar(select(func.max(TransitionRecord.occurred_at)).where(
        TransitionRecord.situation_id == situation.id, TransitionRecord.to_state == "to_triage"))
    triaged = session.scalar(select(func.max(TriageRecord.occurred_at)).where(
        TriageRecord.situation_id == situation.id))
    return entered is not None and triaged is not None and triaged >= entered


def _context(session: Session, actor: User, situation: Situation, event: str,
             reason: str | None = None, fields: Mapping[str, Any] | None = None,
             extra_facts: Mapping[str, Any] | None = None) -> GuardContext:
    return GuardContext(state=situation.state, event=event,
                        user_roles=frozenset(r.value for r in actor.roles), reason=reason,
                        fields=dict(fields or {}),
                        facts=_facts(session, situation, extra_facts))


def event_options(session: Session, actor: User, situation: Situation) -> list[EventOption]:
    return ENGINE.options(_context(session, actor, situation, ""))


def allowed_events(session: Session, actor: User, situation: Situation) -> list[str]:
    return [o.event for o in event_options(session, actor, situation) if o.allowed]


def fire_event(session: Session, actor: User, situation: Situation, event: str, *,
               reason: str | None = None, fields: Mapping[str, Any] | None = None,
               expected_version: int | None = None,
               extra_facts: Mapping[str, Any] | None = None, commit: bool = True) -> Situation:
    """Apply a workflow event: the state, its transition record and the audit entry are
    written in one transaction, or nothing is."""
    check_version(situation.version, expected_version, "cette situation",
                  state=situation.state)
    reason = " ".join((reason or "").split()) or None
    context = _context(session, actor, situation, event, reason, fields, extra_facts)
    outcome = ENGINE.apply(context)
    allowed_fields = {name for t in COMPLEX_CASE.transitions if t.event == event
                      for name in t.required_fields} | {"cancel_open_actions", "triage_outcome"}
    fields = {k: v for k, v in (fields or {}).items() if k in allowed_fields}
    changes: dict[str, Any] = {"state": outcome.dest}
    if event == "declare_rupture":
        changes["state_before_rupture"] = outcome.source
    elif event == "resolve_rupture":
        changes["state_before_rupture"] = None
    elif event == "close":
        changes.update(closure_reason=fields["closure_reason"], closed_at=utcnow())
    elif event == "reopen":
        changes.update(closure_reason=None, closed_at=None)
    _write_state(session, situation, changes)
    for effect in EVENT_EFFECTS:
        effect(session, situation, event, fields)
    # A Core INSERT in this transaction: no ORM object to track through the unit of work
    # (the situation's `history` is reloaded from the database when next read).
    session.connection().execute(_INSERT_TRANSITION, {
        "situation_id": situation.id, "occurred_at": utcnow(), "event": event,
        "from_state": outcome.source, "to_state": outcome.dest, "reason": reason,
        "fields": fields, "user_id": actor.id})
    audit.record(session, "transition", "situations", situation.id,
                 changed_fields=sorted(fields),
                 detail=f"{event}: {outcome.source} -> {outcome.dest}"
                 + (f" ({reason[:300]})" if reason else ""))
    if commit:
        session.commit()
        _reload_collections(session, situation)
    return situation


_SITUATIONS = Situation.__table__
_UPDATE_STATE = update(_SITUATIONS).where(_SITUATIONS.c.id == bindparam("expected_id"),
                                          _SITUATIONS.c.version == bindparam("expected_version"))


def _write_state(session: Session, situation: Situation, changes: dict[str, Any]) -> None:
    """The state change as one conditional UPDATE, checked as the mapper checks its
    `version_id_col`: `WHERE version =` the version this request read, and no row matched
    means someone changed the situation first (StaleDataError, answered 409). These columns
    are audited by the transition entry (`Situation.__audit_ignore__`), which is why the
    unit of work and its audit pass are not needed for them."""
    session.flush()  # other pending changes of the situation first, with their own check
    version = situation.version
    values = {**changes, "updated_at": utcnow(), "version": version + 1}
    matched = session.connection().execute(_UPDATE_STATE, {
        **values, "expected_id": situation.id, "expected_version": version}).rowcount
    if matched != 1:
        raise StaleDataError(f"UPDATE statement on table 'situations' expected to update 1 "
                             f"row(s); {matched} were matched.")
    for name, value in values.items():
        set_committed_value(situation, name, value)


def _reload_collections(session: Session, situation: Situation) -> None:
    """Records are added to the session, not to the loaded collections (which would cost
    time in proportion to the history at every flush): reload them on next access so the
    situation returned shows what was just written."""
    session.expire(situation, ["history", "triages", "shares"])


# --- triage --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TriageResult:
    record: TriageRecord
    decision: Decision
    final_outcome: LogigrammeOutcome

    @property
    def final_event(self) -> str:
        return self.final_outcome.event


def triage_answers(situation: Situation, today: date | None = None) -> dict[str, Any]:
    """What the logigramme reads: the intake answers and facts about the person."""
    return {**situation.intake_answers,
            "person.age": age_on(situation.person.birth_date, today or date.today())}


def proposed_triage(session: Session, situation: Situation) -> Any:
    """What the logigramme would decide now (its Decision: outcome and path), shown before
    the coordinator follows or overrides it; None while the intake is incomplete."""
    if situation.state != "to_triage" or intake_missing(situation):
        return None
    return logigrammes.current(session).evaluate(triage_answers(situation))


def run_triage(session: Session, actor: User, situation: Situation, *,
               override: str | None = None, reason: str | None = None,
               expected_version: int | None = None) -> TriageResult:
    if not policy.can_work_on_situations(actor):
        raise NotFound("Situation introuvable.")
    check_version(situation.version, expected_version, "cette situation",
                  state=situation.state)
    if situation.state != "to_triage":
        raise Conflict("Le logigramme se passe sur une situation « À trier » (état actuel : "
                       f"{COMPLEX_CASE.state(situation.state).label}).",
                       {"state": situation.state,
                        "allowed_events": allowed_events(session, actor, situation)})
    missing = intake_missing(situation)
    if missing:
        raise ValidationError({name: ["Réponse nécessaire pour le logigramme."]
                               for name in missing},
                              "La fiche de recueil est incomplète.")
    logigramme = logigrammes.ensure_published(session)
    answers = triage_answers(situation)
    decision = logigramme.evaluate(answers)
    final = decision.outcome
    # (its last full stop dropped: the reason is quoted inside a sentence, « (motif : …). »)
    reason = " ".join((reason or "").split()).rstrip(" .") or None
    if override is not None and override != decision.outcome.id:
        if override not in logigramme.outcomes:
            raise ValidationError({"override": ["Issue inconnue. Valeurs : "
                                                + ", ".join(logigramme.outcomes) + "."]})
        if not reason:
            raise ValidationError({"reason": ["Un motif écrit est nécessaire pour ne pas "
                                              "suivre le logigramme."]})
        final = logigramme.outcomes[override]
    record = TriageRecord(situation_id=situation.id, occurred_at=utcnow(),
                          logigramme_version=logigramme.version,
                          answers={k: answers.get(k) for k in logigramme.fields_read},
                          path=decision.path_json(), proposed_outcome=decision.outcome.id,
                          final_outcome=final.id,
                          override_reason=reason if final.id != decision.outcome.id else None,
                          user_id=actor.id)
    session.add(record)
    audit.record(session, "triage", "situations", situation.id,
                 detail=f"logigramme {logigramme.version}: proposed {decision.outcome.id}, "
                        f"final {final.id}" + (f" ({reason[:300]})" if reason else ""))
    fire_event(session, actor, situation, final.event,
               reason=f"Logigramme {logigramme.version} : {final.label}"
               + (f" (au lieu de « {decision.outcome.label} » : {reason})"
                  if final.id != decision.outcome.id else ""),
               fields={"triage_outcome": final.id}, extra_facts={"has_triage": True},
               commit=False)
    session.commit()
    _reload_collections(session, situation)
    return TriageResult(record, decision, final)


def replay_triage(session: Session, record: TriageRecord) -> Decision:
    """Re-run a past triage with the version and answers it used: the same path comes out."""
    return logigrammes.version(session, record.logigramme_version).evaluate(record.answers)


# --- sharing -------------------------------------------------------------------------------

def share_situation(session: Session, actor: User, situation: Situation,
                    organisation_id: Any, *, commit: bool = True) -> SituationShare:
    if not policy.can_work_on_situations(actor):
        raise NotFound("Situation introuvable.")
    organisation = session.get(Organisation, organisation_id) \
        if is_id(organisation_id) else None
    if organisation is None:
        raise ValidationError({"organisation_id": ["Organisation inconnue."]})
    decision = persons.may_share_with(session, situation.person, organisation)
    if not decision.allowed:
        raise Conflict(f"Partage impossible avec {organisation.name} : {decision.reason}",
                       {"organisation_id": organisation.id, "reason": decision.reason})
    existing = next((s for s in situation.shares if s.organisation_id == organisation.id), None)
    if existing is not None and existing.revoked_at is None:
        return existing
    if existing is not None:
        existing.revoked_at = None
        share = existing
    else:
        share = SituationShare(organisation=organisation, shared_by_user_id=actor.id)
        situation.shares.append(share)
    if commit:
        session.commit()
    return share


def unshare_situation(session: Session, actor: User, situation: Situation,
                      organisation_id: int) -> None:
    if not policy.can_work_on_situations(actor):
        raise NotFound("Situation introuvable.")
    share = next((s for s in situation.shares if s.organisation_id == organisation_id
                  and s.revoked_at is None), None)
    if share is None:
        raise NotFound("Partage introuvable.")
    share.revoked_at = utcnow()
    session.commit()


# Modules that plug into the hooks above register themselves when imported.
from coordination.services import actions as _actions  # noqa: E402,F401
from coordination.services import ruptures as _ruptures  # noqa: E402,F401
