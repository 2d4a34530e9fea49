"""Pathway ruptures: declare, resolve, list; rupture candidates: raise, confirm, dismiss.

The situation's workflow follows its ruptures: declaring the first open rupture of an
active situation fires `declare_rupture` (→ in_rupture) in the same transaction;
resolving the last open one fires `resolve_rupture` (back where it was). A situation may
hold several open ruptures at once. The workflow's guards learn about open ruptures
through the `OPEN_RUPTURE` hook registered below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.errors import Conflict, NotFound, ValidationError, is_id
from coordination.domain.rupture_candidates import (
    ActionFacts,
    CandidateThresholds,
    SituationFacts,
    detect_candidates,
)
from coordination.domain.ruptures import (
    CURRENT_VERSION,
    MAX_TEXT,
    Taxonomy,
    load_taxonomy,
    validate_resolution,
    validate_rupture,
)
from coordination.models import (
    Organisation,
    Rupture,
    RuptureCandidate,
    Situation,
    TransitionRecord,
    User,
)
from coordination.services import audit, policy, situations
from coordination.services.pagination import Page, paginate
from coordination.workflows.complex_case import ACTIVE_STATES
from directory.models import DirectoryService

CANDIDATE_STATUSES = {"open": "À examiner", "confirmed": "Confirmé", "dismissed": "Écarté"}
RULE_LABELS = {
    "stale_situation": "Situation sans événement",
    "overdue_action": "Action en retard",
    "action_refused": "Action refusée",
    "action_blocked": "Action bloquée",
    "handover_without_receiver": "Relais sans service receveur",
    "discharge_without_follow_up": "Sortie sans rendez-vous de suivi",
}


# --- access --------------------------------------------------------------------------------

def _require_care_team(actor: User, message: str = "Situation introuvable.") -> None:
    if not policy.can_declare_ruptures(actor):
        raise NotFound(message)


def _require_coordinator(actor: User) -> None:
    if not policy.can_work_on_situations(actor):
        raise NotFound("Candidat introuvable.")


def has_open_rupture(session: Session, situation_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        Rupture.situation_id == situation_id, Rupture.resolved_on.is_(None)))))


# The workflow's guards (declare_rupture / resolve_rupture) ask this module.
situations.OPEN_RUPTURE.append(lambda session, situation: has_open_rupture(session,
                                                                           situation.id))


# --- declaring and resolving ---------------------------------------------------------------

def _optional_id(session: Session, data: Mapping[str, Any], field: str, model: type,
                 message: str, problems: dict[str, list[str]]) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not is_id(value) or session.get(model, value) is None:
        problems[field] = [message]
        return None
    return int(value)


def _clean(session: Session, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The domain's validation, plus what needs the database (service, organisation) and
    the free text; every problem named by its field at once."""
    problems: dict[str, list[str]] = {}
    try:
        clean = validate_rupture(data, today)
    except ValidationError as exc:
        problems.update(exc.fields)
        clean = {}
    clean["service_id"] = _optional_id(session, data, "service_id", DirectoryService,
                                       "Service absent de l'annuaire.", problems)
    clean["organisation_id"] = _optional_id(session, data, "organisation_id", Organisation,
                                            "Organisation partenaire inconnue.", problems)
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems["description"] = ["Texte attendu."]
    else:
        description = (description or "").strip() or None
        if description and len(description) > MAX_TEXT:
            problems["description"] = [f"{MAX_TEXT} caractères au plus."]
        clean["description"] = description
    if problems:
        raise ValidationError(problems)
    return clean


def declare_rupture(session: Session, actor: User, situation_id: int,
                    data: Mapping[str, Any], *, expected_version: int | None = None,
                    today: date | None = None, commit: bool = True) -> Rupture:
    """Record a rupture on a situation the actor sees (coordinator, or partner of an
    organisation it is shared with). An open rupture on an active situation moves it to
    `in_rupture`; one declared already resolved (history) changes no state; a draft
    cannot hold a rupture (409)."""
    _require_care_team(actor)
    situation = situations.get_situation(session, actor, situation_id, detail="rupture")
    clean = _clean(session, data, today or date.today())
    if situation.state == "draft":
        raise Conflict("Une situation encore en brouillon ne peut pas porter de rupture : "
                       "soumettez d'abord la fiche de recueil.",
                       {"state": situation.state})
    rupture = Rupture(situation_id=situation.id, taxonomy_version=CURRENT_VERSION,
                      commune_insee=situation.person.commune_insee,
                      declared_by_user_id=actor.id, declared_at=utcnow(), **clean)
    if clean["resolved_on"] is not None:
        rupture.resolved_by_user_id, rupture.resolved_at = actor.id, utcnow()
    session.add(rupture)
    session.flush()
    if rupture.is_open and situation.state in ACTIVE_STATES:
        situations.fire_event(session, actor, situation, "declare_rupture",
                              reason=f"Rupture n° {rupture.id}",
                              expected_version=expected_version, commit=False)
    if commit:
        session.commit()
    return rupture


def get_rupture(session: Session, actor: User, rupture_id: int) -> Rupture:
    _require_care_team(actor, "Rupture introuvable.")
    rupture = session.scalar(select(Rupture).join(Situation).where(
        Rupture.id == rupture_id, policy.situation_visibility_clause(
            actor, among=select(Rupture.situation_id).where(Rupture.id == rupture_id)
            .scalar_subquery())))
    if rupture is None:
        raise NotFound("Rupture introuvable.")
    audit.record_read(session, rupture.situation, detail=f"rupture {rupture.id}")
    return rupture


def resolve_rupture(session: Session, actor: User, rupture_id: int,
                    data: Mapping[str, Any], *, expected_version: int | None = None,
                    today: date | None = None) -> Rupture:
    """Resolve with a date and how; resolving the situation's last open rupture brings it
    back to the state it was in."""
    rupture = get_rupture(session, actor, rupture_id)
    if not details_readable(session, actor, rupture):
        # resolving says how the pathway was repaired: for those who know what broke
        raise Conflict("Cette rupture se résout par l'équipe de soins ou par "
                       "l'organisation qui l'a déclarée.")
    if not rupture.is_open:
        raise Conflict(f"Cette rupture est déjà résolue (le {rupture.resolved_on:%d/%m/%Y}).",
                       {"resolved_on": rupture.resolved_on.isoformat()})
    clean = validate_resolution(data, rupture.occurred_on, today or date.today())
    rupture.resolved_on, rupture.resolution = clean["resolved_on"], clean["resolution"]
    rupture.resolved_by_user_id, rupture.resolved_at = actor.id, utcnow()
    session.flush()
    situation = rupture.situation
    if situation.state == "in_rupture" and not has_open_rupture(session, situation.id):
        situations.fire_event(session, actor, situation, "resolve_rupture",
                              # how it was resolved stays on the rupture, read under the
                              # field-level rule; the history every reader sees says which
                              reason=f"Rupture n° {rupture.id} résolue",
                              expected_version=expected_version, commit=False)
    session.commit()
    return rupture


def list_for_situation(session: Session, actor: User, situation: Situation) -> list[Rupture]:
    """The ruptures of a situation the caller has already loaded (so may see), open first."""
    if not policy.can_declare_ruptures(actor):
        return []
    return list(session.scalars(
        select(Rupture).where(Rupture.situation_id == situation.id)
        .order_by(Rupture.resolved_on.is_not(None), Rupture.occurred_on.desc(),
                  Rupture.id.desc())))


def readable_details(actor: User, found: list[Rupture], health_details: bool) -> set[int]:
    """Ids of the ruptures (of one situation) whose nature and free texts `actor` may read
    (policy.sees_rupture_details), given whether they see its health details (known from
    situations.readable_intake or policy.sees_health_details, asked once per request):
    pages, API, PDF and FHIR ask here."""
    return {r.id for r in found if policy.sees_rupture_details(actor, r, health_details)}


def details_readable(session: Session, actor: User, rupture: Rupture) -> bool:
    """The same for one rupture read on its own."""
    return policy.sees_rupture_details(
        actor, rupture, policy.sees_health_details(session, actor, rupture.situation))


def taxonomy() -> Taxonomy:
    return load_taxonomy()


# --- candidates ----------------------------------------------------------------------------

Facts = SituationFacts | ActionFacts
# Where facts come from: each source gives facts for the sweep of `today`. The actions
# module appends its own source returning ActionFacts (overdue, refused, blocked).
CANDIDATE_SOURCES: list[Callable[[Session, date], Iterable[Facts]]] = []


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def situation_facts(session: Session, today: date) -> Iterable[SituationFacts]:
    """Facts of every situation past its draft: the last event (last transition or
    intake save), the closure, and the discharge flag of the intake.

    - A receiving service is known when the intake lists the services that already
      accompany the person (`current_supports`): the closure has no field for it yet.
    - A recent discharge without follow-up is the intake's flag; its date is the day the
      situation was opened (the hospital-discharge pathway will record real dates)."""
    last_transition = (select(TransitionRecord.situation_id,
                              func.max(TransitionRecord.occurred_at).label("at"))
                       .group_by(TransitionRecord.situation_id).subquery())
    rows = session.execute(
        select(Situation.id, Situation.state, Situation.created_at,
               Situation.intake_updated_at, Situation.closure_reason, Situation.closed_at,
               Situation.intake_answers, last_transition.c.at)
        .outerjoin(last_transition, last_transition.c.situation_id == Situation.id)
        .where(Situation.state != "draft").execution_options(yield_per=1000))
    for (sid, state, created, intake_saved, closure, closed_at, answers, transition_at) in rows:
        # SQLite hands MAX() back as text: parse it when it is not a datetime already
        if isinstance(transition_at, str):
            transition_at = datetime.fromisoformat(transition_at)
        moments = [m for m in (created, intake_saved, transition_at) if m is not None]
        last = max(m if m.tzinfo else m.replace(tzinfo=created.tzinfo) for m in moments)
        answers = answers or {}
        flagged = bool(answers.get("recent_discharge_without_follow_up"))
        yield SituationFacts(
            id=sid, state=state, last_event_at=last, closure_reason=closure,
            closed_on=_day(closed_at),
            receiving_service_known=bool(answers.get("current_supports")),
            discharged_on=_day(created) if flagged else None,
            follow_up_appointment_recorded=False)


CANDIDATE_SOURCES.append(situation_facts)


@dataclass(frozen=True)
class SweepResult:
    found: int
    created: int


def raise_candidates(session: Session, today: date,
                     thresholds: CandidateThresholds | None = None) -> SweepResult:
    """The scheduler's sweep: detect candidates from every source and insert the keys
    never seen before (a dismissed key stays known: never raised twice). Idempotent; two
    sweeps at once cannot insert a key twice (unique key, conflicting inserts ignored)."""
    facts: list[Facts] = [f for source in CANDIDATE_SOURCES for f in source(session, today)]
    found = detect_candidates([f for f in facts if isinstance(f, SituationFacts)],
                              [f for f in facts if isinstance(f, ActionFacts)], today,
                              thresholds)
    known: set[str] = set()
    keys = [c.key for c in found]
    for start in range(0, len(keys), 500):
        known.update(session.scalars(select(RuptureCandidate.key)
                                     .where(RuptureCandidate.key.in_(keys[start:start + 500]))))
    new = [c for c in found if c.key not in known]
    if new:
        now = utcnow()
        rows = [{"key": c.key, "rule": c.rule, "situation_id": c.situation_id,
                 "action_id": c.action_id, "explanation": c.explanation,
                 "occurred_on": c.occurred_on, "suggested_type": c.suggested_type,
                 "suggested_cause": c.suggested_cause, "status": "open", "raised_at": now}
                for c in new]
        session.execute(_insert_ignoring_duplicates(session), rows)
        audit.record(session, "raise_candidates", "rupture_candidates", None,
                     detail=f"{len(new)} nouveau(x) candidat(s) le {today.isoformat()}")
    session.commit()
    return SweepResult(len(found), len(new))


def _insert_ignoring_duplicates(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(RuptureCandidate).on_conflict_do_nothing(index_elements=["key"])


def list_candidates(session: Session, actor: User, *, status: str | None = "open",
                    page: int = 1, per_page: int = 50,
                    mine: bool = False) -> Page[RuptureCandidate]:
    """Newest first; `mine`: only on the situations `actor` is the referent of."""
    _require_coordinator(actor)
    if status is not None and status not in CANDIDATE_STATUSES:
        raise ValidationError({"status": ["Valeurs : " + ", ".join(CANDIDATE_STATUSES) + "."]})
    query = select(RuptureCandidate).join(Situation).where(
        policy.situation_visibility_clause(actor))
    if status:
        query = query.where(RuptureCandidate.status == status)
    if mine:
        query = query.where(Situation.referent_user_id == actor.id)
    result = paginate(session, query.order_by(RuptureCandidate.raised_at.desc(),
                                              RuptureCandidate.id.desc()), page, per_page)
    for candidate in result.items:
        audit.record_read(session, candidate.situation, detail="candidats de rupture")
    return result


def _open_candidate(session: Session, actor: User, candidate_id: int) -> RuptureCandidate:
    _require_coordinator(actor)
    candidate = session.scalar(select(RuptureCandidate).join(Situation).where(
        RuptureCandidate.id == candidate_id, policy.situation_visibility_clause(
            actor, among=select(RuptureCandidate.situation_id)
            .where(RuptureCandidate.id == candidate_id).scalar_subquery())))
    if candidate is None:
        raise NotFound("Candidat introuvable.")
    if candidate.status != "open":
        raise Conflict(f"Ce candidat est déjà {CANDIDATE_STATUSES[candidate.status].lower()}.",
                       {"status": candidate.status})
    return candidate


def confirm_candidate(session: Session, actor: User, candidate_id: int,
                      data: Mapping[str, Any] | None = None, *,
                      today: date | None = None) -> Rupture:
    """Confirm: a rupture is declared with the suggested date and codes, or those given
    (422 naming each field, e.g. `type` when the rule suggests none)."""
    candidate = _open_candidate(session, actor, candidate_id)
    given = {k: v for k, v in (data or {}).items() if v not in (None, "")}
    values = {"occurred_on": candidate.occurred_on.isoformat(),
              "type": candidate.suggested_type, "cause": candidate.suggested_cause,
              "description": candidate.explanation, **given}
    rupture = declare_rupture(session, actor, candidate.situation_id, values, today=today,
                              commit=False)
    candidate.status, candidate.rupture_id = "confirmed", rupture.id
    candidate.decided_by_user_id, candidate.decided_at = actor.id, utcnow()
    session.commit()
    return rupture


def dismiss_candidate(session: Session, actor: User, candidate_id: int,
                      reason: Any) -> RuptureCandidate:
    candidate = _open_candidate(session, actor, candidate_id)
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise ValidationError({"reason": ["Indiquez pourquoi ce n'est pas une rupture."]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"reason": [f"{MAX_TEXT} caractères au plus."]})
    candidate.status, candidate.dismissed_reason = "dismissed", text
    candidate.decided_by_user_id, candidate.decided_at = actor.id, utcnow()
    session.commit()
    return candidate


# Actions and meetings plug their facts, figures and jobs in (see action_figures.py).
from coordination.services import action_figures as _plugged  # noqa: E402,F401
