"""Directory figures: search p50/p95 on a national-size directory (50,000 services) for
typical queries with filters, against the raw full-text query on the same data; import
time of a 100,000-line FINESS extraction."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, text

from benchmarks.harness import Result, percentile_ms
from coordination.db import make_engine, make_session_factory
from coordination.migrate import upgrade_to_head
from directory import reference
from directory.categories import BY_CODE, BY_FINESS
from directory.finess import STRUCTURE_FIELDS, import_finess
from directory.models import Commune, DirectoryService
from directory.services import parse_query, search
from directory.text import fold

QUERIES = [
    {"q": "csapa", "near": "11203"}, {"q": "csapa narbonne"},
    {"q": "medico psychologique", "category": "cmp"}, {"q": "hebergement urgence"},
    {"q": "cmp", "dual_diagnosis": "1", "accepting": "1"}, {"category": "csapa", "near": "31555"},
    {"q": "addictologie toulouse"}, {"q": "gem"},
    {"category": "cmp,csapa", "near": "11069", "radius_km": "50"},
]


def run(quick: bool = False) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'directory.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        session = make_session_factory(engine)()
        reference.load_communes(session)
        communes = list(session.scalars(select(Commune)))
        _synthetic(session, communes, 10_000 if quick else 50_000)
        results = _search(session, 200 if quick else 1_000)
        session.close()
        engine.dispose()
        results.append(_finess_import(url, communes, 20_000 if quick else 100_000))
    return results


def _synthetic(session, communes: list[Commune], count: int) -> None:
    rng = random.Random(11)
    categories = list(BY_CODE.values())
    # Communes carry no coordinates: each gets a random place in Occitanie, and its
    # services (but one in five, left without coordinates) lie within a few km of it.
    places = {c.insee: (rng.uniform(42.4, 45.0), rng.uniform(-0.3, 4.8)) for c in communes}
    rows = []
    for index in range(count):
        commune = rng.choice(communes)
        lat, lon = places[commune.insee]
        located = rng.random() < 0.8
        category = rng.choice(categories)
        name = f"{category.label.split(' (')[0]} {commune.name} {index}"
        rows.append({"source": "bench", "source_id": str(index), "name": name,
                     "name_key": fold(name), "category": category.code,
                     "commune_insee": commune.insee, "phones": [], "modalities": [],
                     "languages": [], "extra": {},
                     "accepts_dual_diagnosis": rng.random() < 0.4,
                     "accepting_new": rng.random() < 0.7, "is_demo": False,
                     "latitude": lat + rng.uniform(-0.02, 0.02) if located else None,
                     "longitude": lon + rng.uniform(-0.02, 0.02) if located else None,
                     "search_text": fold(f"{name} {category.label} {category.keywords} "
                                         f"{commune.name} {commune.postcodes}")})
    for start in range(0, len(rows), 5000):
        session.execute(insert(DirectoryService), rows[start:start + 5000])
    session.commit()


def _search(session, repeat: int) -> list[Result]:
    parsed = [parse_query(q) for q in QUERIES]
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        search(session, parsed[i % len(parsed)])
        samples.append(time.perf_counter() - started)
    raw = []
    for i in range(repeat):
        words = [w for w in fold(QUERIES[i % len(QUERIES)].get("q", "cmp")).split()]
        match = " ".join(f'"{w}"*' for w in words)
        started = time.perf_counter()
        session.execute(text("SELECT s.* FROM directory_services s JOIN directory_fts f ON "
                             "f.rowid = s.id WHERE directory_fts MATCH :m ORDER BY s.name_key "
                             "LIMIT 20"), {"m": match}).fetchall()
        raw.append(time.perf_counter() - started)
    measured, baseline = percentile_ms(samples, 95), percentile_ms(raw, 95)
    return [Result("directory search p95, 50k services (raw FTS = baseline)", "ms",
                   measured, baseline, target=20),
            Result("directory search p95 / raw FTS p95", "x", measured / baseline, 1.0,
                   target=2)]


def _finess_import(url: str, communes: list[Commune], lines: int) -> Result:
    rng = random.Random(3)
    codes = list(BY_FINESS)
    out = ["finess;etalab;100;2026-10-15"]
    for index in range(lines):
        commune = rng.choice(communes)
        values = {f: "" for f in STRUCTURE_FIELDS}
        values.update(nofinesset=f"{commune.departement[:2]}{index:07d}",
                      rs=f"ETABLISSEMENT {index}", commune=commune.insee[2:],
                      departement=commune.insee[:2], categetab=rng.choice(codes),
                      ligneacheminement=f"{commune.postcodes[:5]} {commune.name.upper()}",
                      datemaj="2025-01-01")
        out.append("structureet;" + ";".join(values[f] for f in STRUCTURE_FIELDS))
    raw = ("\n".join(out) + "\n").encode("utf-8")
    engine = make_engine(url)
    session = make_session_factory(engine)()
    started = time.perf_counter()
    report = import_finess(session, raw)
    elapsed = time.perf_counter() - started
    assert report.written and report.created == lines, report.rejected[:3]
    session.close()
    engine.dispose()
    return Result(f"FINESS import of {lines:,} lines", "s", elapsed, 30.0, target=30)
