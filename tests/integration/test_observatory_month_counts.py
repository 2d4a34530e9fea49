"""The monthly rupture counts (migration 0017) stay exact whatever writes the ruptures, and
the observatory answers the same from them as from the ruptures themselves; the repair
delays counted in SQL equal the same figures computed in Python. SQLite and PostgreSQL."""

import random
import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, inspect, select, text, update

from coordination.models import Person, Rupture, RuptureMonthCount, Situation
from coordination.services import observatory
from directory import reference
from directory.models import Commune

TRIGGERS = {"ruptures_month_counts_insert", "ruptures_month_counts_delete",
            "ruptures_month_counts_update"}
TYPES = ("lost_contact", "excessive_waiting_time", "hospital_discharge_without_follow_up",
         "caregiver_exhaustion")
# Aude, Hérault, and a code no commune of the reference has (its département is unknown).
COMMUNES = ("11069", "11262", "34172", "99999", None)


def _triggers(session) -> set[str]:
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ruptures'::regclass"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ruptures'"
    return set(session.scalars(text(sql)))


def _from_ruptures(session) -> dict[tuple, int]:
    rows = session.execute(
        select(Rupture.occurred_on, Commune.departement, Rupture.type)
        .outerjoin(Commune, Commune.insee == Rupture.commune_insee)).all()
    counts: dict[tuple, int] = {}
    for day, departement, kind in rows:
        key = (day.year, day.month, departement or "", kind)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _from_month_counts(session) -> dict[tuple, int]:
    return {(c.year, c.month, c.departement, c.type): c.n
            for c in session.scalars(select(RuptureMonthCount)) if c.n}


@pytest.fixture
def situations(db_session):
    reference.load_communes(db_session, {"11", "34"})
    ids = []
    for n in range(3):
        person = Person(birth_name=f"NOM{n}", birth_first_names="Prénom",
                        first_birth_first_name="Prénom", birth_date=date(1970, 1, 1 + n),
                        sex="F", name_key=f"nom{n}", first_name_key="prenom",
                        search_text=f"nom{n} prenom")
        db_session.add(person)
        db_session.flush()
        situation = Situation(person_id=person.id, state="closed", intake_version="2026.1",
                              intake_answers={}, requester={})
        db_session.add(situation)
        db_session.flush()
        ids.append(situation.id)
    return ids


def _random_ruptures(db_session, situations, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 900))
        repaired = day + timedelta(days=rng.choice((0, 7, 8, 30, 31, 90, 91, 400))
                                   + rng.randint(0, 3)) if rng.random() < 0.7 else None
        db_session.add(Rupture(situation_id=rng.choice(situations), occurred_on=day,
                               commune_insee=rng.choice(COMMUNES), taxonomy_version="2026.1",
                               type=rng.choice(TYPES), resolved_on=repaired))
    db_session.flush()


def test_the_triggers_exist_at_head(db_session):
    assert {c["name"] for c in inspect(db_session.get_bind()).get_columns(
        "rupture_month_counts")} == {"year", "month", "departement", "type", "n"}
    assert _triggers(db_session) >= TRIGGERS


def test_every_write_keeps_the_counts_exact(db_session, situations):
    _random_ruptures(db_session, situations, 300, seed=1)
    assert _from_month_counts(db_session) == _from_ruptures(db_session)

    ids = list(db_session.scalars(select(Rupture.id).order_by(Rupture.id)))
    # moved in time, to another commune, another type; a column the counts ignore (in SQL,
    # as a bulk loader or a hand correction would: the ORM refuses bulk writes of ruptures)
    sql = db_session.connection()
    sql.execute(update(Rupture).where(Rupture.id.in_(ids[:40]))
                       .values(occurred_on=date(2025, 6, 30)))
    sql.execute(update(Rupture).where(Rupture.id.in_(ids[40:80]))
                       .values(commune_insee="34172"))
    sql.execute(update(Rupture).where(Rupture.id.in_(ids[80:120]))
                       .values(type="caregiver_exhaustion", resolved_on=date(2026, 1, 1)))
    sql.execute(delete(Rupture).where(Rupture.id.in_(ids[120:200])))
    rupture = db_session.get(Rupture, ids[250])
    rupture.occurred_on = date(2024, 2, 29)  # through the ORM as the services do
    db_session.flush()
    db_session.delete(db_session.get(Rupture, ids[251]))
    db_session.flush()
    assert _from_month_counts(db_session) == _from_ruptures(db_session)

    sql.execute(delete(Rupture))
    assert _from_month_counts(db_session) == {}


QUESTIONS = [
    # whole months, a partial month at either end, one partial month, months and quarters
    (date(2024, 1, 1), date(2026, 6, 30), ("type", "quarter", "territory"), "departement", {}),
    (date(2024, 1, 17), date(2026, 5, 3), ("type", "quarter", "territory"), "departement", {}),
    (date(2025, 3, 5), date(2025, 3, 20), ("territory", "month"), "departement", {}),
    (date(2024, 2, 10), date(2025, 11, 30), ("quarter",), "epci", {}),
    (date(2024, 1, 1), date(2026, 12, 31), ("type",), "epci", {"departement": "11"}),
    (date(2024, 4, 2), date(2026, 6, 30), ("month", "type"), "epci",
     {"type": "lost_contact"}),
    (date(2024, 1, 1), date(2026, 6, 30), (), "epci", {}),
    # not answerable from the monthly counts: the ruptures themselves
    (date(2024, 1, 1), date(2026, 6, 30), ("type", "territory"), "epci", {}),
    (date(2024, 1, 1), date(2026, 6, 30), ("cause", "quarter"), "departement", {}),
]


@pytest.mark.parametrize("start,end,group_by,level,filters", QUESTIONS)
def test_the_observatory_answers_the_same_from_the_counts_and_from_the_ruptures(
        db_session, situations, monkeypatch, start, end, group_by, level, filters):
    _random_ruptures(db_session, situations, 400, seed=2)
    question = observatory.ObservatoryQuery(start, end, group_by, level, **filters)
    answer = observatory.grouped_counts(db_session, question, 3)
    monkeypatch.setattr(observatory, "_month_counts_answer", lambda query: False)
    assert answer == observatory.grouped_counts(db_session, question, 3)
    assert answer[1] > 0


def test_communes_loaded_after_the_ruptures_are_counted_again(db_session, situations):
    db_session.add(Rupture(situation_id=situations[0], occurred_on=date(2025, 3, 3),
                           commune_insee="12202", taxonomy_version="2026.1",
                           type="lost_contact"))  # Rodez: Aveyron is not loaded yet
    db_session.flush()
    assert (2025, 3, "", "lost_contact") in _from_month_counts(db_session)
    reference.load_communes(db_session, {"12"})
    observatory.rebuild_month_counts(db_session)
    assert _from_month_counts(db_session) == _from_ruptures(db_session)
    assert (2025, 3, "12", "lost_contact") in _from_month_counts(db_session)


@pytest.mark.parametrize("count", [400, 401])  # an even and an odd number of resolved
def test_repair_delays_counted_in_sql_match_python(db_session, situations, count):
    _random_ruptures(db_session, situations, count, seed=count)
    question = observatory.ObservatoryQuery(date(2024, 3, 1), date(2026, 12, 31), ("type",))
    figures = observatory.compute_rupture_counts(db_session, question, threshold=3)
    ruptures = [r for r in db_session.scalars(select(Rupture))
                if question.date_from <= r.occurred_on <= question.date_to]
    delays = [(r.resolved_on - r.occurred_on).days for r in ruptures if r.resolved_on]
    expected = {"week": sum(d <= 7 for d in delays), "month": sum(7 < d <= 30 for d in delays),
                "quarter": sum(30 < d <= 90 for d in delays),
                "longer": sum(d > 90 for d in delays), "open": len(ruptures) - len(delays)}
    assert {row["bucket"]: row["count"] for row in figures.repair_distribution} == expected
    assert figures.median_repair_days == float(statistics.median(delays))
    assert figures.resolved_share == len(delays) / len(ruptures)
