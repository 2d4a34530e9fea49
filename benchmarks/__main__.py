"""Run every benchmark: `python -m benchmarks [--quick] [--region] [--only SUITE…]`."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    calls,
    directory,
    foundation,
    load,
    meetings,
    observatory,
    persons,
    workflow,
)
from benchmarks.harness import Result

SUITES = [foundation, persons, workflow, directory, calls, meetings, observatory, load]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller volumes (smoke run)")
    parser.add_argument("--region", action="store_true",
                        help="load test on the region data (15 DACs, five years: about "
                             "5 minutes to generate per engine) instead of one DAC")
    parser.add_argument("--seconds", type=float, default=None,
                        help="duration of the load test (default 60, 20 with --quick)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers of the load-tested server (default 2)")
    parser.add_argument("--database-url", default=None,
                        help="load test an existing database instead of generating one")
    parser.add_argument("--servers", type=int, default=1,
                        help="app servers behind the simulated load balancer (default 1)")
    parser.add_argument("--only", nargs="+", metavar="SUITE",
                        choices=[s.__name__.rsplit(".", 1)[-1] for s in SUITES],
                        help="run only these suites")
    args = parser.parse_args()
    results: list[Result] = []
    for suite in SUITES:
        name = suite.__name__.rsplit(".", 1)[-1]
        if args.only and name not in args.only:
            continue
        if suite is load:
            results.extend(load.run(quick=args.quick, size="region" if args.region else "dac",
                                    seconds=args.seconds, workers=args.workers,
                                    database_url=args.database_url,
                                    servers=args.servers))
        else:
            results.extend(suite.run(quick=args.quick))
    print(f"{'figure':<48} {'target':>14} {'measured':>12} {'baseline':>12} {'ratio':>7}  ok")
    for r in results:
        print(f"{r.figure:<48} {r.target_text:>14} {r.measured:>10.2f}{r.unit:<2} "
              f"{r.baseline:>10.2f}{r.unit:<2} {r.ratio:>7.2f}  {'pass' if r.passed else 'MISS'}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"{stamp}.json").write_text(json.dumps({
        "when": stamp, "python": platform.python_version(), "machine": platform.machine(),
        "results": [r.as_dict() for r in results]}, indent=2), encoding="utf-8")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
