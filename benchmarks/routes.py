"""Per-route timings in process (issue 11): the load test's mix (`load._mix`) through the
Flask test client on an existing database, no server and no concurrency, so that a slow
route shows its own cost. Each route is requested once to warm up (imports, templates),
then `--repeat` times, cycling over the coordinators of the generated DACs (one each in
turn: the observatory's figures are kept per DAC, so its first request per DAC is cold).

    python -m benchmarks.routes --database-url sqlite:////tmp/region.db [--repeat 20]
        [--only /actions/ ...] [--profile ROUTE]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import tempfile
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event

from benchmarks.harness import percentile_ms
from benchmarks.load import _coordinators, _mix
from coordination.app import create_app
from coordination.services.demo import DEMO_PASSWORD
from coordination.settings import load_settings

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _signed_in(app: Any, email: str, number: int) -> tuple[Any, str]:
    client = app.test_client()
    # one client address each and per minute: token requests are limited per address
    minute = int(time.time() // 60) % 250
    client.environ_base["REMOTE_ADDR"] = f"10.{minute}.{number // 250}.{number % 250 + 1}"
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    answer = client.post("/connexion", data={"email": email, "password": DEMO_PASSWORD,
                                             "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    api = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert api.status_code in (200, 201), (api.status_code, api.get_data())
    return client, api.get_json()["token"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", nargs="+", default=None, help="route labels to time")
    parser.add_argument("--profile", default=None, help="cProfile this route label")
    parser.add_argument("--sql", action="store_true",
                        help="print each statement of the last request of a route, timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["COORDINATION_DATABASE_URL"] = args.database_url
        os.environ.setdefault("COORDINATION_INSTANCE_PATH", folder)
        os.environ["COORDINATION_LOG_LEVEL"] = "WARNING"
        app = create_app(load_settings())
        statements: list[tuple[float, str, Any]] = []
        if args.sql:
            engine = app.extensions["coordination.sessions"].kw["bind"]

            @event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
                conn.info["started"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
                statements.append((time.perf_counter() - conn.info["started"], statement,
                                   parameters))
        people = list({p.email: p for p in _coordinators(args.database_url)}.values())
        sessions = [(p, *_signed_in(app, p.email, n)) for n, p in enumerate(people)]
        rng = random.Random(11)
        samples: dict[str, list[float]] = defaultdict(list)
        profiler = cProfile.Profile()
        routes = [(kind, method, path) for _, kind, method, path, _ in
                  _mix(people[0], rng) if kind in ("page", "API read")]
        labels = [f"{m} {re.sub(r'/[0-9]+', '/<id>', p.split('?')[0])}" for _, m, p in routes]
        for index, label in enumerate(labels):
            if args.only and label not in args.only and not any(
                    o in label for o in args.only):
                continue
            for turn in range(args.repeat + 1):
                person, client, token = sessions[turn % len(sessions)]
                # the same route, with this person's situation, meeting and a search
                path = next(p for _, k, m, p, _ in _mix(person, rng)
                            if f"{m} {re.sub(r'/[0-9]+', '/<id>', p.split('?')[0])}" == label)
                headers = ({"Authorization": f"Bearer {token}"}
                           if path.startswith("/api/") else {})
                profiling = args.profile and args.profile in label and turn > 0
                if profiling:
                    profiler.enable()
                statements.clear()
                started = time.perf_counter()
                answer = client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                if profiling:
                    profiler.disable()
                assert answer.status_code == 200, (path, answer.status_code)
                if turn:  # the first is the warm-up
                    samples[label].append(elapsed)
            values = samples[label]
            print(f"{routes[index][0]:<9} {label:<36} n={len(values):>3}  p50 "
                  f"{percentile_ms(values, 50):7.1f} ms  p95 "
                  f"{percentile_ms(values, 95):7.1f} ms  max {max(values) * 1000:7.1f} ms",
                  flush=True)
            for seconds, statement, parameters in statements:
                print(f"  {seconds * 1000:7.2f} ms  {' '.join(statement.split())[:1500]}"
                      f"  {str(parameters)[:200]}")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                "coordination|directory/", 45)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
