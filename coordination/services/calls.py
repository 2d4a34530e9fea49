"""The single-number call journal: log, read, search, export, count, call back.

Calls belong to the organisation that answered them (the DAC); only its coordinators read
them. Managers see counts, never a caller's name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coordination.db import utcnow
from coordination.domain.calls import (
    CallerType,
    CallOutcome,
    Channel,
    clean_call,
    format_duration,
    phone_key,
)
from coordination.domain.errors import Conflict, NotFound, ValidationError
from coordination.domain.periods import period_bounds
from coordination.models import (
    Call,
    CallMotive,
    CallMotiveChoice,
    CallOrientation,
    Organisation,
    Person,
    Situation,
    User,
)
from coordination.services import audit, persons, policy
from coordination.services.pagination import Page, paginate
from directory import services as directory_services
from directory.text import fold

PARIS = ZoneInfo("Europe/Paris")

persons.register_person_reference(Call)


# --- access --------------------------------------------------------------------------------

def _visible(actor: User) -> ColumnElement[bool]:
    if not policy.can_take_calls(actor):
        return false()
    return Call.organisation_id == actor.organisation_id


def _require_caller_access(actor: User) -> None:
    if not policy.can_take_calls(actor):
        raise NotFound("Appel introuvable.")


# --- motives -------------------------------------------------------------------------------

def motives(session: Session, *, active_only: bool = True) -> list[CallMotive]:
    query = select(CallMotive).order_by(CallMotive.position, CallMotive.label)
    if active_only:
        query = query.where(CallMotive.is_active.is_(True))
    return list(session.scalars(query))


def motive_labels(session: Session) -> dict[str, str]:
    return {m.code: m.label for m in motives(session, active_only=False)}


def add_motive(session: Session, actor: User, code: str, label: str) -> CallMotive:
    if not policy.can_configure(actor):
        raise NotFound()
    code, label = (code or "").strip().lower(), " ".join((label or "").split())
    errors: dict[str, list[str]] = {}
    if not code or not code.replace("_", "").isalnum() or not code.isascii() or len(code) > 40:
        errors["code"] = ["Code en minuscules, chiffres et « _ » (40 caractères au plus)."]
    elif session.get(CallMotive, code) is not None:
        errors["code"] = ["Ce code existe déjà."]
    if not label or len(label) > 120:
        errors["label"] = ["Libellé obligatoire (120 caractères au plus)."]
    if errors:
        raise ValidationError(errors)
    last = session.scalar(select(func.max(CallMotive.position))) or 0
    motive = CallMotive(code=code, label=label, position=last + 1, is_active=True)
    session.add(motive)
    session.commit()
    return motive


def set_motive_active(session: Session, actor: User, code: str, active: bool) -> CallMotive:
    if not policy.can_configure(actor):
        raise NotFound()
    motive = session.get(CallMotive, code)
    if motive is None:
        raise NotFound("Motif introuvable.")
    motive.is_active = active
    session.commit()
    return motive


# --- logging a call ------------------------------------------------------------------------

def log_call(session: Session, actor: User, data: Mapping[str, Any], *,
             zone: tzinfo = PARIS, now: datetime | None = None,
             situation_follows: bool = False) -> Call:
    """Check everything, then write the call with its motives and orientations at once.
    `situation_follows`: the coordinator chose « situation ouverte » and goes on to open
    it (situations.open_from_call); until it opens, the call counts as information, and
    link_situation gives it its outcome when it does."""
    _require_caller_access(actor)
    if situation_follows and data.get("outcome") == CallOutcome.SITUATION_OPENED.value \
            and not data.get("situation_id"):
        data = {**data, "outcome": CallOutcome.INFORMATION.value}
    clean = clean_call(data, now=now or utcnow(), zone=zone,
                       motive_codes={m.code for m in motives(session)})
    errors: dict[str, list[str]] = {}
    person = None
    if clean["person_id"] is not None:
        try:
            person = persons.get_person(session, actor, clean["person_id"])
        except NotFound:
            errors["person_id"] = ["Personne introuvable."]
    if clean["situation_id"] is not None and session.scalar(
            select(Situation.id).where(Situation.id == clean["situation_id"],
                                       policy.situation_visibility_clause(
                                           actor, among=clean["situation_id"]))) is None:
        errors["situation_id"] = ["Situation introuvable."]
    partner = None
    if clean["caller_organisation_id"] is not None:
        partner = session.get(Organisation, clean["caller_organisation_id"])
        if partner is None:
            errors["caller_organisation_id"] = ["Organisation inconnue."]
    elif clean["caller_organisation"]:
        # A typed name that is a partner's name links to the partner.
        partner = session.scalar(select(Organisation).where(
            Organisation.name_key == Organisation.key_for(clean["caller_organisation"])))
    unknown = directory_services.unknown_ids(session, clean["service_ids"])
    if unknown:
        errors["service_ids"] = ["Services absents de l'annuaire : "
                                 + ", ".join(f"n° {i}" for i in unknown) + "."]
    if errors:
        raise ValidationError(errors)
    call = Call(
        organisation_id=actor.organisation_id, taken_by_user_id=actor.id,
        received_at=clean["received_at"], channel=clean["channel"],
        duration_seconds=clean["duration_seconds"], caller_name=clean["caller_name"],
        caller_name_key=fold(clean["caller_name"]), caller_role=clean["caller_role"],
        caller_organisation=partner.name if partner else clean["caller_organisation"],
        caller_organisation_id=partner.id if partner else None,
        caller_phone=clean["caller_phone"], caller_phone_key=phone_key(clean["caller_phone"]),
        caller_type=clean["caller_type"], person_id=person.id if person else None,
        person_label=clean["person_label"], outcome=clean["outcome"],
        situation_id=clean["situation_id"], callback_due_at=clean["callback_due_at"],
        notes=clean["notes"],
        motives=[CallMotiveChoice(motive_code=code) for code in clean["motives"]],
        orientations=[CallOrientation(service_id=i) for i in clean["service_ids"]],
    )
    session.add(call)
    session.commit()
    return call


def get_call(session: Session, actor: User, call_id: int, detail: str | None = None) -> Call:
    call = session.scalar(select(Call).where(Call.id == call_id, _visible(actor)))
    if call is None:
        raise NotFound("Appel introuvable.")
    audit.record_read(session, call, detail=detail)
    return call


def link_situation(session: Session, call: Call, situation: Situation) -> None:
    """The call opened this situation (the caller is its requester). The caller commits."""
    call.situation_id = situation.id
    call.outcome = CallOutcome.SITUATION_OPENED
    if call.person_id is None:
        call.person_id = situation.person_id


def requester_from(call: Call) -> dict[str, str]:
    return {key: value for key, value in {
        "name": call.caller_name, "role": call.caller_role or "",
        "organisation": call.caller_organisation_name or "",
        "phone": call.caller_phone or ""}.items() if value}


def complete_callback(session: Session, actor: User, call: Call, note: str | None) -> Call:
    _require_caller_access(actor)
    if call.callback_due_at is None:
        raise Conflict("Aucun rappel n'est prévu pour cet appel.")
    if call.callback_done_at is not None:
        raise Conflict("Ce rappel a déjà été fait.",
                       {"done_at": call.callback_done_at.isoformat()})
    if note is not None and not isinstance(note, str):
        raise ValidationError({"note": ["Texte attendu."]})
    note = (note or "").strip() or None
    if note and len(note) > 2000:
        raise ValidationError({"note": ["2000 caractères au plus."]})
    call.callback_done_at = utcnow()
    call.callback_done_by_user_id = actor.id
    call.callback_note = note
    audit.record(session, "callback_done", "calls", call.id)
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict("Ce rappel vient d'être noté par quelqu'un d'autre.") from None
    return call


# --- finding calls -------------------------------------------------------------------------

@dataclass(frozen=True)
class CallFilters:
    date_from: date | None = None
    date_to: date | None = None
    caller: str | None = None
    organisation: str | None = None
    outcome: CallOutcome | None = None
    motive: str | None = None
    caller_type: CallerType | None = None

    def as_args(self) -> dict[str, str]:
        return {k: str(v) for k, v in {
            "from": self.date_from, "to": self.date_to, "caller": self.caller,
            "organisation": self.organisation, "outcome": self.outcome,
            "motive": self.motive, "caller_type": self.caller_type}.items() if v}


FILTER_LABELS = {"from": "Du", "to": "Au", "caller": "Appelant", "organisation": "Organisation",
                 "outcome": "Suite donnée", "motive": "Motif", "caller_type": "Type d'appelant"}


def parse_filters(args: Mapping[str, str]) -> CallFilters:
    """Filters from a query string (page or API): 422 naming each bad parameter."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, attribute in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[attribute] = date.fromisoformat(raw[:10])
            except ValueError:
                errors[name] = ["Date attendue (AAAA-MM-JJ)."]
    if values.get("date_from") and values.get("date_to") \
            and values["date_to"] < values["date_from"]:
        errors["to"] = ["La fin de la période précède son début."]
    for name, enum, attribute in (("outcome", CallOutcome, "outcome"),
                                  ("caller_type", CallerType, "caller_type")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[attribute] = enum(raw)
            except ValueError:
                errors[name] = ["Valeur inconnue. Valeurs : "
                                + ", ".join(m.value for m in enum) + "."]
    for name in ("caller", "organisation", "motive"):
        raw = " ".join((args.get(name) or "").split())
        if len(raw) > 200:
            errors[name] = ["200 caractères au plus."]
        elif raw:
            values[name] = raw
    if errors:
        raise ValidationError(errors)
    return CallFilters(**values)


def _day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    return period_bounds(day, day, zone)


def _filtered(actor: User, filters: CallFilters, zone: tzinfo) -> Any:
    query = select(Call).where(_visible(actor))
    if filters.date_from:
        query = query.where(Call.received_at >= _day_bounds(filters.date_from, zone)[0])
    if filters.date_to:
        query = query.where(Call.received_at < _day_bounds(filters.date_to, zone)[1])
    if filters.caller:
        key, phone = fold(filters.caller), phone_key(filters.caller)
        name_matches = Call.caller_name_key.contains(key, autoescape=True)
        # A name has no digits: comparing its (empty) phone key would match every call
        # logged without a number.
        query = query.where(or_(name_matches, Call.caller_phone_key == phone)
                            if phone else name_matches)
    if filters.organisation:
        query = query.where(func.lower(Call.caller_organisation).contains(
            filters.organisation.lower(), autoescape=True))
    if filters.outcome:
        query = query.where(Call.outcome == filters.outcome)
    if filters.caller_type:
        query = query.where(Call.caller_type == filters.caller_type)
    if filters.motive:
        query = query.where(Call.motives.any(CallMotiveChoice.motive_code == filters.motive))
    return query


def list_calls(session: Session, actor: User, filters: CallFilters, *, page: int = 1,
               per_page: int = 50, zone: tzinfo = PARIS) -> Page[Call]:
    _require_caller_access(actor)
    query = _filtered(actor, filters, zone).order_by(Call.received_at.desc(), Call.id.desc())
    result = paginate(session, query, page, per_page)
    for call in result.items:
        audit.record_read(session, call, detail="journal")
    return result


CSV_COLUMNS = ("n°", "reçu le", "canal", "durée", "appelant", "fonction", "organisation",
               "téléphone", "type d'appelant", "motifs", "personne concernée", "suite donnée",
               "services orientés", "situation", "rappel prévu", "rappel fait", "notes",
               "pris par")


def _cell(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(session: Session, actor: User, filters: CallFilters, *,
               zone: tzinfo = PARIS) -> Iterator[str]:
    """The filtered history as CSV (semicolons, UTF-8 with BOM: what French spreadsheets
    open directly), streamed; the export itself is one audit entry."""
    _require_caller_access(actor)
    labels = motive_labels(session)
    audit.record(session, "export", "calls", None, detail="CSV " + str(filters.as_args()))
    session.commit()
    query = _filtered(actor, filters, zone).order_by(Call.received_at, Call.id)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        yield "\ufeff"
        writer.writerow(CSV_COLUMNS)
        for call in session.scalars(query.execution_options(yield_per=500)):
            person = call.person.display_name if call.person else (call.person_label or "")
            writer.writerow([_cell(v) for v in (
                call.id, call.received_at.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
                call.channel.label, format_duration(call.duration_seconds), call.caller_name,
                call.caller_role, call.caller_organisation_name, call.caller_phone,
                call.caller_type.label, ", ".join(labels.get(c, c) for c in call.motive_codes),
                person, call.outcome.label,
                ", ".join(o.service.name for o in call.orientations), call.situation_id,
                call.callback_due_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
                if call.callback_due_at else "",
                call.callback_done_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
                if call.callback_done_at else "",
                call.notes, call.taken_by.full_name)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return rows()


# --- autocomplete and recognition ----------------------------------------------------------

@dataclass(frozen=True)
class KnownCaller:
    name: str
    role: str | None
    organisation: str | None
    organisation_id: int | None
    phone: str | None
    caller_type: str
    last_call_at: datetime
    calls: int


def _known(call: Call, count: int) -> KnownCaller:
    return KnownCaller(call.caller_name, call.caller_role, call.caller_organisation_name,
                       call.caller_organisation_id, call.caller_phone,
                       call.caller_type.value, call.received_at, count)


def known_callers(session: Session, actor: User, text: str = "", *, phone: str = "",
                  limit: int = 8) -> list[KnownCaller]:
    """Callers already met, most recent first: by name (start of any word, accents
    ignored) or by phone number (any writing of it)."""
    _require_caller_access(actor)
    key, number = fold(text), phone_key(phone)
    if not key and not number:
        return []
    condition = (Call.caller_phone_key == number) if number else or_(
        Call.caller_name_key.startswith(key, autoescape=True),
        Call.caller_name_key.contains(" " + key, autoescape=True))
    grouped = (select(Call.caller_name_key, func.max(Call.id).label("last_id"),
                      func.count().label("calls"))
               .where(_visible(actor), condition, Call.caller_name_key != "anonyme")
               .group_by(Call.caller_name_key)
               .order_by(func.max(Call.id).desc()).limit(limit).subquery())
    rows = session.execute(select(Call, grouped.c.calls)
                           .join(grouped, Call.id == grouped.c.last_id)
                           .order_by(Call.id.desc())).all()
    return [_known(call, count) for call, count in rows]


def recent_caller_names(session: Session, actor: User, limit: int = 300) -> list[str]:
    """Names for the call screen's autocomplete list, most recent callers first."""
    if not policy.can_take_calls(actor):
        return []
    rows = session.execute(
        select(Call.caller_name, func.max(Call.id)).where(_visible(actor))
        .group_by(Call.caller_name).order_by(func.max(Call.id).desc()).limit(limit))
    return [name for name, _ in rows if fold(name) != "anonyme"]


# --- callbacks and counters ----------------------------------------------------------------

def due_callbacks(session: Session, actor: User, *, zone: tzinfo = PARIS,
                  now: datetime | None = None) -> list[Call]:
    """Callbacks not yet made that are due today or earlier, oldest first."""
    if not policy.can_take_calls(actor):
        return []
    now = now or utcnow()
    _, end_of_day = _day_bounds(now.astimezone(zone).date(), zone)
    calls = list(session.scalars(
        select(Call).where(_visible(actor), Call.callback_done_at.is_(None),
                           Call.callback_due_at < end_of_day)
        .order_by(Call.callback_due_at).limit(100)))
    for call in calls:
        audit.record_read(session, call, detail="rappels")
    return calls


def count_today(session: Session, actor: User, *, zone: tzinfo = PARIS) -> int:
    if not policy.can_take_calls(actor):
        return 0
    start, end = _day_bounds(utcnow().astimezone(zone).date(), zone)
    return session.scalar(select(func.count()).select_from(Call).where(
        _visible(actor), Call.received_at >= start, Call.received_at < end)) or 0


@dataclass
class CallCounters:
    date_from: date
    date_to: date
    total: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    per_motive: list[tuple[str, int]] = field(default_factory=list)
    per_caller_type: list[tuple[str, int]] = field(default_factory=list)
    per_outcome: list[tuple[str, str, int]] = field(default_factory=list)
    per_channel: list[tuple[str, int]] = field(default_factory=list)
    average_duration_seconds: int | None = None

    def share(self, outcome: CallOutcome) -> float:
        count = next((n for code, _, n in self.per_outcome if code == outcome.value), 0)
        return count / self.total if self.total else 0.0


def counters(session: Session, actor: User, date_from: date, date_to: date, *,
             zone: tzinfo = PARIS) -> CallCounters:
    """Activity figures for a period: no name, only counts (managers read them too)."""
    if not (policy.can_take_calls(actor) or policy.can_read_activity(actor)):
        raise NotFound()
    if date_to < date_from:
        raise ValidationError({"to": ["La fin de la période précède son début."]})
    if (date_to - date_from).days > 3 * 366:
        raise ValidationError({"to": ["Trois ans au plus."]})
    start, _ = _day_bounds(date_from, zone)
    _, end = _day_bounds(date_to, zone)
    scope = (Call.organisation_id == actor.organisation_id, Call.received_at >= start,
             Call.received_at < end)
    result = CallCounters(date_from, date_to)
    per_day: dict[date, int] = {}
    durations: list[int] = []
    for received, duration in session.execute(
            select(Call.received_at, Call.duration_seconds).where(*scope)):
        day = received.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
        if duration is not None:
            durations.append(duration)
    result.total = sum(per_day.values())
    result.per_day = sorted(per_day.items())
    if durations:
        result.average_duration_seconds = round(sum(durations) / len(durations))
    labels = motive_labels(session)
    result.per_motive = [(labels.get(code, code), n) for code, n in session.execute(
        select(CallMotiveChoice.motive_code, func.count()).join(Call)
        .where(*scope).group_by(CallMotiveChoice.motive_code)
        .order_by(func.count().desc()))]
    by_type = dict(session.execute(select(Call.caller_type, func.count()).where(*scope)
                                   .group_by(Call.caller_type)).all())
    result.per_caller_type = [(t.label, by_type.get(t, 0)) for t in CallerType]
    by_outcome = dict(session.execute(select(Call.outcome, func.count()).where(*scope)
                                      .group_by(Call.outcome)).all())
    result.per_outcome = [(o.value, o.label, by_outcome.get(o, 0)) for o in CallOutcome]
    by_channel = dict(session.execute(select(Call.channel, func.count()).where(*scope)
                                      .group_by(Call.channel)).all())
    result.per_channel = [(c.label, by_channel.get(c, 0)) for c in Channel]
    return result


def person_calls(session: Session, actor: User, person: Person) -> list[Call]:
    """The calls about a person (their page shows who called about them, and when)."""
    if not policy.can_take_calls(actor):
        return []
    return list(session.scalars(select(Call).where(_visible(actor), Call.person_id == person.id)
                                .order_by(Call.received_at.desc()).limit(50)))
