"""What the actions and meetings modules give the ruptures module: facts for the
rupture-candidate sweep (overdue, refused, blocked actions) and activity figures for the
observatory (actions decided and done, meetings held, delay from triage to discussion).
Kept apart so that neither module imports the other."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordination.domain.periods import period_bounds
from coordination.domain.rupture_candidates import ActionFacts
from coordination.models import (
    Action,
    ActionTransition,
    AgendaItem,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    Organisation,
    Situation,
    TransitionRecord,
    User,
)
from coordination.services import jobs, observatory, policy, ruptures
from coordination.workflows.action import OPEN_STATES, BlockReason


def action_facts(session: Session, today: date) -> Iterable[ActionFacts]:
    """Actions still to do whose due date has passed, and blocked ones (a refused
    admission counts as "refused", any other block as "blocked", dated by the block)."""
    blocked_at = (select(ActionTransition.action_id,
                         func.max(ActionTransition.occurred_at).label("at"))
                  .where(ActionTransition.event == "block")
                  .group_by(ActionTransition.action_id).subquery())
    rows = session.execute(
        select(Action.id, Action.situation_id, Action.state, Action.due_on,
               Action.block_reason, blocked_at.c.at)
        .outerjoin(blocked_at, blocked_at.c.action_id == Action.id)
        .where(Action.state.in_(OPEN_STATES),
               (Action.due_on < today) | (Action.state == "blocked"))
        .execution_options(yield_per=1000))
    for action_id, situation_id, state, due_on, reason, at in rows:
        if isinstance(at, str):  # MAX() over a datetime is text on SQLite
            at = datetime.fromisoformat(at)
        closed_as = None
        if state == "blocked" and at is not None:
            closed_as = "refused" if reason == BlockReason.REFUSED_ADMISSION else "blocked"
        yield ActionFacts(id=action_id, situation_id=situation_id, state=state,
                          due_on=due_on, closed_as=closed_as,
                          closed_on=at.date() if closed_as else None)


def activity(session: Session, actor: User, date_from: date, date_to: date, threshold: int,
             zone: tzinfo) -> tuple[str, Any]:
    """Counts for the period (totals of the partnership's work, not about people), and the
    median delay from a triage to the meeting (masked under the threshold)."""
    start, end = period_bounds(date_from, date_to, zone)
    # The reader's organisation only: in a regional deployment each DAC reads its own.
    ours = Action.situation_id.in_(select(Situation.id).where(
        policy.organisation_situations_clause(actor.organisation_id)))
    here = Meeting.organisation_id == actor.organisation_id
    created = session.scalar(select(func.count()).select_from(Action).where(
        ours, Action.created_at >= start, Action.created_at < end)) or 0
    done = session.execute(select(Action.due_on, Action.closed_at).where(
        ours, Action.state == "done", Action.closed_at >= start,
        Action.closed_at < end)).all()
    on_time = sum(1 for due, closed in done
                  if due is None or closed.astimezone(zone).date() <= due)
    today = datetime.now(zone).date()
    overdue_now = session.scalar(select(func.count()).select_from(Action).where(
        ours, Action.state.in_(OPEN_STATES), Action.due_on < today)) or 0
    blocked_now = session.scalar(select(func.count()).select_from(Action).where(
        ours, Action.state == "blocked")) or 0
    held = session.scalar(select(func.count()).select_from(Meeting).where(
        here, Meeting.status.in_((MeetingStatus.HELD, MeetingStatus.MINUTES_PUBLISHED)),
        Meeting.starts_at >= start, Meeting.starts_at < end)) or 0
    discussed = session.execute(
        select(AgendaItem.situation_id, Meeting.starts_at).join(Meeting)
        .where(here, AgendaItem.decided_at.is_not(None), Meeting.starts_at >= start,
               Meeting.starts_at < end)).all()
    triaged = dict(session.execute(
        select(TransitionRecord.situation_id, func.min(TransitionRecord.occurred_at))
        .where(TransitionRecord.to_state == "awaiting_meeting",
               TransitionRecord.situation_id.in_({sid for sid, _ in discussed}))
        .group_by(TransitionRecord.situation_id)).all())
    waits = []
    for situation_id, starts_at in discussed:
        at = triaged.get(situation_id)
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at is not None:
            at = at if at.tzinfo else at.replace(tzinfo=starts_at.tzinfo)
            if at <= starts_at:
                waits.append((starts_at - at).total_seconds() / 86400)
    # Reciprocity: what each partner organisation was asked and did on time.
    per_organisation: dict[str, dict[str, Any]] = {}
    for name, due, closed in session.execute(
            select(Organisation.name, Action.due_on, Action.closed_at)
            .join(Organisation, Organisation.id == Action.assignee_organisation_id)
            .where(ours, Action.state == "done", Action.closed_at >= start,
                   Action.closed_at < end)):
        row = per_organisation.setdefault(name, {"organisation": name, "done": 0,
                                                 "on_time": 0})
        row["done"] += 1
        row["on_time"] += int(due is None or closed.astimezone(zone).date() <= due)
    for row in per_organisation.values():
        row["on_time_share"] = round(row["on_time"] / row["done"], 3)
    delays = sorted((closed.astimezone(zone).date() - due).days for due, closed in done
                    if due is not None)
    # Attendance: meetings held in the period where each invited organisation was present.
    attendance: dict[str, dict[str, Any]] = {}
    for name, present in session.execute(
            select(Organisation.name, MeetingAttendance.present)
            .join(Organisation, Organisation.id == MeetingAttendance.organisation_id)
            .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
            .where(here, Meeting.status.in_((MeetingStatus.HELD,
                                             MeetingStatus.MINUTES_PUBLISHED)),
                   Meeting.starts_at >= start, Meeting.starts_at < end)):
        row = attendance.setdefault(name, {"organisation": name, "present": 0, "recorded": 0})
        row["recorded"] += 1
        row["present"] += int(present)
    return "actions_and_meetings", {
        "actions_created": created, "actions_done": len(done),
        "actions_done_on_time_share": round(on_time / len(done), 3) if done else None,
        "median_days_due_to_done": statistics.median(delays)
        if len(delays) >= threshold else None,
        "actions_overdue_now": overdue_now, "actions_blocked_now": blocked_now,
        "meetings_held": held, "situations_discussed": len(discussed),
        "items_per_meeting": round(len(discussed) / held, 1) if held else None,
        "median_days_triage_to_meeting": round(statistics.median(waits), 1)
        if len(waits) >= threshold else None,
        "on_time_by_organisation": sorted(per_organisation.values(),
                                          key=lambda r: r["organisation"]),
        "attendance_by_organisation": sorted(attendance.values(),
                                             key=lambda r: r["organisation"]),
    }


def rupture_sweep(session: Session, settings: Any, now: datetime) -> str:
    from zoneinfo import ZoneInfo

    result = ruptures.raise_candidates(session, now.astimezone(ZoneInfo(settings.timezone))
                                       .date())
    return f"{result.created} nouveau(x) candidat(s) de rupture sur {result.found}"


ruptures.CANDIDATE_SOURCES.append(action_facts)
observatory.ACTIVITY_SOURCES.append(activity)
jobs.register_job(jobs.Job("rupture_candidates", timedelta(hours=6), rupture_sweep,
                           "repère les candidats de rupture de parcours"))
