"""Foundation figures: the cost of the audit hook on a write, audit-chain verification
throughput, and an authenticated page against the bare health-check route."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select, text

from benchmarks.harness import Result, median_ms, percentile_ms, timed
from coordination.app import create_app
from coordination.db import make_engine, make_session_factory
from coordination.domain.accounts import OrganisationType, Role
from coordination.migrate import upgrade_to_head
from coordination.models import User
from coordination.services import accounts, audit
from coordination.settings import load_settings

PASSWORD = "Une phrase de passe pour mesurer"  # noqa: S105 - benchmark account


def run(quick: bool = False) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        results = [
            _audited_write(factory, engine, 200 if quick else 1000),
            _verify_throughput(factory, 5_000 if quick else 50_000),
            _page_latency(folder, url, 50 if quick else 300),
        ]
        engine.dispose()
    return results


def _setup_user(factory) -> int:
    with factory() as session:
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        if session.scalar(select(User.id).limit(1)) is None:
            org = accounts.create_organisation(session, name="DAC 11", type=OrganisationType.DAC)
            accounts.create_user(session, email="bench@dac11.example", full_name="Bench Mark",
                                 organisation=org, roles=[Role.COORDINATOR], password=PASSWORD)
        return session.scalar(select(User.id).limit(1))


def _audited_write(factory, engine, count: int) -> Result:
    """One committed change to an audited row, through the ORM and the audit hook, against
    the same UPDATE in raw SQL."""
    user_id = _setup_user(factory)
    session = factory()
    audit.set_actor(session, audit.AuditActor(user_id, "bench@dac11.example", "127.0.0.1"))
    user = session.get(User, user_id)
    counter = iter(range(10**9))

    def audited() -> None:
        user.full_name = f"Bench {next(counter)}"
        session.commit()

    def raw() -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE users SET full_name = :n WHERE id = :id"),
                               {"n": f"Raw {next(counter)}", "id": user_id})

    measured = timed(audited, count)
    baseline = timed(raw, count)
    session.close()
    return Result("audited write, median (SQLite)", "ms", median_ms(measured),
                  median_ms(baseline), target=10)


def _verify_throughput(factory, entries: int) -> Result:
    with factory() as session:
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        for index in range(entries):
            audit.record(session, "read", "persons", index)
            if index % 5000 == 4999:
                session.commit()
        session.commit()
        start = time.perf_counter()
        report = audit.verify_chain(session)
        elapsed = time.perf_counter() - start
        assert report.broken is None
        checked = report.checked
        start = time.perf_counter()
        session.execute(text("SELECT * FROM audit_events")).fetchall()
        raw_elapsed = time.perf_counter() - start
    return Result("audit verify throughput (raw SELECT = baseline)", "k/s",
                  checked / elapsed / 1000, checked / raw_elapsed / 1000, target=20,
                  higher_is_better=True)


def _page_latency(folder: str, url: str, count: int) -> Result:
    settings = replace(load_settings({"COORDINATION_INSTANCE_PATH": folder}), database_url=url)
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    client.post("/connexion", data={"email": "bench@dac11.example", "password": PASSWORD,
                                    "csrf_token": token})
    assert client.get("/").status_code == 200
    measured = timed(lambda: client.get("/"), count)
    baseline = timed(lambda: client.get("/healthz"), count)
    return Result("dashboard p95, in-process (/healthz = baseline)", "ms",
                  percentile_ms(measured, 95), percentile_ms(baseline, 95), target=50)
