"""Duplicate detection: quality on the labelled evaluation set (tests/data) and the time
to check a new identity against a DAC's five years of persons."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.harness import Result
from coordination.db import make_engine, make_session_factory
from coordination.domain.identity_matching import IdentityTraits, fold, phonetic_key
from coordination.migrate import upgrade_to_head
from coordination.models import Person
from coordination.services.persons import find_duplicates
from tests.data.identity_pairs import FEMALE, MALE, SURNAMES, build_pairs, evaluate


def run(quick: bool = False) -> list[Result]:
    evaluation = evaluate(build_pairs())
    print(f"duplicate matcher on {evaluation.pairs} labelled pairs: precision "
          f"{evaluation.precision:.3f}, recall {evaluation.recall:.3f}")
    results = [
        Result("duplicate matcher precision (labelled set)", "", evaluation.precision,
               0.95, target=0.95, higher_is_better=True),
        Result("duplicate matcher recall (labelled set)", "", evaluation.recall, 0.90,
               target=0.90, higher_is_better=True),
    ]
    results.append(_lookup_time(2_000 if quick else 15_000))
    return results


def _lookup_time(population: int) -> Result:
    """Median time of the duplicate check against `population` persons (one DAC, five
    years), against an indexed birth-date lookup in raw SQL."""
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'persons.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        rows = []
        for _ in range(population):
            sex = rng.choice("FM")
            first = rng.choice(FEMALE if sex == "F" else MALE)
            name = rng.choice(SURNAMES)
            rows.append({"birth_name": name, "birth_first_names": first,
                         "first_birth_first_name": first, "sex": sex,
                         "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(23000)),
                         "name_key": phonetic_key(name), "first_name_key": phonetic_key(first),
                         "search_text": fold(f"{name} {first}"), "identity_status": "provisoire",
                         "legal_protection": "none", "version": 1})
        with engine.begin() as connection:
            connection.execute(insert(Person), rows)
        session = make_session_factory(engine)()
        probes = [IdentityTraits(r["birth_name"], r["birth_first_names"], r["birth_date"],
                                 r["sex"]) for r in rng.sample(rows, 200)]
        start = time.perf_counter()
        for probe in probes:
            find_duplicates(session, probe)
        measured = (time.perf_counter() - start) / len(probes) * 1000
        start = time.perf_counter()
        for probe in probes:
            session.execute(text("SELECT * FROM persons WHERE birth_date = :d"),
                            {"d": probe.birth_date}).fetchall()
        baseline = (time.perf_counter() - start) / len(probes) * 1000
        session.close()
        engine.dispose()
    return Result(f"duplicate check among {population:,} persons (SQLite)", "ms", measured,
                  baseline, target=50)
