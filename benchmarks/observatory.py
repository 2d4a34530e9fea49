"""Observatory figures at region scale (issue 8 §7): 15 DACs, five years, 150,000 ruptures
of 100,000 situations, persons spread over the real communes of Occitanie by population.

- the observatory group-by (rupture type × quarter × territory at the level of the
  département — the thirteen of Occitanie —, over the last four quarters as the page
  opens, and over the five years), through the service the page and the API call (SQL,
  folding, secondary suppression, labels): ≤ 150 ms, and ≤ 1.5× the equivalent raw SQL
  group-by measured in the same run. That baseline is the question asked of the ruptures
  themselves (the join to the communes, the period, the group-by). The service reads the
  whole months from the monthly counts the database keeps by trigger (migration 0017) and
  only the partial months from the ruptures, so it is faster than its baseline; for
  information, the same group-by in raw SQL over the monthly counts alone is printed too
  (what is left of the service's time is folding, suppression and labels, in Python);
- every figure of the observatory page for that question (group-by, repair delays,
  recurrence, transition points), for information: baseline the raw group-by;
- the PDF report for the ARS (type × quarter over five years, with its chart): ≤ 2 s,
  baseline an empty one-page ReportLab PDF.

SQLite, then PostgreSQL when `COORDINATION_BENCH_POSTGRES_URL` is set (a schema of its own,
dropped at the end). The rows are bulk-inserted straight into the tables: the benchmark
measures reading them, not loading them (loading is the load test's `--region` figure).
"""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

from benchmarks.harness import Result, median_ms, timed
from benchmarks.load import _database
from benchmarks.meetings import _empty_pdf
from coordination.db import make_engine, make_session_factory, refresh_statistics
from coordination.domain.accounts import OrganisationType
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex
from coordination.domain.ruptures import load_taxonomy
from coordination.migrate import upgrade_to_head
from coordination.models import Organisation, Person, Rupture, Situation
from coordination.services import audit, observatory
from directory import reference
from directory.models import Commune

PARIS = ZoneInfo("Europe/Paris")
PARTNER_TYPES = (OrganisationType.CMP_USSAP, OrganisationType.CSAPA, OrganisationType.SIAO,
                 OrganisationType.CHRS, OrganisationType.HOSPITAL)

# The raw equivalent of the service's group-by: same joins, same filters, same keys.
RAW_GROUP_BY = {
    "sqlite": "SELECT r.type, c.departement, CAST(strftime('%Y', r.occurred_on) AS INTEGER), "
              "(CAST(strftime('%m', r.occurred_on) AS INTEGER) + 2) / 3, count(*) "
              "FROM ruptures r LEFT JOIN communes c ON c.insee = r.commune_insee "
              "WHERE r.occurred_on >= :start AND r.occurred_on <= :end GROUP BY 1, 2, 3, 4",
    "postgresql": "SELECT r.type, c.departement, CAST(extract(year FROM r.occurred_on) AS "
                  "INTEGER), (CAST(extract(month FROM r.occurred_on) AS INTEGER) + 2) / 3, "
                  "count(*) FROM ruptures r LEFT JOIN communes c ON c.insee = r.commune_insee "
                  "WHERE r.occurred_on >= :start AND r.occurred_on <= :end "
                  "GROUP BY 1, 2, 3, 4",
}

# The same group-by in raw SQL over the monthly counts alone (every month of the period).
RAW_MONTH_COUNTS = ("SELECT type, departement, year, (month + 2) / 3, sum(n) "
                    "FROM rupture_month_counts WHERE year * 100 + month BETWEEN :first AND :last "
                    "GROUP BY 1, 2, 3, 4")


def run(quick: bool = False) -> list[Result]:
    volume = 15_000 if quick else 150_000
    repeat = 5 if quick else 15
    targets = {"SQLite": None}
    if os.environ.get("COORDINATION_BENCH_POSTGRES_URL"):
        targets["PostgreSQL"] = os.environ["COORDINATION_BENCH_POSTGRES_URL"]
    results: list[Result] = []
    for engine_name, base_url in targets.items():
        with _database(base_url) as (url, _folder):
            results.extend(_measure(url, engine_name, volume, repeat))
    return results


def _measure(url: str, engine_name: str, volume: int, repeat: int) -> list[Result]:
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        audit.set_actor(session, audit.AuditActor(None, "bench"))
        end = _fill(session, volume)
        refresh_statistics(session)
        five_years = end.replace(year=end.year - 5) + timedelta(days=1)
        figures: list[Result] = []
        # The page's default period (the last four quarters), then the whole five years.
        for label, start in (("last 4 quarters", observatory.default_period(end)[0]),
                             ("5 years", five_years)):
            question = observatory.ObservatoryQuery(
                start, end, ("type", "quarter", "territory"), "departement")

            def service(q: observatory.ObservatoryQuery = question) -> object:
                return observatory.grouped_counts(session, q, 11)

            def raw_sql(s: date = start) -> object:
                return session.execute(text(RAW_GROUP_BY[engine.dialect.name]),
                                       {"start": s, "end": end}).all()

            def raw_month_counts(s: date = start) -> object:
                return session.execute(text(RAW_MONTH_COUNTS), {
                    "first": s.year * 100 + s.month, "last": end.year * 100 + end.month}).all()

            service(), raw_sql(), raw_month_counts()  # all read warm pages
            grouped = median_ms(timed(service, repeat))
            raw = median_ms(timed(raw_sql, repeat))
            counts_raw = median_ms(timed(raw_month_counts, repeat))
            page = median_ms(timed(lambda q=question: observatory.compute_rupture_counts(
                session, q, threshold=11), repeat))
            figures += [
                Result(f"observatory type×quarter×dépt, {label} ({engine_name})", "ms",
                       grouped, raw, target=150),
                Result(f"  the same / raw SQL group-by ({engine_name})", "x", grouped / raw,
                       1.0, target=1.5),
                Result(f"  raw SQL over the monthly counts, {label} ({engine_name})", "ms",
                       counts_raw, raw, target=150),
                Result(f"  every figure of the page, {label} ({engine_name})", "ms", page,
                       raw, target=1000)]
        report = observatory.compute_rupture_counts(session, observatory.ObservatoryQuery(
            five_years, end, ("type", "quarter")), threshold=11)
        pdf_ms = median_ms(timed(lambda: observatory.report_pdf(report, "DAC 11", PARIS),
                                 max(3, repeat // 3)))
        empty_ms = median_ms(timed(_empty_pdf, max(3, repeat // 3)))
    engine.dispose()
    return [*figures, Result(f"observatory PDF report, type×quarter, 5 years ({engine_name})",
                             "ms", pdf_ms, empty_ms, target=2000)]


def _fill(session, volume: int) -> date:  # type: ignore[no-untyped-def]
    """Fifteen DACs and their partners, and `volume` ruptures over five years."""
    rng = random.Random(11)
    reference.load_communes(session)
    communes = session.execute(select(Commune.insee, Commune.population)).all()
    insee = [c for c, _ in communes]
    weights = [max(p or 1, 1) for _, p in communes]
    taxonomy = load_taxonomy()
    types, causes = taxonomy.codes("types"), taxonomy.codes("causes")
    points = taxonomy.codes("transition_points")
    now = datetime.now(UTC)
    organisations = [{"id": i + 1, "name": f"Structure {i + 1}", "name_key": f"structure {i + 1}",
                      "type": (OrganisationType.DAC if i < 15 else PARTNER_TYPES[i % 5]),
                      "is_health_professional_team": True, "created_at": now}
                     for i in range(60)]
    situations_count = volume * 2 // 3
    persons_count = situations_count * 4 // 5
    homes = rng.choices(insee, weights, k=persons_count)
    persons = [{
        "id": n, "birth_name": f"NOM{n}", "birth_first_names": "Prénom",
        "first_birth_first_name": "Prénom", "birth_date": date(1950, 1, 1)
        + timedelta(days=n % 20_000), "sex": Sex.FEMALE if n % 2 else Sex.MALE,
        "name_key": f"nom{n}", "first_name_key": "prenom", "search_text": f"nom{n} prenom",
        "identity_status": IdentityStatus.PROVISIONAL, "legal_protection": LegalProtection.NONE,
        "commune_insee": homes[n - 1], "created_at": now, "updated_at": now, "version": 1}
        for n in range(1, persons_count + 1)]
    owners = [rng.randint(1, persons_count) for _ in range(situations_count)]
    situations = [{"id": n, "person_id": owners[n - 1], "state": "closed",
                   "intake_version": "2026.1", "intake_answers": {}, "requester": {},
                   "created_at": now, "updated_at": now, "version": 1}
                  for n in range(1, situations_count + 1)]
    today = date.today()
    ruptures = []
    for _ in range(volume):
        occurred = today - timedelta(days=rng.randint(0, 5 * 365))
        repaired = rng.random() < 0.75
        situation = rng.randint(1, situations_count)
        ruptures.append({
            "situation_id": situation, "occurred_on": occurred,
            "commune_insee": homes[owners[situation - 1] - 1],
            "taxonomy_version": "2026.1", "type": rng.choice(types),
            "cause": rng.choice(causes), "transition_point": rng.choice(points),
            "organisation_id": rng.randint(16, 60), "declared_at": now,
            "resolved_on": min(today, occurred + timedelta(days=int(rng.expovariate(1 / 40))))
            if repaired else None})
    for model, rows in ((Organisation, organisations), (Person, persons),
                        (Situation, situations), (Rupture, ruptures)):
        for first in range(0, len(rows), 20_000):
            session.execute(insert(model.__table__), rows[first:first + 20_000])
    session.commit()
    return today
