"""HTTP load test (issue 11): the production server (`coordination serve`, gunicorn) on
loopback, the generated territory (`dac` by default, `region` with `--region`), 25
simulated coordinators for a bounded time with a realistic mix — call logging, situation
pages, the meeting agenda, my actions, directory search, the observatory — each waiting
between requests as people do. Figures: p95 of the pages (≤ 150 ms), of the API reads
(≤ 100 ms), of the call logging API, the error count (0), and for `region` the load time
of the data. Baseline: the bare `/healthz` route of the same server, requested by the same
users in the same run. SQLite, then PostgreSQL when `COORDINATION_BENCH_POSTGRES_URL` is
set (the data goes to a schema of its own, dropped at the end)."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from benchmarks.harness import Result, percentile_ms
from coordination.db import make_engine, make_session_factory, refresh_statistics
from coordination.domain.accounts import Role
from coordination.migrate import upgrade_to_head
from coordination.models import Situation, User
from coordination.services import audit, meetings
from coordination.services.demo import DEMO_PASSWORD, load_demo

USERS = 25
THINK_SECONDS = (2.0, 8.0)
WARM_UP_SECONDS = 15  # not measured
SEARCHES = [{"q": "csapa"}, {"q": "cmp", "accepting": "1"}, {"q": "hebergement urgence"},
            {"category": "csapa"}, {"q": "addictologie"}, {"q": "gem"}]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def run(quick: bool = False, size: str = "dac", seconds: float | None = None,
        workers: int = 2, database_url: str | None = None, servers: int = 1) -> list[Result]:
    """`database_url`: measure an existing database (already loaded, e.g. by `coordination
    demo --size region`) instead of generating one. `servers`: several app servers on
    the same database, the users spread over them (as a load balancer would)."""
    seconds = seconds or (20 if quick else 60)
    if database_url:
        engine_name = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
        with tempfile.TemporaryDirectory() as folder, \
                _servers(database_url, folder, workers, servers) as ports:
            return _measure(database_url, ports, size, engine_name, seconds, folder)
    targets = {"SQLite": None}
    if os.environ.get("COORDINATION_BENCH_POSTGRES_URL"):
        targets["PostgreSQL"] = os.environ["COORDINATION_BENCH_POSTGRES_URL"]
    results: list[Result] = []
    for engine_name, base_url in targets.items():
        with _database(base_url) as (url, folder):
            started = time.perf_counter()
            _load(url, size)
            loaded = time.perf_counter() - started
            if size == "region":
                results.append(Result(f"load region data ({engine_name})", "s", loaded,
                                      600, target=600))
            with _servers(url, folder, workers, servers) as ports:
                results.extend(_measure(url, ports, size, engine_name, seconds, folder))
    return results


@contextmanager
def _database(base_url: str | None) -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        if base_url is None:
            yield f"sqlite:///{Path(folder) / 'load.db'}", folder
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(base_url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        try:
            yield url, folder
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _load(url: str, size: str) -> None:
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        load_demo(session, size=size)
        refresh_statistics(session)  # as `coordination demo` does after loading
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _servers(url: str, folder: str, workers: int, count: int) -> Iterator[list[int]]:
    with ExitStack() as stack:
        yield [stack.enter_context(_server(url, folder, workers, f"server-{n}.log"))
               for n in range(count)]


@contextmanager
def _server(url: str, folder: str, workers: int, log_name: str) -> Iterator[int]:
    """`coordination serve`, exactly as in production, on a free loopback port; servers
    sharing `folder` share its secret key, as app servers share COORDINATION_SECRET_KEY."""
    port = _free_port()
    env = {**os.environ, "COORDINATION_DATABASE_URL": url,
           "COORDINATION_INSTANCE_PATH": folder, "COORDINATION_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    log = open(Path(folder) / log_name, "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "coordination.cli_entry", "serve", "--port", str(port),
         "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start: see " + log.name)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _request(port: int, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


@dataclass
class _Coordinator:
    """One simulated coordinator: a web session (cookie) and an API token."""

    email: str
    situations: list[int]
    meeting_id: int | None
    cookie: str = ""
    token: str = ""
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


def _coordinators(url: str) -> list[_Coordinator]:
    """25 coordinators of the generated DACs, each with situations of their own DAC."""
    engine = make_engine(url)
    people = []
    with make_session_factory(engine)() as session:
        users = [u for u in session.scalars(select(User).order_by(User.id))
                 if Role.COORDINATOR in u.roles]
        for user in users:
            mine = list(session.scalars(select(Situation.id).where(
                Situation.referent_user_id == user.id).order_by(Situation.id.desc()).limit(200)))
            if not mine:
                continue
            upcoming = meetings.next_meeting_for(session, user.organisation_id)
            people.append(_Coordinator(user.email, mine, upcoming.id if upcoming else None))
    engine.dispose()
    return [people[i % len(people)] for i in range(USERS)] if people else []


def _sign_in(port: int, person: _Coordinator) -> None:
    status, body, response = _request(port, "GET", "/connexion")
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = CSRF.search(body.decode()).group(1)  # type: ignore[union-attr]
    form = urlencode({"email": person.email, "password": DEMO_PASSWORD, "csrf_token": token})
    status, _, response = _request(port, "POST", "/connexion", form.encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    if status != 302:
        raise RuntimeError(f"sign-in of {person.email} answered {status}")
    person.cookie = response.getheader("Set-Cookie", "").split(";")[0] or cookie
    status, body, _ = _request(port, "POST", "/api/v1/auth/token", json.dumps(
        {"email": person.email, "password": DEMO_PASSWORD}).encode(),
        {"Content-Type": "application/json"})
    person.token = json.loads(body)["token"]


def _mix(person: _Coordinator, rng: random.Random) -> list[tuple[int, str, str, str, bytes | None]]:
    """(weight, kind, method, path, body): what a coordinator's day is made of."""
    situation = rng.choice(person.situations)
    search = urlencode(rng.choice(SEARCHES))
    call = json.dumps({"caller_name": "Dr Anne Pujol", "caller_phone": "04 68 25 11 20",
                       "caller_type": "professional", "motives": ["orientation"],
                       "outcome": "information", "duration_seconds": 180}).encode()
    mix = [
        (14, "API write", "POST", "/api/v1/calls", call),
        (8, "page", "GET", "/appels/", None),
        (18, "page", "GET", f"/situations/{situation}", None),
        (5, "API read", "GET", f"/api/v1/situations/{situation}", None),
        (5, "API read", "GET", "/api/v1/situations", None),
        (8, "page", "GET", "/actions/", None),
        (5, "API read", "GET", "/api/v1/actions?status=open_any", None),
        (8, "page", "GET", f"/annuaire/?{search}", None),
        (5, "API read", "GET", f"/api/v1/directory/services?{search}", None),
        (4, "page", "GET", "/observatoire", None),
        (3, "API read", "GET", "/api/v1/observatory/ruptures", None),
        (5, "page", "GET", "/", None),
        (3, "API read", "GET", "/api/v1/calls", None),
        (10, "baseline", "GET", "/healthz", None),
    ]
    if person.meeting_id:
        mix.append((6, "page", "GET", f"/reunions/{person.meeting_id}", None))
    return mix


def _user_loop(port: int, person: _Coordinator, seed: int, measured_from: float,
               until: float) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        warming = time.monotonic() < measured_from
        mix = _mix(person, rng)
        _, kind, method, path, body = rng.choices(mix, [m[0] for m in mix])[0]
        headers = {"Cookie": person.cookie}
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {person.token}",
                       "Content-Type": "application/json"}
        started = time.perf_counter()
        try:
            status, _, _ = _request(port, method, path, body, headers)
        except OSError as exc:
            person.errors.append(f"{method} {path}: {exc}")
            continue
        elapsed = time.perf_counter() - started
        if warming:  # first requests of each worker: imports, caches, SQLite pages
            time.sleep(rng.uniform(*THINK_SECONDS))
            continue
        if status >= 400:
            person.errors.append(f"{method} {path}: {status}")
        person.samples[kind].append(elapsed)
        person.samples[f"{method} {re.sub(r'/[0-9]+', '/<id>', path.split('?')[0])}"].append(
            elapsed)
        # Reading the page, typing: 2 to 8 s (people take longer; 25 users thus send
        # about 5 requests a second, what a few hundred coordinators at work would).
        time.sleep(rng.uniform(*THINK_SECONDS))


def _measure(url: str, ports: list[int], size: str, engine_name: str, seconds: float,
             folder: str) -> list[Result]:
    people = _coordinators(url)
    port = ports[0]
    signed: dict[str, _Coordinator] = {}
    users = []
    for person in people:  # one sign-in per account; accounts shared by several users
        if person.email not in signed:
            _sign_in(port, person)
            signed[person.email] = person
        users.append(_Coordinator(person.email, person.situations, person.meeting_id,
                                  signed[person.email].cookie, signed[person.email].token))
    measured_from = time.monotonic() + WARM_UP_SECONDS
    until = measured_from + seconds
    threads = [threading.Thread(target=_user_loop, args=(
        ports[index % len(ports)], user, index, measured_from, until))
               for index, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples: dict[str, list[float]] = defaultdict(list)
    errors = [e for user in users for e in user.errors]
    for user in users:
        for kind, values in user.samples.items():
            samples[kind].extend(values)
    total = sum(len(samples[k]) for k in ("page", "API read", "API write", "baseline"))
    label = f"{USERS} users, {size}, {engine_name}" + (
        f", {len(ports)} servers" if len(ports) > 1 else "")
    print(f"\nload test ({label}): {total} requests in {seconds:.0f} s "
          f"({total / seconds:.1f}/s)", file=sys.stderr)
    for kind in sorted(k for k in samples if " /" in k):
        print(f"  {kind:<44} n={len(samples[kind]):>5}  p50 "
              f"{percentile_ms(samples[kind], 50):7.1f} ms  p95 "
              f"{percentile_ms(samples[kind], 95):7.1f} ms", file=sys.stderr)
    for error in sorted(set(errors))[:10]:
        print(f"  error: {error}", file=sys.stderr)
    for log in sorted(Path(folder).glob("server-*.log")) if errors else ():
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        for line in [x for x in lines if "Error" in x or "error" in x][-10:]:
            print(f"  {log.name}: {line[:200]}", file=sys.stderr)
    baseline = percentile_ms(samples["baseline"], 95)
    return [
        Result(f"HTTP pages p95 ({label})", "ms", percentile_ms(samples["page"], 95),
               baseline, target=150),
        Result(f"HTTP API reads p95 ({label})", "ms", percentile_ms(samples["API read"], 95),
               baseline, target=100),
        Result(f"HTTP call logging p95 ({label})", "ms",
               percentile_ms(samples["API write"], 95), baseline, target=150),
        Result(f"HTTP errors ({label}, {total} requests)", "", len(errors), 0, target=0),
    ]
