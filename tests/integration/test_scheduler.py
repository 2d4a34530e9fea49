"""The scheduler's jobs on a real database with a simulated clock: meetings created ahead
once, agendas built and frozen on their day (and once after a downtime), reminders never
sent twice, e-mails through a local SMTP server."""

import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coordination.models import Action, Meeting, MeetingStatus, Notification
from coordination.services import actions, jobs, meetings, persons, situations

NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
def series(db_session, personas, partnership):
    return meetings.create_series(db_session, personas["coordinator"], {
        "name": "Concertation", "invited_organisation_ids": [partnership["csapa"].id],
        "recurrence": {"weekday": "tuesday", "positions": "2,4", "time": "14:00",
                       "freeze_days_before": 3}}, today=NOW.date())


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def run_all(session, settings, now):
    return jobs.run_due_jobs(session, settings, now, force=True)


def test_running_every_job_twice_creates_nothing_twice(db_session, settings, series,
                                                        overdue_action):
    first = run_all(db_session, settings, NOW)
    assert set(first) == {job.name for job in jobs.JOBS}
    meetings_after_first = count(db_session, Meeting)
    notifications_after_first = count(db_session, Notification)
    run_all(db_session, settings, NOW)
    assert count(db_session, Meeting) == meetings_after_first > 0
    assert count(db_session, Notification) == notifications_after_first > 0


def test_a_job_is_claimed_once_per_period(db_session, settings, series):
    job = next(j for j in jobs.JOBS if j.name == "create_meetings")
    assert jobs.run_job(db_session, settings, job, NOW) is not None
    assert jobs.run_job(db_session, settings, job, NOW + timedelta(minutes=5)) is None
    assert jobs.run_job(db_session, settings, job, NOW + job.every) is not None


def test_the_agenda_is_frozen_on_its_day_and_once_after_a_downtime(db_session, settings,
                                                                   series):
    # 2nd Tuesday of November 2026 is the 10th: frozen on Saturday the 7th.
    meeting = db_session.scalar(select(Meeting).where(Meeting.rule_date == date(2026, 11, 10)))
    run_all(db_session, settings, datetime(2026, 11, 6, 8, 0, tzinfo=UTC))
    db_session.refresh(meeting)
    assert meeting.status is MeetingStatus.SCHEDULED and meeting.agenda_built_at is not None
    # the scheduler was down from the 6th to the 9th: the first run catches up, once
    run_all(db_session, settings, datetime(2026, 11, 9, 9, 0, tzinfo=UTC))
    db_session.refresh(meeting)
    assert meeting.status is MeetingStatus.AGENDA_FROZEN
    frozen_at = meeting.agenda_frozen_at
    run_all(db_session, settings, datetime(2026, 11, 9, 10, 0, tzinfo=UTC))
    db_session.refresh(meeting)
    assert meeting.agenda_frozen_at == frozen_at
    # the next meeting (24th) is not frozen yet
    later = db_session.scalar(select(Meeting).where(Meeting.rule_date == date(2026, 11, 24)))
    assert later.status is MeetingStatus.SCHEDULED
    kinds = set(db_session.scalars(select(Notification.kind)))
    assert "agenda_frozen" in kinds


@pytest.fixture
def overdue_action(db_session, personas, partnership):
    coordinator = personas["coordinator"]
    person = persons.create_person(db_session, coordinator, {
        "birth_name": "LEFEVRE", "birth_first_names": "Jean", "birth_date": "1971-04-03",
        "sex": "M"})
    persons.record_consent(db_session, coordinator, person,
                           {"kind": "information", "method": "oral"})
    situation = situations.open_situation(db_session, coordinator, person.id)
    return actions.create_action(db_session, coordinator, situation, {
        "title": "Rendez-vous CSAPA pour M. Lefevre",
        "assignee_organisation_id": partnership["csapa"].id,
        "due_on": "2026-11-01", "confirm_past_due": True}, today=date(2026, 11, 2))


def test_overdue_actions_are_signalled_once_per_due_date(db_session, settings, overdue_action,
                                                         personas):
    run_all(db_session, settings, NOW)
    overdue = count(db_session, Notification, Notification.kind == "action_overdue")
    assert overdue == 2  # the CSAPA partner and the referent
    run_all(db_session, settings, NOW + timedelta(days=1))
    assert count(db_session, Notification, Notification.kind == "action_overdue") == 2
    assert db_session.get(Action, overdue_action.id).state == "open"


def test_notifications_name_actions_and_calls_by_number_never_by_typed_text(
        db_session, settings, overdue_action, personas):
    """A notification outlives the share it was sent under: it names the action's kind and
    numbers, not its title ("… pour M. Lefevre") nor a caller's name."""
    from coordination.services import calls

    calls.log_call(db_session, personas["coordinator"], {
        "caller_name": "Sylvie Roques", "caller_type": "family", "motives": ["caregiver_support"],
        "received_at": (NOW - timedelta(hours=2)).isoformat(),
        "callback_due_at": (NOW - timedelta(minutes=5)).isoformat()}, now=NOW)
    run_all(db_session, settings, NOW)
    titles = [n.title for n in db_session.scalars(select(Notification))]
    assert {"action_assigned", "action_overdue", "callback_due"} <= set(
        db_session.scalars(select(Notification.kind)))
    assert titles and not [t for t in titles if "lefevre" in t.lower() or "roques" in t.lower()]
    assert any(f"action n° {overdue_action.id}" in t for t in titles)


@dataclass
class SmtpServer:
    """A local SMTP server: what it received, whether it refuses for now (451), and the
    settings that send to it."""
    settings: object
    received: list = field(default_factory=list)
    refusing: bool = False


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpServer(replace(settings, smtp_host="127.0.0.1", smtp_port=port,
                                smtp_sender="dac11@example.org"))

    class Handler:
        async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd API
            if server.refusing:
                return "451 Try again later"
            server.received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield server
    controller.stop()


def test_notifications_are_e_mailed_once_through_smtp(db_session, smtp, overdue_action):
    run_all(db_session, smtp.settings, NOW)
    sent_first = len(smtp.received)
    run_all(db_session, smtp.settings, NOW + timedelta(hours=1))
    received = smtp.received
    assert sent_first == len(received) == count(db_session, Notification) > 0
    assert "bob@csapa.test" in {r for rcpts, _ in received for r in rcpts}
    # the action's title names the person: an e-mail never carries it
    assert all("lefevre" not in body.lower() for _, body in received)
    assert all(n.email_status == "sent" for n in db_session.scalars(select(Notification)))


def test_a_refused_e_mail_is_tried_again_later_and_a_half_sent_run_is_taken_over(
        db_session, smtp, overdue_action, personas):
    from coordination.services import notifications

    mailing = smtp.settings
    smtp.refusing = True
    notifications.notify(db_session, [personas["coordinator"]], "review_due", "review_due:x",
                         "Revue prévue")
    db_session.commit()
    total = count(db_session, Notification)
    assert total >= 2  # a refused message does not stop the next one
    assert notifications.send_pending_emails(db_session, mailing, now=NOW) == 0
    statuses = {n.email_status for n in db_session.scalars(select(Notification))}
    assert statuses == {"failed"}
    smtp.refusing = False
    # not before the pause…
    assert notifications.send_pending_emails(
        db_session, mailing, now=NOW + timedelta(minutes=5)) == 0
    # …then once; a notification a stopped run left "sending" is taken over too
    stuck = db_session.scalars(select(Notification)).first()
    stuck.email_status = "sending"
    db_session.commit()
    assert notifications.send_pending_emails(
        db_session, mailing, now=NOW + timedelta(minutes=11)) == total
    assert notifications.send_pending_emails(
        db_session, mailing, now=NOW + timedelta(hours=2)) == 0
    assert len(smtp.received) == total
    assert {n.email_status for n in db_session.scalars(select(Notification))} == {"sent"}
    assert {n.email_attempts for n in db_session.scalars(select(Notification))} == {2}


def test_without_smtp_nothing_is_mailed_and_nothing_fails(db_session, settings, overdue_action):
    results = run_all(db_session, settings, NOW)
    assert results["send_emails"].startswith("0")
    assert all(n.email_status is None for n in db_session.scalars(select(Notification)))


def test_the_cli_runs_the_jobs_once(settings, fresh_database_url, monkeypatch):
    from click.testing import CliRunner

    from coordination.cli import cli
    from coordination.migrate import upgrade_to_head

    upgrade_to_head(fresh_database_url)
    monkeypatch.setenv("COORDINATION_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("COORDINATION_INSTANCE_PATH", str(settings.instance_path))
    result = CliRunner().invoke(cli, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "create_meetings" in result.output



def test_overdue_and_blocked_actions_raise_rupture_candidates_once(db_session, settings,
                                                                   overdue_action, personas):
    from coordination.models import RuptureCandidate
    from coordination.services import ruptures

    def rules() -> list[str]:
        return sorted(db_session.scalars(select(RuptureCandidate.rule).where(
            RuptureCandidate.action_id == overdue_action.id)))

    ruptures.raise_candidates(db_session, date(2026, 11, 14))  # due on the 1st: 13 days late
    assert rules() == []
    ruptures.raise_candidates(db_session, date(2026, 11, 15))  # 14 days late
    assert rules() == ["overdue_action"]
    actions.fire_event(db_session, personas["csapa_partner"], overdue_action, "block",
                       fields={"block_reason": "refused_admission"})
    ruptures.raise_candidates(db_session, date(2026, 11, 30))
    ruptures.raise_candidates(db_session, date(2026, 12, 1))
    assert rules() == ["action_refused", "overdue_action"]


def test_review_reminders_cover_the_last_week_not_years_of_history(db_session, settings,
                                                                  personas):
    coordinator = personas["coordinator"]
    for name, due in (("RECENTE", NOW.date() - timedelta(days=2)),
                      ("ANCIENNE", NOW.date() - timedelta(days=200))):
        person = persons.create_person(db_session, coordinator, {
            "birth_name": name, "birth_first_names": "Anne", "sex": "F",
            "birth_date": "1980-05-0" + ("1" if name == "RECENTE" else "9")})
        situation = situations.open_situation(db_session, coordinator, person.id)
        situation.next_review_on = due
        db_session.commit()
    run_all(db_session, settings, NOW)
    reminders = list(db_session.scalars(select(Notification).where(
        Notification.kind == "review_due")))
    assert len(reminders) == 1


def test_actions_overdue_for_months_are_not_signalled_again_on_a_first_run(
        db_session, settings, overdue_action):
    db_session.get(Action, overdue_action.id).due_on = NOW.date() - timedelta(days=90)
    db_session.commit()
    run_all(db_session, settings, NOW)
    assert count(db_session, Notification, Notification.kind == "action_overdue") == 0
