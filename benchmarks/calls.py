"""Call journal figures (issue 4): with 100,000 calls in the database, the day's journal
page, the call list API and logging a call through the API keep p95 ≤ 50 ms (server time,
in-process; the bare /healthz route on the same app is the baseline)."""

from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.harness import Result, percentile_ms, timed
from coordination.app import create_app
from coordination.db import make_engine, make_session_factory, refresh_statistics
from coordination.domain.accounts import OrganisationType, Role
from coordination.migrate import upgrade_to_head
from coordination.models import Call, CallMotive, CallMotiveChoice, User
from coordination.services import accounts, audit
from coordination.settings import load_settings
from directory.text import fold

PASSWORD = "Une phrase de passe pour mesurer"  # noqa: S105 - benchmark account
NAMES = ["Dr Anne Pujol", "Sylvie Roques", "Karim Haddad", "Marion Cathala", "Jean Bonnafous",
         "Nadia Ferrand", "Fabien Escande", "Claire Vidal", "Paul Sabatier", "anonyme"]


def run(quick: bool = False) -> list[Result]:
    volume, repeat = (10_000, 40) if quick else (100_000, 200)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        _fill(make_session_factory(engine), volume)
        engine.dispose()
        settings = replace(load_settings({"COORDINATION_INSTANCE_PATH": folder}),
                           database_url=url)
        client = create_app(settings).test_client()
        token = client.post("/api/v1/auth/token", json={
            "email": "bench@dac11.example", "password": PASSWORD}).get_json()["token"]
        api = {"Authorization": f"Bearer {token}"}
        page = client.get("/connexion").get_data(as_text=True)
        csrf = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
        client.post("/connexion", data={"email": "bench@dac11.example", "password": PASSWORD,
                                        "csrf_token": csrf})
        assert client.get("/appels/").status_code == 200
        baseline = percentile_ms(timed(lambda: client.get("/healthz"), repeat), 95)
        label = f"{volume // 1000}k calls"
        body = {"caller_name": "Dr Anne Pujol", "motives": ["housing"],
                "caller_phone": "04 68 25 11 20", "duration_seconds": 180}
        results = [
            Result(f"call journal page p95 ({label})", "ms",
                   percentile_ms(timed(lambda: client.get("/appels/"), repeat), 95),
                   baseline, target=50),
            Result(f"GET /api/v1/calls p95 ({label})", "ms",
                   percentile_ms(timed(lambda: client.get("/api/v1/calls", headers=api),
                                       repeat), 95), baseline, target=50),
            Result(f"history search by caller p95 ({label})", "ms",
                   percentile_ms(timed(lambda: client.get(
                       "/api/v1/calls?caller=roques&from=2024-01-01", headers=api), repeat),
                       95), baseline, target=50),
            Result(f"POST /api/v1/calls p95 ({label})", "ms",
                   percentile_ms(timed(lambda: client.post("/api/v1/calls", json=body,
                                                           headers=api), repeat), 95),
                   baseline, target=50),
        ]
    return results


def _fill(factory, volume: int) -> None:
    """Five years of calls, about 55 a day, the last 40 of them today."""
    rng = random.Random(4)
    with factory() as session:
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        org = accounts.create_organisation(session, name="DAC 11", type=OrganisationType.DAC)
        accounts.create_user(session, email="bench@dac11.example", full_name="Bench Mark",
                             organisation=org, roles=[Role.COORDINATOR], password=PASSWORD)
        user_id = session.scalar(select(User.id))
        motives = list(session.scalars(select(CallMotive.code)))
        now = datetime.now(UTC)
        rows, choices = [], []
        for number in range(1, volume + 1):
            received = now - timedelta(minutes=12 * (volume - number) + 1)
            name = rng.choice(NAMES)
            rows.append({
                "id": number, "organisation_id": org.id, "received_at": received,
                "channel": "phone", "duration_seconds": rng.randint(60, 900),
                "caller_name": name, "caller_name_key": fold(name),
                "caller_phone": f"06 {rng.randint(10, 99)} 00 00 00",
                "caller_phone_key": None, "caller_type": rng.choice(
                    ["professional", "professional", "family", "person"]),
                "outcome": rng.choice(["information", "information", "orientation",
                                       "emergency_redirect"]),
                "taken_by_user_id": user_id, "created_at": received})
            choices.append({"call_id": number, "motive_code": rng.choice(motives)})
        # Bulk load straight into the tables: the benchmark measures reading, not loading.
        session.execute(insert(Call.__table__), rows)
        session.execute(insert(CallMotiveChoice.__table__), choices)
        session.commit()
        refresh_statistics(session)  # what the scheduler's daily job does
