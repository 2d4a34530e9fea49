"""Meeting figures (issue 7): building an agenda with 5,000 open situations in the database
≤ 200 ms (baseline: the raw SQL that selects the candidate situations), the agenda PDF with
15 items ≤ 300 ms and the minutes PDF ≤ 500 ms (baseline: an empty one-page ReportLab PDF).
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from reportlab.platypus import Paragraph, SimpleDocTemplate
from sqlalchemy import insert, text

from benchmarks.harness import Result, median_ms, timed
from coordination.db import make_engine, make_session_factory
from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex
from coordination.migrate import upgrade_to_head
from coordination.models import Action, Meeting, Person, Situation, TransitionRecord
from coordination.services import accounts, audit, meetings, pdf

PARIS = ZoneInfo("Europe/Paris")
STATES = ["in_coordination"] * 6 + ["awaiting_meeting", "in_rupture", "in_assessment",
                                    "oriented"]


def run(quick: bool = False) -> list[Result]:
    volume, repeat = (1_000, 10) if quick else (5_000, 30)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as session:
            audit.set_actor(session, audit.AuditActor(None, "bench"))
            coordinator, meeting = _fill(session, volume)
            meeting_id = meeting.id

            def build() -> None:
                meetings.build_agenda(session, coordinator,
                                      session.get(Meeting, meeting_id), PARIS)

            build_ms = median_ms(timed(build, repeat))
            raw_ms = median_ms(timed(lambda: session.execute(text(
                "SELECT id, referent_user_id, state, next_review_on FROM situations "
                "WHERE state NOT IN ('draft', 'closed') AND (state IN ('awaiting_meeting', "
                "'in_rupture') OR next_review_on <= :day)"),
                {"day": date.today() + timedelta(days=3)}).all(), repeat))
            meeting = session.get(Meeting, meeting_id)
            view = meetings.agenda_view(session, coordinator, meeting)  # as the pages read it
            agenda_ms = median_ms(timed(lambda: pdf.agenda_pdf(meeting, view, False, PARIS),
                                        repeat))
            minutes_ms = median_ms(timed(lambda: pdf.minutes_pdf(
                meeting, view, coordinator.organisation_id, PARIS), repeat))
            empty_ms = median_ms(timed(_empty_pdf, repeat))
            count = len(view.items)
        engine.dispose()
    return [
        Result(f"agenda build, {volume} open situations", "ms", build_ms, raw_ms, target=200),
        Result(f"agenda PDF, {count} items", "ms", agenda_ms, empty_ms, target=300),
        Result(f"minutes PDF, {count} items", "ms", minutes_ms, empty_ms, target=500),
    ]


def _empty_pdf() -> bytes:
    buffer = BytesIO()
    SimpleDocTemplate(buffer).build([Paragraph("-")])
    return buffer.getvalue()


def _fill(session, volume: int):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    org = accounts.create_organisation(session, name="DAC 11", type=OrganisationType.DAC)
    csapa = accounts.create_organisation(session, name="CSAPA", type=OrganisationType.CSAPA)
    coordinator = accounts.create_user(
        session, email="bench@dac11.example", full_name="Bench Mark", organisation=org,
        roles=[Role.COORDINATOR], password="Une phrase de passe pour mesurer")  # noqa: S106
    user_id = coordinator.id
    now = datetime.now(UTC)
    today = date.today()
    persons, situations, transitions, actions = [], [], [], []
    for number in range(1, volume + 1):
        persons.append({
            "id": number, "birth_name": f"NOM{number}", "birth_first_names": "Prénom",
            "first_birth_first_name": "Prénom", "birth_date": date(1960, 1, 1)
            + timedelta(days=number), "sex": Sex.MALE, "name_key": f"nom{number}",
            "first_name_key": "prenom", "search_text": f"nom{number} prenom",
            "identity_status": IdentityStatus.PROVISIONAL,
            "legal_protection": LegalProtection.NONE,
            "created_at": now, "updated_at": now, "version": 1})
        state = rng.choice(STATES)
        # a review date within the next months; about one in twenty is due by the meeting
        review = today + timedelta(days=rng.randint(-3, 60))
        situations.append({
            "id": number, "person_id": number, "state": state, "intake_version": "2026.1",
            "intake_answers": {}, "requester": {}, "referent_user_id": user_id,
            "next_review_on": review, "created_at": now, "updated_at": now, "version": 1})
        transitions.append({"situation_id": number, "event": "schedule_meeting"
                            if state == "awaiting_meeting" else "start_coordination",
                            "from_state": "to_triage", "to_state": "awaiting_meeting"
                            if state == "awaiting_meeting" else "in_coordination",
                            "fields": {}, "user_id": user_id,
                            "occurred_at": now - timedelta(days=rng.randint(1, 90))})
        for _ in range(rng.randint(0, 2)):
            actions.append({"situation_id": number, "title": "Rendez-vous", "type": "other",
                            "assignee_organisation_id": csapa.id, "state": "open",
                            "due_on": today + timedelta(days=rng.randint(-20, 40)),
                            "created_at": now, "updated_at": now, "version": 1})
    # Bulk load straight into the tables: the benchmark measures the agenda, not loading.
    for model, rows in ((Person, persons), (Situation, situations),
                        (TransitionRecord, transitions), (Action, actions)):
        session.execute(insert(model.__table__), rows)
    session.commit()
    meeting = meetings.create_meeting(session, coordinator, {
        "title": "Réunion", "starts_at": (now + timedelta(days=3)).isoformat(),
        "agenda_cap": 15}, PARIS)
    meetings.build_agenda(session, coordinator, meeting, PARIS)
    return coordinator, meeting
