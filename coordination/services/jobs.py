"""The scheduler's jobs (DESIGN §5): plain functions of a session and a clock.

Each job is idempotent (a second run creates nothing twice: notifications have keys,
meetings have their series' date, freezing is a conditional update), reads "what is due
up to now" rather than "what happened since the last run" (so that one run after a
downtime catches up on everything missed, once), and is claimed by a conditional update
on its `job_runs` row so that two scheduler processes never run it at the same moment.
They never run in the web workers: `coordination scheduler` runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coordination.models import Action, Call, JobRun, Meeting, MeetingStatus, Situation, User
from coordination.services import audit, notifications
from coordination.settings import Settings
from coordination.workflows.action import OPEN_STATES

log = logging.getLogger(__name__)
CATCH_UP = timedelta(days=7)  # the longest downtime after which reminders still catch up


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Session, Settings, datetime], str]
    description: str


def create_meetings(session: Session, settings: Settings, now: datetime) -> str:
    from coordination.services import meetings  # jobs is imported by what meetings imports

    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    created = meetings.ensure_meetings(session, today)
    return f"{len(created)} réunion(s) créée(s)"


def prepare_agendas(session: Session, settings: Settings, now: datetime) -> str:
    """Build the next agenda of each organisation as a preview (rebuilt while facts
    change), then build it one last time and freeze it on its freeze date."""
    from coordination.services import meetings

    zone = ZoneInfo(settings.timezone)
    today = now.astimezone(zone).date()
    built = frozen = 0
    upcoming = list(session.scalars(select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)))
    seen_organisations: set[int] = set()
    for meeting in upcoming:
        due = meeting.freeze_on <= today
        first = meeting.organisation_id not in seen_organisations
        seen_organisations.add(meeting.organisation_id)
        if not (due or first):
            continue
        try:
            meetings.build_agenda(session, None, meeting, zone)
        except StaleDataError:  # edited by hand meanwhile: rebuilt at the next run
            session.rollback()
            continue
        built += 1
        if due and meetings.freeze_agenda(session, None, meeting, zone):
            frozen += 1
    return f"{built} ordre(s) du jour construit(s), {frozen} arrêté(s)"


def action_reminders(session: Session, settings: Settings, now: datetime) -> str:
    """Due in two days: the assignee is reminded. Overdue: the assignee and the referent
    are told, once per due date (a postponed action can fall overdue again), for the due
    dates of the last week: older ones were signalled when they passed, and a first run on
    years of history sends no flood (they stay on "my actions", marked late)."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    soon = overdue = 0
    rows = session.scalars(select(Action).where(Action.state.in_(OPEN_STATES),
                                                Action.due_on <= today + timedelta(days=2),
                                                Action.due_on > today - CATCH_UP))
    from coordination.services import actions as action_service

    for action in rows:
        # only people who may still see it (a share or consent withdrawn stops reminders)
        assignees = action_service.recipients(session, action)
        if action.due_on is not None and action.due_on < today:
            referent = session.get(User, action.situation.referent_user_id) \
                if action.situation.referent_user_id else None
            overdue += len(notifications.notify(
                session, [*assignees, *([referent] if referent else [])], "action_overdue",
                f"action_overdue:{action.id}:{action.due_on}",
                f"Action en retard (attendue le {action.due_on:%d/%m/%Y}) : "
                f"{action_service.notice_reference(action)}",
                link=f"/actions/{action.id}"))
        else:
            soon += len(notifications.notify(
                session, assignees, "action_due_soon", f"action_due:{action.id}:{action.due_on}",
                f"Action à réaliser d'ici le {action.due_on:%d/%m/%Y} : "
                f"{action_service.notice_reference(action)}",
                link=f"/actions/{action.id}"))
    session.commit()
    return f"{soon} rappel(s), {overdue} retard(s) signalé(s)"


def callback_reminders(session: Session, settings: Settings, now: datetime) -> str:
    # Callbacks fallen due in the last week: older ones were signalled when they fell due
    # (the job runs every ten minutes); the window keeps the scan off five years of calls.
    calls = session.scalars(select(Call).where(Call.callback_done_at.is_(None),
                                               Call.callback_due_at <= now,
                                               Call.callback_due_at > now - CATCH_UP))
    sent = 0
    for call in calls:
        taker = session.get(User, call.taken_by_user_id)
        sent += len(notifications.notify(
            session, [taker] if taker else [], "callback_due", f"callback_due:{call.id}",
            f"Rappel à faire : appel n° {call.id} du "
            f"{call.received_at.astimezone(ZoneInfo(settings.timezone)):%d/%m/%Y à %H:%M}",
            link=f"/appels/{call.id}"))
    session.commit()
    return f"{sent} rappel(s) d'appel"


def review_reminders(session: Session, settings: Settings, now: datetime) -> str:
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    sent = 0
    # Reviews fallen due in the last week, as for callbacks: older ones were signalled when
    # due (and stay on the dashboard); a first run on years of history sends no flood.
    for situation in session.scalars(select(Situation).where(
            Situation.next_review_on <= today,
            Situation.next_review_on > today - CATCH_UP,
            Situation.state != "closed", Situation.referent_user_id.is_not(None))):
        referent = session.get(User, situation.referent_user_id)
        sent += len(notifications.notify(
            session, [referent] if referent else [], "review_due",
            f"review_due:{situation.id}:{situation.next_review_on}",
            f"Revue prévue le {situation.next_review_on:%d/%m/%Y} pour la situation "
            f"n° {situation.id}", link=f"/situations/{situation.id}"))
    session.commit()
    return f"{sent} revue(s) signalée(s)"


def planner_statistics(session: Session, settings: Settings, now: datetime) -> str:
    from coordination.db import refresh_statistics

    return refresh_statistics(session)


def send_emails(session: Session, settings: Settings, now: datetime) -> str:
    return f"{notifications.send_pending_emails(session, settings, now=now)} e-mail(s) envoyé(s)"


JOBS: list[Job] = [
    Job("create_meetings", timedelta(hours=6), create_meetings,
        "crée les réunions des séries jusqu'à dix semaines à l'avance"),
    Job("prepare_agendas", timedelta(hours=1), prepare_agendas,
        "construit l'ordre du jour suivant et l'arrête à sa date"),
    Job("action_reminders", timedelta(hours=1), action_reminders,
        "rappelle les actions à échéance et signale les retards"),
    Job("callback_reminders", timedelta(minutes=10), callback_reminders,
        "signale les rappels d'appel échus"),
    Job("review_reminders", timedelta(hours=6), review_reminders,
        "signale les revues de situation échues"),
    Job("send_emails", timedelta(minutes=5), send_emails,
        "envoie par e-mail les notifications (si SMTP est configuré)"),
    Job("planner_statistics", timedelta(hours=24), planner_statistics,
        "met à jour les statistiques de la base pour le choix des index"),
]


def _claim(session: Session, job: Job, now: datetime) -> bool:
    """Take the job for this run unless another process started it less than one period
    ago (crashed runs free themselves after that period)."""
    values = {"name": job.name, "last_started_at": None}
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
    session.execute(insert(JobRun).values(**values).on_conflict_do_nothing())
    claimed = session.execute(
        update(JobRun).where(JobRun.name == job.name,
                             or_(JobRun.last_started_at.is_(None),
                                 JobRun.last_started_at <= now - job.every
                                 + timedelta(seconds=30)))
        .values(last_started_at=now)).rowcount
    session.commit()
    return bool(claimed)


def run_job(session: Session, settings: Settings, job: Job, now: datetime,
            force: bool = False) -> str | None:
    """Run one job if it is due (or `force`); None when skipped."""
    if not _claim(session, job, now) and not force:
        return None
    audit.set_actor(session, audit.AuditActor(None, f"scheduler:{job.name}"))
    try:
        result = job.run(session, settings, now)
    except Exception:
        session.rollback()
        log.exception("job %s failed", job.name)
        result = "échec (voir le journal)"
    session.execute(update(JobRun).where(JobRun.name == job.name)
                    .values(last_finished_at=datetime.now(now.tzinfo), last_result=result))
    session.commit()
    log.info("job %s: %s", job.name, result)
    return result


def run_due_jobs(session: Session, settings: Settings, now: datetime,
                 force: bool = False) -> dict[str, str | None]:
    return {job.name: run_job(session, settings, job, now, force) for job in JOBS}


def register_job(job: Job) -> None:
    """Other modules (rupture candidates, directory freshness) add their jobs here."""
    if all(existing.name != job.name for existing in JOBS):
        JOBS.append(job)


# Actions and meetings plug their facts, figures and jobs in (see action_figures.py).
from coordination.services import action_figures as _plugged  # noqa: E402,F401
from coordination.services import retention as _retention  # noqa: E402,F401
from directory import curation as _directory_curation  # noqa: E402,F401
