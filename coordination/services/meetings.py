"""Partner meetings: series, meetings created ahead, the agenda (built, adjusted, frozen),
attendance, decisions item by item (with actions), minutes.

Who sees what: the host organisation's coordinators run the meetings; partners of invited
organisations see the meetings and, on the agenda, only the situations they may see.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coordination.db import utcnow
from coordination.domain import agenda as agenda_rules
from coordination.domain.accounts import Role
from coordination.domain.agenda import AgendaCandidate, AgendaPlan, ExistingItem
from coordination.domain.errors import (
    Conflict,
    NotFound,
    ValidationError,
    check_version,
    is_id,
)
from coordination.domain.meetings import (
    agenda_freeze_on,
    as_mapping,
    occurrences,
    parse_recurrence,
)
from coordination.domain.periods import parse_datetime
from coordination.models import (
    Action,
    AgendaItem,
    Meeting,
    MeetingAttendance,
    MeetingSeries,
    MeetingStatus,
    Organisation,
    Rupture,
    Situation,
    TransitionRecord,
    User,
)
from coordination.services import actions, audit, notifications, policy, situations
from coordination.workflows.action import OPEN_STATES

PARIS = ZoneInfo("Europe/Paris")
HORIZON_DAYS = 70  # meetings exist this far ahead: partners plan their diaries
MAX_TEXT = 10_000


# --- access --------------------------------------------------------------------------------

def visibility_clause(user: User) -> ColumnElement[bool]:
    if user.has_role(Role.COORDINATOR):
        return Meeting.organisation_id == user.organisation_id
    if user.has_role(Role.PARTNER):
        return Meeting.invited.any(Organisation.id == user.organisation_id)
    return false()


def can_run(user: User, meeting: Meeting) -> bool:
    return user.has_role(Role.COORDINATOR) and meeting.organisation_id == user.organisation_id


def get_meeting(session: Session, actor: User, meeting_id: int) -> Meeting:
    meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id,
                                                   visibility_clause(actor)))
    if meeting is None:
        raise NotFound("Réunion introuvable.")
    return meeting


def _require_runner(actor: User, meeting: Meeting) -> None:
    if not can_run(actor, meeting):
        raise NotFound("Réunion introuvable.")


def list_meetings(session: Session, actor: User, *, upcoming: bool | None = None,
                  limit: int = 100) -> list[Meeting]:
    query = select(Meeting).where(visibility_clause(actor))
    now = utcnow()
    if upcoming is True:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    elif upcoming is False:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc())
    else:
        query = query.order_by(Meeting.starts_at.desc())
    return list(session.scalars(query.limit(limit)))


@dataclass(frozen=True)
class AgendaView:
    """An agenda as one reader may read it. `items`: in order, the situations they see
    (partners never learn how many others there are: `only_shared` says the list is theirs
    only). `discussed`: ids of the items whose discussion they may read (the reasons'
    details, the note, the discussion notes, the decision, the actions confided to other
    organisations): free text that may tell a diagnosis follows the field-level rule of
    each situation (policy.sees_health_details)."""
    items: list[AgendaItem]
    only_shared: bool
    discussed: frozenset[int]

    def reads(self, item: AgendaItem) -> bool:
        return item.id in self.discussed


def agenda_view(session: Session, actor: User, meeting: Meeting) -> AgendaView:
    """The one way pages, API and PDFs read an agenda or minutes."""
    items = [i for i in meeting.items if i.removed_at is None]
    only_shared = not actor.has_role(Role.COORDINATOR)
    if only_shared:
        visible = set(session.scalars(select(Situation.id).where(
            Situation.id.in_([i.situation_id for i in items]),
            policy.situation_visibility_clause(actor))))
        items = [i for i in items if i.situation_id in visible]
    health: dict[int, bool] = {}
    for item in items:
        audit.record_read(session, item.situation, detail=f"ordre du jour {meeting.id}")
        if item.situation_id not in health:
            health[item.situation_id] = policy.sees_health_details(session, actor,
                                                                   item.situation)
    return AgendaView(items, only_shared,
                      frozenset(i.id for i in items if health[i.situation_id]))


# --- series and meetings -------------------------------------------------------------------

def _organisations(session: Session, ids: Any, field: str) -> list[Organisation]:
    if ids in (None, ""):
        return []
    if not isinstance(ids, list) or not all(is_id(i) for i in ids):
        raise ValidationError({field: ["Liste d'identifiants d'organisations attendue."]})
    found = list(session.scalars(select(Organisation).where(Organisation.id.in_(ids))))
    missing = sorted(set(ids) - {o.id for o in found})
    if missing:
        raise ValidationError({field: ["Organisations inconnues : "
                                       + ", ".join(map(str, missing)) + "."]})
    return found


def _text(data: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]],
          required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["Champ obligatoire."]
        return None
    if not isinstance(value, str):
        errors[name] = ["Texte attendu."]
        return None
    value = value.strip()
    if len(value) > limit:
        errors[name] = [f"{limit} caractères au plus."]
    if required and not value:
        errors[name] = ["Champ obligatoire."]
    return value or None


def create_series(session: Session, actor: User, data: Mapping[str, Any],
                  today: date | None = None) -> MeetingSeries:
    if not actor.has_role(Role.COORDINATOR):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    name = _text(data, "name", 200, errors, required=True)
    place = _text(data, "place", 300, errors)
    video = _text(data, "video_link", 500, errors)
    if video and not video.startswith(("https://", "http://")):
        errors["video_link"] = ["Adresse web attendue (https://…)."]
    raw_recurrence = data.get("recurrence") or {}
    try:
        if not isinstance(raw_recurrence, Mapping):
            raise ValidationError({"recurrence": ["Objet attendu (weekday, positions, time…)."]})
        recurrence = parse_recurrence(raw_recurrence)
    except ValidationError as exc:
        errors.update({k if k == "recurrence" else f"recurrence.{k}": v
                       for k, v in exc.fields.items()})
        recurrence = None
    try:
        invited = _organisations(session, data.get("invited_organisation_ids"),
                                 "invited_organisation_ids")
    except ValidationError as exc:
        errors.update(exc.fields)
        invited = []
    if errors:
        raise ValidationError(errors)
    assert recurrence is not None and name is not None
    series = MeetingSeries(organisation_id=actor.organisation_id, name=name,
                           recurrence=as_mapping(recurrence), place=place, video_link=video,
                           invited=invited)
    session.add(series)
    session.commit()
    ensure_meetings(session, today or date.today(), series_ids=[series.id])
    return series


def ensure_meetings(session: Session, today: date, *, horizon_days: int = HORIZON_DAYS,
                    series_ids: Sequence[int] | None = None) -> list[Meeting]:
    """Create the meetings of every active series up to the horizon; those that exist stay
    as they are (the key is the series and the rule's date), so a second run adds none."""
    query = select(MeetingSeries).where(MeetingSeries.is_active.is_(True))
    if series_ids is not None:
        query = query.where(MeetingSeries.id.in_(series_ids))
    created = []
    for series in session.scalars(query).all():
        recurrence = parse_recurrence(series.recurrence)
        known = set(session.scalars(select(Meeting.rule_date).where(
            Meeting.series_id == series.id)))
        for slot in occurrences(recurrence, today, today + timedelta(days=horizon_days)):
            if slot.rule_date in known:
                continue
            meeting = Meeting(
                series_id=series.id, organisation_id=series.organisation_id,
                title=series.name, rule_date=slot.rule_date, starts_at=slot.starts_at_utc,
                ends_at=slot.ends_at_utc, moved_from=slot.moved_from,
                holiday_name=slot.holiday_name, place=series.place,
                video_link=series.video_link, agenda_cap=recurrence.agenda_cap,
                freeze_on=agenda_freeze_on(slot.on, recurrence), invited=list(series.invited))
            try:
                with session.begin_nested():
                    session.add(meeting)
            except IntegrityError:
                continue  # another scheduler run created it a moment ago
            created.append(meeting)
    session.commit()
    return created


def create_meeting(session: Session, actor: User, data: Mapping[str, Any],
                   zone: ZoneInfo) -> Meeting:
    """An ad hoc meeting (a crisis, a situation that cannot wait a fortnight)."""
    if not actor.has_role(Role.COORDINATOR):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    title = _text(data, "title", 200, errors, required=True)
    place = _text(data, "place", 300, errors)
    video = _text(data, "video_link", 500, errors)
    raw = data.get("starts_at")
    starts = parse_datetime(raw, zone)
    if raw in (None, ""):
        errors["starts_at"] = ["Date et heure de la réunion obligatoires."]
    elif starts is None:
        errors["starts_at"] = ["Date et heure attendues (AAAA-MM-JJTHH:MM)."]
    elif starts < utcnow() - timedelta(days=1):
        errors["starts_at"] = ["Une réunion se programme dans le futur."]
    duration = data.get("duration_minutes", 120)
    if isinstance(duration, str) and duration.isdigit():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 15 <= duration <= 480:
        errors["duration_minutes"] = ["Durée entre 15 et 480 minutes."]
    cap = data.get("agenda_cap", 12)
    if isinstance(cap, str) and cap.isdigit():
        cap = int(cap)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 100:
        errors["agenda_cap"] = ["Entre 1 et 100 situations."]
    try:
        invited = _organisations(session, data.get("invited_organisation_ids"),
                                 "invited_organisation_ids")
    except ValidationError as exc:
        errors.update(exc.fields)
        invited = []
    if errors:
        raise ValidationError(errors)
    assert starts is not None and title is not None
    meeting = Meeting(organisation_id=actor.organisation_id, title=title,
                      starts_at=starts, ends_at=starts + timedelta(minutes=duration),
                      place=place, video_link=video, agenda_cap=cap,
                      freeze_on=starts.astimezone(zone).date(), invited=invited)
    session.add(meeting)
    session.commit()
    return meeting


def cancel_meeting(session: Session, actor: User, meeting: Meeting, reason: str | None) -> Meeting:
    _require_runner(actor, meeting)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ["Dites pourquoi la réunion est annulée."]})
    if meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.AGENDA_FROZEN):
        raise Conflict(f"Réunion « {meeting.status.label} » : elle ne peut plus être annulée.")
    meeting.status, meeting.cancelled_reason = MeetingStatus.CANCELLED, reason
    session.commit()
    return meeting


# --- the agenda ----------------------------------------------------------------------------

def _meeting_day(meeting: Meeting, zone: ZoneInfo) -> date:
    return meeting.starts_at.astimezone(zone).date()


def agenda_candidates(session: Session, meeting: Meeting, zone: ZoneInfo) -> list[AgendaCandidate]:
    """Facts about every situation that may have a reason to be discussed: a handful of
    grouped queries, however many situations the territory holds."""
    day = _meeting_day(meeting, zone)
    overdue = (select(Action.situation_id).where(Action.state.in_(OPEN_STATES),
                                                 Action.due_on < day))
    on_agenda = select(AgendaItem.situation_id).where(AgendaItem.meeting_id == meeting.id)
    referents = select(User.id).where(User.organisation_id == meeting.organisation_id)
    due = (Situation.state.not_in(("draft", "closed")),
           or_(Situation.referent_user_id.in_(referents), Situation.id.in_(on_agenda)),
           or_(Situation.state.in_(("awaiting_meeting", "in_rupture")),
               Situation.next_review_on <= day, Situation.id.in_(overdue),
               Situation.id.in_(on_agenda)))
    rows = session.execute(select(Situation.id, Situation.referent_user_id, Situation.state,
                                  Situation.next_review_on).where(*due)).all()
    if not rows:
        return []
    # The same condition as a subquery: no list of thousands of bound ids to send.
    ids = select(Situation.id).where(*due).scalar_subquery()
    triaged = dict(session.execute(
        select(TransitionRecord.situation_id, func.max(TransitionRecord.occurred_at))
        .where(TransitionRecord.situation_id.in_(ids),
               TransitionRecord.to_state == "awaiting_meeting")
        .group_by(TransitionRecord.situation_id)).all())
    rupture = dict(session.execute(  # since when: the oldest open rupture's date
        select(Rupture.situation_id, func.min(Rupture.occurred_on))
        .where(Rupture.situation_id.in_(ids), Rupture.resolved_on.is_(None))
        .group_by(Rupture.situation_id)).all())
    changed = dict(session.execute(
        select(TransitionRecord.situation_id, func.max(TransitionRecord.occurred_at))
        .where(TransitionRecord.situation_id.in_(ids))
        .group_by(TransitionRecord.situation_id)).all())
    late = {sid: (count, oldest) for sid, count, oldest in session.execute(
        select(Action.situation_id, func.count(), func.min(Action.due_on))
        .where(Action.situation_id.in_(ids), Action.state.in_(OPEN_STATES),
               Action.due_on < day).group_by(Action.situation_id))}
    discussed = dict(session.execute(
        select(AgendaItem.situation_id, func.max(Meeting.starts_at))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.situation_id.in_(ids), AgendaItem.decided_at.is_not(None),
               AgendaItem.meeting_id != meeting.id)
        .group_by(AgendaItem.situation_id)).all())
    candidates = []
    for row in rows:
        count, oldest = late.get(row.id, (0, None))
        last_discussed = discussed.get(row.id)
        candidates.append(AgendaCandidate(
            situation_id=row.id, referent_id=row.referent_user_id, state=row.state,
            triaged_to_meeting_at=triaged.get(row.id)
            if row.state == "awaiting_meeting" else None,
            next_review_on=row.next_review_on,
            has_open_rupture=row.state == "in_rupture",
            rupture_since=rupture.get(row.id) if row.state == "in_rupture" else None,
            overdue_actions=count, oldest_overdue_due_on=oldest,
            last_discussed_on=last_discussed.astimezone(zone).date() if last_discussed else None,
            last_change_at=changed.get(row.id)))
    return candidates


def _existing(meeting: Meeting) -> list[ExistingItem]:
    ordered = sorted(meeting.items, key=lambda i: (i.position is None, i.position or 0, i.id))
    return [ExistingItem(i.situation_id, manual=i.manual, note=i.note, added_at=i.added_at,
                         pinned_position=i.pinned_position, removed_at=i.removed_at)
            for i in ordered]


def _require_open_agenda(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise Conflict(f"L'ordre du jour ne se modifie plus : réunion « "
                       f"{meeting.status.label} ».", {"status": meeting.status.value})


def build_agenda(session: Session, actor: User | None, meeting: Meeting, zone: ZoneInfo,
                 *, commit: bool = True) -> AgendaPlan:
    """Build (or rebuild) the agenda from the situations' facts, keeping what the
    coordinator did by hand; the plan says why each item is there. `actor` None: the
    scheduler."""
    if actor is not None:
        _require_runner(actor, meeting)
    _require_open_agenda(meeting)
    plan = agenda_rules.build_agenda(agenda_candidates(session, meeting, zone),
                                     _meeting_day(meeting, zone), meeting.agenda_cap,
                                     _existing(meeting))
    rows = {i.situation_id: i for i in meeting.items}
    planned = {p.situation_id for p in plan.items}
    for item in plan.items:
        row = rows.get(item.situation_id)
        if row is None:
            row = AgendaItem(meeting_id=meeting.id, situation_id=item.situation_id)
            session.add(row)
            meeting.items.append(row)
        row.position, row.score, row.explanation = item.position, item.score, item.explanation
        row.reasons = [{"code": r.code.value, "label": r.label, "detail": r.detail}
                       for r in item.reasons]
        row.removed_at = None if item.restored else row.removed_at
    kept_out = planned | set(plan.removed)
    for situation_id, row in rows.items():
        if situation_id in plan.removed:
            row.position = None
        elif situation_id not in kept_out and row.decided_at is None:
            # No longer due (rupture resolved, actions done): it leaves the agenda.
            meeting.items.remove(row)
            session.delete(row)
    _notify_overflow(session, meeting, plan, _meeting_day(meeting, zone))
    meeting.agenda_built_at = utcnow()
    audit.record(session, "agenda_built", "meetings", meeting.id,
                 detail=f"{len(plan.items)} item(s), {len(plan.overflow)} reporté(s)")
    if commit:
        session.commit()
    return plan


def _notify_overflow(session: Session, meeting: Meeting, plan: AgendaPlan, day: date) -> None:
    """One notice per referent and meeting, naming their situations left for the next."""
    by_referent: dict[int, list[int]] = {}
    for item in plan.overflow:
        if item.referent_id is not None:
            by_referent.setdefault(item.referent_id, []).append(item.situation_id)
    for referent_id, situation_ids in by_referent.items():
        referent = session.get(User, referent_id)
        if referent is None:
            continue
        title = (agenda_rules.overflow_notice(situation_ids[0], day) if len(situation_ids) == 1
                 else f"{len(situation_ids)} de vos situations n'ont pas trouvé place à "
                      f"l'ordre du jour de la réunion du {day:%d/%m/%Y} (nombre maximal "
                      "atteint) : elles seront proposées à la réunion suivante (n° "
                      + ", ".join(map(str, situation_ids[:20]))
                      + (" …" if len(situation_ids) > 20 else "") + ").")
        # Keyed by the set of situations: the hourly preview rebuild repeats nothing, a
        # different set is news.
        ids = ",".join(map(str, sorted(situation_ids)))
        notifications.notify(session, [referent], "agenda_overflow",
                             f"agenda_overflow:{meeting.id}:{referent_id}:"
                             f"{zlib.crc32(ids.encode()):08x}", title,
                             link=f"/reunions/{meeting.id}")


def freeze_agenda(session: Session, actor: User | None, meeting: Meeting,
                  zone: ZoneInfo = PARIS) -> bool:
    """Freeze the agenda and tell the invited partners. The status is claimed with a
    conditional update: two runs (or a coordinator and the scheduler) freeze it once.
    Returns whether this call froze it."""
    if actor is not None:
        _require_runner(actor, meeting)
    if meeting.status is not MeetingStatus.SCHEDULED:
        if actor is not None and meeting.status is not MeetingStatus.AGENDA_FROZEN:
            raise Conflict(f"Réunion « {meeting.status.label} » : l'ordre du jour ne peut "
                           "plus être arrêté.")
        return False
    # The version column makes this UPDATE conditional (… WHERE version = n): when another
    # process froze it first, no row matches and the flush says so.
    meeting.status, meeting.agenda_frozen_at = MeetingStatus.AGENDA_FROZEN, utcnow()
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        return False
    audit.record(session, "agenda_frozen", "meetings", meeting.id)
    # In the same transaction: a crash cannot leave a frozen agenda nobody was told about.
    _notify_invited(session, meeting, "agenda_frozen", f"agenda_frozen:{meeting.id}",
                    f"Ordre du jour arrêté : {meeting.title} du "
                    f"{meeting.starts_at.astimezone(zone):%d/%m/%Y}")
    session.commit()
    return True


def _notify_invited(session: Session, meeting: Meeting, kind: str, key: str, title: str) -> None:
    users: list[User] = []
    for organisation in [*meeting.invited]:
        users += notifications.organisation_members(session, organisation.id)
    users += notifications.organisation_members(session, meeting.organisation_id,
                                                (Role.COORDINATOR,))
    notifications.notify(session, users, kind, key, title, link=f"/reunions/{meeting.id}")


def _order(meeting: Meeting) -> list[int]:
    return [i.situation_id for i in sorted(
        (i for i in meeting.items if i.removed_at is None and i.position is not None),
        key=lambda i: i.position or 0)]


def move_item(session: Session, actor: User, meeting: Meeting, item_id: int,
              direction: str | None = None, position: int | None = None) -> None:
    _require_runner(actor, meeting)
    _require_open_agenda(meeting)
    item = _item(meeting, item_id)
    order = _order(meeting)
    pins = {i.situation_id: i.pinned_position for i in meeting.items
            if i.pinned_position and i.removed_at is None}
    if direction == "up":
        moved = agenda_rules.move_up(order, item.situation_id, pins)
    elif direction == "down":
        moved = agenda_rules.move_down(order, item.situation_id, pins)
    elif position is not None:
        moved = agenda_rules.move_to(order, item.situation_id, position, pins)
    else:
        raise ValidationError({"direction": ["« up », « down » ou une position."]})
    by_situation = {i.situation_id: i for i in meeting.items}
    for index, situation_id in enumerate(moved.order, start=1):
        by_situation[situation_id].position = index
        by_situation[situation_id].pinned_position = moved.pins.get(situation_id)
    _agenda_edited(meeting)
    session.commit()


def add_item(session: Session, actor: User, meeting: Meeting, situation_id: Any,
             note: str | None) -> AgendaItem:
    _require_runner(actor, meeting)
    _require_open_agenda(meeting)
    if not is_id(situation_id) or session.scalar(select(Situation.id).where(
            Situation.id == situation_id,
            policy.situation_visibility_clause(actor, among=situation_id))) is None:
        raise ValidationError({"situation_id": ["Situation introuvable."]})
    order = _order(meeting)
    cleaned = agenda_rules.check_manual_addition(order, situation_id, meeting.agenda_cap, note)
    item = next((i for i in meeting.items if i.situation_id == situation_id), None)
    if item is None:
        item = AgendaItem(meeting_id=meeting.id, situation_id=situation_id,
                          added_by_user_id=actor.id)
        session.add(item)
        meeting.items.append(item)
    item.manual, item.note, item.removed_at = True, cleaned, None
    item.position = len(order) + 1
    item.reasons = [{"code": "manual", "label": agenda_rules.AgendaReason.MANUAL.label,
                     "detail": cleaned}]
    item.explanation = "Ajoutée à la main par la coordination"
    _agenda_edited(meeting)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Cette situation vient d'être ajoutée à l'ordre du jour.") from None
    return item


def remove_item(session: Session, actor: User, meeting: Meeting, item_id: int) -> None:
    _require_runner(actor, meeting)
    _require_open_agenda(meeting)
    item = _item(meeting, item_id)
    agenda_rules.check_removal(_order(meeting), item.situation_id)
    item.removed_at, item.position, item.pinned_position = utcnow(), None, None
    for index, situation_id in enumerate(_order(meeting), start=1):
        next(i for i in meeting.items if i.situation_id == situation_id).position = index
    _agenda_edited(meeting)
    session.commit()


def _agenda_edited(meeting: Meeting) -> None:
    """A hand edit of the agenda is recorded on the meeting row, so its version moves: an
    hourly rebuild that read the agenda before it fails its conditional UPDATE (and runs
    again next hour) instead of overwriting the order, and an edit made on an agenda
    rebuilt meanwhile answers 409 (reload) instead of mixing two orders."""
    meeting.agenda_edited_at = utcnow()


def set_agenda_cap(session: Session, actor: User, meeting: Meeting, cap: Any) -> None:
    """How many situations this meeting's agenda holds (1 to 100), changed by hand."""
    _require_runner(actor, meeting)
    _require_open_agenda(meeting)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 100:
        raise ValidationError({"agenda_cap": ["Entre 1 et 100 situations."]})
    meeting.agenda_cap = cap
    _agenda_edited(meeting)
    audit.record(session, "agenda_cap", "meetings", meeting.id, detail=str(cap))
    session.commit()


def _item(meeting: Meeting, item_id: Any) -> AgendaItem:
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise NotFound("Point de l'ordre du jour introuvable.")
    return item


# --- running the meeting -------------------------------------------------------------------

def record_attendance(session: Session, actor: User, meeting: Meeting,
                      rows: Iterable[tuple[int, bool, str | None]]) -> None:
    """(organisation id, present, names) for each organisation at the table."""
    _require_runner(actor, meeting)
    if meeting.status in (MeetingStatus.MINUTES_PUBLISHED, MeetingStatus.CANCELLED):
        raise Conflict(f"Réunion « {meeting.status.label} » : la présence ne se modifie plus.")
    existing = {a.organisation_id: a for a in meeting.attendance}
    known = {o.id for o in meeting.invited} | {meeting.organisation_id}
    for organisation_id, present, names in rows:
        if organisation_id not in known:
            raise ValidationError({"attendance": [f"Organisation n° {organisation_id} non "
                                                  "invitée à cette réunion."]})
        names = " ".join((names or "").split())[:500] or None
        row = existing.get(organisation_id)
        if row is None:
            meeting.attendance.append(MeetingAttendance(
                organisation_id=organisation_id, present=present, attendees=names))
        else:
            row.present, row.attendees = present, names
    session.commit()


@dataclass(frozen=True)
class DecisionResult:
    item: AgendaItem
    actions: list[Action]
    situation_event: str | None


def record_decision(session: Session, actor: User, meeting: Meeting, item_id: Any,
                    data: Mapping[str, Any], *, zone: ZoneInfo,
                    today: date | None = None) -> DecisionResult:
    """The discussion of one item: notes, decision, the situation's next step by its
    workflow, next review date, actions for partners. Everything is checked before
    anything is written; one transaction."""
    _require_runner(actor, meeting)
    if not meeting.status.accepts_decisions:
        raise Conflict(f"Réunion « {meeting.status.label} » : les décisions ne se modifient "
                       "plus.", {"status": meeting.status.value})
    item = _item(meeting, item_id)
    if item.removed_at is not None:
        raise Conflict("Ce point a été retiré de l'ordre du jour.")
    today = today or date.today()
    situation = item.situation
    errors: dict[str, list[str]] = {}
    notes = _text(data, "notes", MAX_TEXT, errors)
    decision = _text(data, "decision", MAX_TEXT, errors, required=True)
    next_review = data.get("next_review_on")
    if next_review not in (None, "") and not isinstance(next_review, (str, date)):
        errors["next_review_on"] = ["Date attendue (AAAA-MM-JJ)."]
        next_review = None
    if isinstance(next_review, str) and next_review.strip():
        try:
            next_review = date.fromisoformat(next_review.strip())
        except ValueError:
            errors["next_review_on"] = ["Date attendue (AAAA-MM-JJ)."]
            next_review = None
        else:
            if next_review <= today:
                errors["next_review_on"] = ["La prochaine revue se fixe dans le futur."]
    elif not isinstance(next_review, date):
        next_review = None
    event = data.get("event") or None
    if event is None and situation.state == "awaiting_meeting":
        event = "meeting_decision"  # the meeting decided: coordination starts
    if event is not None and (not isinstance(event, str)
                              or event not in situations.allowed_events(session, actor,
                                                                        situation)):
        errors["event"] = ["Étape impossible pour cette situation maintenant. Possibles : "
                           + ", ".join(situations.allowed_events(session, actor, situation))
                           + "."]
    event_fields = data.get("event_fields") or {}
    if not isinstance(event_fields, dict):
        errors["event_fields"] = ["Objet attendu (par exemple {\"closure_reason\": …})."]
        event_fields = {}
    raw_actions = data.get("actions") or []
    if not isinstance(raw_actions, list) or not all(isinstance(a, dict) for a in raw_actions):
        errors["actions"] = ["Liste d'actions attendue."]
        raw_actions = []
    drafts = []
    for index, raw in enumerate(raw_actions):
        try:
            drafts.append(actions.check_action(session, situation, raw, today=today,
                                               prefix=f"actions[{index}]."))
        except ValidationError as exc:
            errors.update(exc.fields)
    if event == "close" and drafts:
        errors["event"] = ["Une situation que l'on clôture ne reçoit pas de nouvelle action."]
    if errors:
        raise ValidationError(errors)
    # The workflow's guards run first: when they refuse (409), nothing has been written.
    if event is not None:
        situations.fire_event(session, actor, situation, event,
                              # the decision stays on the item, where the field-level
                              # rule applies (AgendaView); the history is read by all
                              reason=f"Décision de la réunion du "
                                     f"{_meeting_day(meeting, zone):%d/%m/%Y}",
                              fields=event_fields, commit=False)
    item.discussion_notes, item.decision = notes, decision
    item.next_review_on, item.situation_event = next_review, event
    item.decided_at, item.decided_by_user_id = utcnow(), actor.id
    if next_review is not None:
        situation.next_review_on = next_review
    created = [actions.add_action(session, actor, situation, draft, origin_item_id=item.id)
               for draft in drafts]
    audit.record(session, "decision", "agenda_items", item.id,
                 detail=f"réunion {meeting.id}, situation {situation.id}, "
                        f"{len(created)} action(s)")
    session.commit()
    return DecisionResult(item, created, event)


def close_meeting(session: Session, actor: User, meeting: Meeting,
                  general_notes: Any = None) -> Meeting:
    _require_runner(actor, meeting)
    if general_notes is not None and not isinstance(general_notes, str):
        raise ValidationError({"general_notes": ["Texte attendu."]})
    if not meeting.status.accepts_decisions:
        raise Conflict(f"Réunion « {meeting.status.label} » : elle ne peut plus être close.")
    meeting.status, meeting.held_at = MeetingStatus.HELD, utcnow()
    if general_notes is not None:
        meeting.general_notes = general_notes.strip()[:MAX_TEXT] or None
    session.commit()
    return meeting


def publish_minutes(session: Session, actor: User, meeting: Meeting,
                    expected_version: int | None = None, zone: ZoneInfo = PARIS) -> Meeting:
    _require_runner(actor, meeting)
    check_version(meeting.version, expected_version, "cette réunion")
    if meeting.status is not MeetingStatus.HELD:
        raise Conflict("Le compte rendu se publie une fois la réunion close.",
                       {"status": meeting.status.value})
    meeting.status, meeting.minutes_published_at = (MeetingStatus.MINUTES_PUBLISHED,
                                                    utcnow())
    _notify_invited(session, meeting, "minutes_published", f"minutes_published:{meeting.id}",
                    f"Compte rendu publié : {meeting.title} du "
                    f"{meeting.starts_at.astimezone(zone):%d/%m/%Y}")
    session.commit()
    return meeting


def next_meeting_for(session: Session, organisation_id: int) -> Meeting | None:
    return session.scalar(select(Meeting).where(
        Meeting.organisation_id == organisation_id, Meeting.starts_at >= utcnow(),
        Meeting.status.in_((MeetingStatus.SCHEDULED, MeetingStatus.AGENDA_FROZEN)))
        .order_by(Meeting.starts_at).limit(1))


def series_of(session: Session, actor: User) -> list[MeetingSeries]:
    if not actor.has_role(Role.COORDINATOR):
        return []
    return list(session.scalars(select(MeetingSeries).where(
        MeetingSeries.organisation_id == actor.organisation_id).order_by(MeetingSeries.name)))


def next_discussion(session: Session, situation: Situation) -> AgendaItem | None:
    """The coming meeting whose agenda holds this situation (its page says when it will be
    discussed); None when no agenda built so far holds it."""
    return session.scalar(
        select(AgendaItem).join(Meeting).where(
            AgendaItem.situation_id == situation.id, AgendaItem.removed_at.is_(None),
            AgendaItem.position.is_not(None), AgendaItem.decided_at.is_(None),
            Meeting.starts_at >= utcnow(),
            Meeting.status.in_((MeetingStatus.SCHEDULED, MeetingStatus.AGENDA_FROZEN)))
        .order_by(Meeting.starts_at).limit(1))


def situation_discussions(session: Session, situation: Situation) -> list[AgendaItem]:
    """The meetings that discussed a situation (its page shows them)."""
    return list(session.scalars(
        select(AgendaItem).join(Meeting).where(AgendaItem.situation_id == situation.id,
                                               AgendaItem.decided_at.is_not(None))
        .order_by(Meeting.starts_at)))

