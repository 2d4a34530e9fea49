"""Workflow figures: persisted transitions per second (state + transition record + audit
entry, one commit each) against the same writes in raw SQL; process memory over 100,000
transitions; logigramme evaluation time."""

from __future__ import annotations

import gc
import os
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.harness import Result, median_ms, timed
from coordination.db import make_engine, make_session_factory
from coordination.domain.accounts import OrganisationType, Role
from coordination.migrate import upgrade_to_head
from coordination.services import accounts, audit, logigrammes, persons, situations
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.definition import GuardContext
from coordination.workflows.engine import WorkflowEngine

PASSWORD = "Une phrase de passe pour mesurer"  # noqa: S105 - benchmark account


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: peak RSS is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(quick: bool = False) -> list[Result]:
    results = [_engine_memory(20_000 if quick else 100_000), _logigramme_time()]
    urls = {"SQLite": None}
    if os.environ.get("COORDINATION_BENCH_POSTGRES_URL"):
        urls["PostgreSQL"] = os.environ["COORDINATION_BENCH_POSTGRES_URL"]
    for name, url in urls.items():
        results.extend(_persisted(name, url, 300 if quick else 2_000))
    return results


def _engine_memory(count: int) -> Result:
    engine = WorkflowEngine(COMPLEX_CASE)
    roles = frozenset({"coordinator"})
    facts = {"has_triage": True, "open_actions": 0}
    gc.collect()
    before = _rss_mb()
    for _ in range(count):
        engine.fire(GuardContext("to_triage", "start_assessment", roles, facts=facts))
        engine.fire(GuardContext("in_coordination", "close", roles,
                                 fields={"closure_reason": "resolved"}, facts=facts))
    gc.collect()
    growth = _rss_mb() - before
    return Result(f"RSS growth over {2 * count:,} engine transitions", "MB", max(growth, 0.0),
                  before, target=10)


def _logigramme_time() -> Result:
    current = logigrammes.validate(logigrammes.shipped_document())
    answers = {"imminent_danger": False, "suicide_risk": "none", "person.age": 54,
               "discharge_blocked": False, "domains": ["psychiatric", "addiction", "housing"]}
    measured = timed(lambda: current.evaluate(answers), 5_000)
    baseline = timed(lambda: dict(answers), 5_000)
    return Result("logigramme evaluation, median (dict copy = baseline)", "ms",
                  median_ms(measured), median_ms(baseline), target=1)


def _persisted(name: str, url: str | None, count: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'workflow.db'}"
        if not url.startswith("sqlite"):
            reset = make_engine(url)
            with reset.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            reset.dispose()
        upgrade_to_head(url)
        engine = make_engine(url)
        session = make_session_factory(engine)()
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        org = accounts.create_organisation(session, name="DAC 11", type=OrganisationType.DAC)
        user = accounts.create_user(session, email="bench@dac11.example", full_name="Bench",
                                    organisation=org, roles=[Role.COORDINATOR],
                                    password=PASSWORD)
        person = persons.create_person(session, user, {
            "birth_name": "Bench", "birth_first_names": "Mark", "birth_date": "1980-01-01",
            "sex": "M"})
        # Spread over 50 situations: a real situation sees tens of transitions in its life,
        # not thousands.
        cases = [situations.open_situation(session, user, person.id) for _ in range(50)]
        situation = cases[0]
        audit.set_actor(session, audit.AuditActor(user.id, user.email, "127.0.0.1"))
        turn = iter(range(10**9))

        def persisted() -> None:
            case = cases[next(turn) % len(cases)]
            if case.state == "closed":
                situations.fire_event(session, user, case, "reopen", reason="nouvelle demande")
            else:
                situations.fire_event(session, user, case, "close",
                                      fields={"closure_reason": "resolved"})

        rss_before = _rss_mb()
        start = time.perf_counter()
        samples = timed(persisted, count)
        elapsed = time.perf_counter() - start
        rss_growth = _rss_mb() - rss_before
        state = ["closed", "reopened"]
        raw_index = iter(range(10**9))

        def raw() -> None:
            i = next(raw_index)
            with engine.begin() as connection:
                connection.execute(text("UPDATE situations SET state = :s, version = version + 1"
                                        " WHERE id = :id"), {"s": state[i % 2],
                                                            "id": situation.id})
                connection.execute(text(
                    "INSERT INTO situation_transitions (situation_id, event, from_state, "
                    "to_state, fields, occurred_at) VALUES (:id, 'raw', 'a', 'b', '{}', "
                    "CURRENT_TIMESTAMP)"), {"id": situation.id})

        raw_start = time.perf_counter()
        timed(raw, count)
        raw_elapsed = time.perf_counter() - raw_start
        session.close()
        engine.dispose()
    del samples
    return [
        Result(f"persisted transitions/s with history and audit ({name})", "/s",
               count / elapsed, count / raw_elapsed, target=500 if name == "SQLite" else 300,
               higher_is_better=True),
        Result(f"RSS growth over {count:,} persisted transitions ({name})", "MB",
               max(rss_growth, 0.0), rss_before, target=10),
    ]
