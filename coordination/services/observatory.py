"""The observatory of pathway ruptures and the activity figures (issue 8; DESIGN §7).

Managers and coordinators read counts, never a name nor a free-text note. Every published
count from 1 to threshold - 1 is masked with secondary suppression
(coordination/domain/suppression.py); the threshold comes from the deployment's settings
(`COORDINATION_SUPPRESSION_THRESHOLD`), never from a request. Grouped counts are computed
in SQL on raw keys (codes, year, month), then folded into the requested dimensions.
"""

from __future__ import annotations

import csv
import io
import statistics
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from time import monotonic
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Integer,
    case,
    delete,
    extract,
    func,
    insert,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from coordination.domain.accounts import OrganisationType
from coordination.domain.errors import NotFound, ValidationError
from coordination.domain.periods import period_bounds, whole_months
from coordination.domain.ruptures import load_taxonomy
from coordination.domain.suppression import (
    DEFAULT_THRESHOLD,
    masked_cells,
    parse_group_by,
    suppress_small_counts,
)
from coordination.models import (
    Call,
    Organisation,
    Rupture,
    RuptureMonthCount,
    Situation,
    TriageRecord,
    User,
)
from coordination.services import audit, calls, logigrammes, policy
from coordination.workflows.complex_case import ClosureReason
from directory.categories import BY_CODE as CATEGORIES
from directory.models import Commune, DirectoryService

MAX_PERIOD_DAYS = 3653  # ten years
UNKNOWN = ""  # the code of "not recorded" in any dimension
PERIODS = ("month", "quarter")  # the dimensions that are periods
# The French départements' codes (mainland, Corsica, overseas).
DEPARTEMENTS = frozenset([f"{n:02d}" for n in range(1, 96) if n != 20]
                         + ["2A", "2B", "971", "972", "973", "974", "976"])
DIMENSION_LABELS = {"type": "Type de rupture", "cause": "Cause",
                    "service_category": "Catégorie de service", "territory": "Territoire",
                    "month": "Mois", "quarter": "Trimestre"}
TERRITORY_LEVELS = {"commune": "Commune", "epci": "EPCI (intercommunalité)",
                    "arrondissement": "Arrondissement", "departement": "Département"}
FILTER_LABELS = {"from": "Du", "to": "Au", "group_by": "Regrouper par",
                 "territory_level": "Niveau de territoire", "departement": "Département",
                 "type": "Type de rupture", "cause": "Cause",
                 "service_category": "Catégorie de service",
                 "organisation_type": "Type de structure où la rupture survient"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
REPAIR_BUCKETS = (("week", "7 jours ou moins", 7), ("month", "8 à 30 jours", 30),
                  ("quarter", "31 à 90 jours", 90), ("longer", "Plus de 90 jours", None),
                  ("open", "Non résolue", None))
SUPPRESSED_TEXT = "secret statistique"

# The definition of each indicator, shown on the page and in the PDF.
DEFINITIONS = (
    ("Rupture", "Rupture de parcours confirmée (déclarée, ou candidat confirmé par une "
                "coordinatrice), comptée à sa date de survenue."),
    ("Secret statistique", "Tout effectif de 1 à {lowest_masked} est masqué, ainsi que "
                           "d'autres cases choisies pour que les totaux ne permettent pas de "
                           "le retrouver. Le seuil est fixé par la configuration du "
                           "déploiement."),
    ("Part résolue", "Ruptures de la période résolues à ce jour, sur l'ensemble des "
                     "ruptures de la période."),
    ("Délai de réparation", "Jours entre la survenue et la résolution (médiane des "
                            "ruptures résolues de la période)."),
    ("Récurrence", "Personnes ayant connu au moins deux ruptures sur la période."),
    ("Territoire", "Commune de résidence de la personne au moment de la rupture, regroupée "
                   "par EPCI, arrondissement ou département (référentiel des communes de "
                   "l'annuaire)."),
)


# --- the question --------------------------------------------------------------------------

@dataclass(frozen=True)
class ObservatoryQuery:
    date_from: date
    date_to: date
    group_by: tuple[str, ...] = ("quarter",)
    territory_level: str = "epci"
    departement: str | None = None
    type: str | None = None
    cause: str | None = None
    service_category: str | None = None
    organisation_type: str | None = None

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in {
            "from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
            "group_by": ",".join(self.group_by), "territory_level": self.territory_level,
            "departement": self.departement, "type": self.type, "cause": self.cause,
            "service_category": self.service_category,
            "organisation_type": self.organisation_type}.items() if v}


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def default_period(today: date) -> tuple[date, date]:
    """The last four quarters, the current one included."""
    start = quarter_start(today)
    for _ in range(3):
        start = quarter_start(start - timedelta(days=1))
    return start, today


def parse_query(args: Mapping[str, Any], today: date) -> ObservatoryQuery:
    """The observatory's filters from a query string: 422 naming each bad parameter. A
    period of more than ten years, an unknown dimension or code is refused; nothing here
    can change the suppression threshold. The period is widened to whole months
    (periods.whole_months): what the answer covers is in its `from` and `to`."""
    errors: dict[str, list[str]] = {}
    default_from, default_to = default_period(today)
    dates: dict[str, date] = {}
    for name, default in (("from", default_from), ("to", default_to)):
        raw = str(args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[name] = ["Date attendue (AAAA-MM-JJ)."]
            dates[name] = default
    if dates["to"] < dates["from"]:
        errors["to"] = ["La fin de la période précède son début."]
    elif (dates["to"] - dates["from"]).days > MAX_PERIOD_DAYS:
        errors["to"] = ["Dix ans au plus entre le début et la fin de la période."]
    group_by: tuple[str, ...] = ("quarter",)
    try:
        group_by = parse_group_by(args.get("group_by"))
    except ValidationError as exc:
        errors.update(exc.fields)
    level = str(args.get("territory_level") or "epci").strip()
    if level not in TERRITORY_LEVELS:
        errors["territory_level"] = ["Valeurs : " + ", ".join(TERRITORY_LEVELS) + "."]
    taxonomy = load_taxonomy()
    values: dict[str, str | None] = {}
    for name, known in (("type", taxonomy.codes("types")), ("cause", taxonomy.codes("causes")),
                        ("service_category", tuple(CATEGORIES)),
                        ("organisation_type", tuple(t.value for t in OrganisationType))):
        raw = str(args.get(name) or "").strip()
        if raw and raw not in known:
            errors[name] = [f"Code inconnu : « {raw[:60]} »."]
        values[name] = raw or None
    departement = str(args.get("departement") or "").strip().upper()
    if departement and departement not in DEPARTEMENTS:
        errors["departement"] = ["Département inconnu : code attendu (ex. 11, 2A, 974)."]
    if errors:
        raise ValidationError(errors)
    date_from, date_to = whole_months(dates["from"], dates["to"])
    return ObservatoryQuery(date_from, date_to, group_by, level,
                            departement or None, values["type"], values["cause"],
                            values["service_category"], values["organisation_type"])


# --- labels --------------------------------------------------------------------------------

def describe_filters(query: ObservatoryQuery) -> list[tuple[str, str]]:
    """The question's filters as a reader says them: (French name, French value)."""
    described: list[tuple[str, str]] = []
    if "territory" in query.group_by:
        described.append((FILTER_LABELS["territory_level"],
                          TERRITORY_LEVELS[query.territory_level]))
    if query.departement:
        described.append((FILTER_LABELS["departement"], query.departement))
    described += [(FILTER_LABELS[name], code_label(name, code)) for name, code in (
        ("type", query.type), ("cause", query.cause),
        ("service_category", query.service_category)) if code]
    if query.organisation_type:
        described.append((FILTER_LABELS["organisation_type"],
                          OrganisationType(query.organisation_type).label))
    return described


def period_label(dimension: str, code: str) -> str:
    if dimension == "quarter":
        year, quarter = code.split("-T")
        return f"T{quarter} {year}"
    year, month = code.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


CODED = {"type": "types", "cause": "causes", "transition_point": "transition_points"}


def code_label(dimension: str, code: str) -> str:
    """The French label of a taxonomy or service-category code."""
    if dimension == "service_category":
        return CATEGORIES[code].label if code in CATEGORIES else code
    return load_taxonomy().label(CODED[dimension], code) or code


def _labeller(session: Session, query: ObservatoryQuery,
              territories: Iterable[str]) -> Callable[[str, str], str]:
    names: dict[str, str] = {}
    codes = [c for c in set(territories) if c]
    if codes and query.territory_level == "commune":
        names = dict(session.execute(select(Commune.insee, Commune.name)
                                     .where(Commune.insee.in_(codes))).all())
    elif codes and query.territory_level == "epci":
        names = {k: v for k, v in session.execute(
            select(Commune.epci_siren, func.max(Commune.epci_name))
            .where(Commune.epci_siren.in_(codes)).group_by(Commune.epci_siren)).all() if v}

    @cache  # a table repeats each code on many rows
    def label(dimension: str, code: str) -> str:
        if dimension in PERIODS:
            return period_label(dimension, code)
        if code == UNKNOWN:
            return "Non renseigné"
        if dimension in CODED or dimension == "service_category":
            return code_label(dimension, code)
        if query.territory_level == "arrondissement":
            return f"Arrondissement {code}"
        if query.territory_level == "departement":
            return f"Département {code}"
        return names.get(code, code)

    return label


# --- the ruptures --------------------------------------------------------------------------

@dataclass
class RuptureFigures:
    query: ObservatoryQuery
    threshold: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None  # None: masked
    resolved_share: float | None = None
    median_repair_days: float | None = None
    repair_distribution: list[dict[str, Any]] = field(default_factory=list)
    recurrence: list[dict[str, Any]] = field(default_factory=list)
    transition_points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.query.group_by

    def chart_bars(self, limit: int = 40) -> list[tuple[str, int | None]]:
        """(label, count or None when masked) per published row: in time order when a
        period is a dimension (a trend), else the largest first, masked cells last (the
        `limit` bars a chart has room for are then the ones that matter)."""
        rows = self.rows
        if not set(self.dimensions) & set(PERIODS):
            rows = sorted(rows, key=lambda row: -row.get("count", 0))
        return [(" · ".join(row[f"{d}_label"] for d in self.dimensions), row.get("count"))
                for row in rows[:limit]]


def _territory_column(level: str) -> Any:
    return {"commune": Commune.insee, "epci": Commune.epci_siren,
            "arrondissement": Commune.arrondissement,
            "departement": Commune.departement}[level]


def _scoped(statement: Any, query: ObservatoryQuery, *, situation: bool = False) -> Any:
    """Joins and filters shared by every figure: the period and the filters. A table is
    joined only when a filter or a dimension reads it (every rupture has a situation and
    a person, so the inner joins change no count): over a region's ruptures the joins
    cost far more than the counting. The territory is the commune recorded with the
    rupture (where the person lived then)."""
    territory = bool(query.departement) or "territory" in query.group_by
    service = bool(query.service_category) or "service_category" in query.group_by
    statement = statement.select_from(Rupture)
    if situation:
        statement = statement.join(Situation, Situation.id == Rupture.situation_id)
    if territory:  # the commune recorded with the rupture: no join through the person
        statement = statement.outerjoin(Commune, Commune.insee == Rupture.commune_insee)
    if service:
        statement = statement.outerjoin(DirectoryService,
                                        DirectoryService.id == Rupture.service_id)
    statement = statement.where(Rupture.occurred_on >= query.date_from,
                                Rupture.occurred_on <= query.date_to)
    if query.departement:
        statement = statement.where(Commune.departement == query.departement)
    if query.type:
        statement = statement.where(Rupture.type == query.type)
    if query.cause:
        statement = statement.where(Rupture.cause == query.cause)
    if query.service_category:
        statement = statement.where(DirectoryService.category == query.service_category)
    if query.organisation_type:
        statement = statement.where(Rupture.organisation_id.in_(
            select(Organisation.id).where(Organisation.type == query.organisation_type)))
    return statement


def _require_reader(actor: User) -> None:
    if not policy.can_read_activity(actor):
        raise NotFound()


def rupture_counts(session: Session, actor: User, query: ObservatoryQuery, *,
                   threshold: int = DEFAULT_THRESHOLD,
                   cache_seconds: int = 0) -> RuptureFigures:
    """The observatory's figures for managers and coordinators: counts only."""
    _require_reader(actor)
    return remembered(("ruptures", query, threshold), cache_seconds,
                      lambda: compute_rupture_counts(session, query, threshold=threshold))


# A region's figures for a year read tens of thousands of rows: each web worker keeps the
# figures of a question for a few minutes (settings.observatory_cache_seconds) instead of
# recomputing them for every reader. They are counts for a period, not someone's record.
_REMEMBERED: dict[tuple[Any, ...], tuple[float, Any]] = {}
T = TypeVar("T")


def remembered(key: tuple[Any, ...], seconds: int, compute: Callable[[], T]) -> T:
    if seconds <= 0:
        return compute()
    now = monotonic()
    hit = _REMEMBERED.get(key)
    if hit is not None and now - hit[0] < seconds:
        return cast(T, hit[1])
    value = compute()
    if len(_REMEMBERED) >= 200:  # questions vary little; never let it grow unbounded
        _REMEMBERED.clear()
    _REMEMBERED[key] = (now, value)
    return value


def grouped_counts(session: Session, query: ObservatoryQuery,
                   threshold: int) -> tuple[list[dict[str, Any]], int]:
    """The group-by of the observatory (SQL on raw keys, folded into the asked dimensions),
    masked and labelled, in table order; and the unmasked total (the caller decides whether
    it may be published). The whole months of the period are read from the monthly counts
    when they hold the answer, the ruptures themselves otherwise and for a partial month
    at either end."""
    months = _whole_months(query) if _month_counts_answer(query) else None
    if months is None:
        statements = [_ruptures_grouped(query)]
    else:
        first, last = months
        statements = [_month_counts_grouped(query, first, last)]
        if query.date_from < first:
            statements.append(_ruptures_grouped(
                replace(query, date_to=first - timedelta(days=1))))
        if last < query.date_to:
            statements.append(_ruptures_grouped(
                replace(query, date_from=last + timedelta(days=1))))
    # Keys as the SQL gives them, in the order of the dimensions (a period is one number:
    # 202403 for March 2024, 20241 for its quarter); text only for the published rows.
    dimensions = query.group_by
    cells: dict[tuple[Any, ...], int] = {}
    for statement in statements:
        for *values, n in session.execute(statement).all():
            key = tuple(UNKNOWN if v is None else v for v in values) if None in values \
                else tuple(values)
            cells[key] = cells.get(key, 0) + (n or 0)
    total = sum(cells.values())
    # In key order: which cell a tie masks must not depend on the order rows came in.
    cells = dict(sorted(cells.items()))
    masked = masked_cells(cells, len(dimensions), threshold)
    # Text, labels and table order per value, not per row: a dimension has few values.
    texts = [{v: _period_text(d, v) for v in {key[i] for key in cells}}
             if d in PERIODS else None for i, d in enumerate(dimensions)]
    label = _labeller(session, query, {key[dimensions.index("territory")] for key in cells}
                      if "territory" in dimensions else ())
    labels = [{v: label(d, texts[i][v] if texts[i] else v) for v in {key[i] for key in cells}}
              for i, d in enumerate(dimensions)]
    ranks = [{v: r for r, v in enumerate(sorted(labels[i], key=lambda v, i=i, d=d: (
        v if d in PERIODS else labels[i][v].casefold())))}
        for i, d in enumerate(dimensions)]
    rows = []
    for key in sorted(cells, key=lambda k: tuple(map(dict.__getitem__, ranks, k))):
        row: dict[str, Any] = {}
        for i, d in enumerate(dimensions):
            row[d] = texts[i][key[i]] if texts[i] else key[i]
            row[f"{d}_label"] = labels[i][key[i]]
        if key in masked:
            row["suppressed"] = True
        else:
            row["count"] = cells[key]
        rows.append(row)
    return rows, total


def _period_text(dimension: str, code: int) -> str:
    """202403 → "2024-03" (month), 20241 → "2024-T1" (quarter)."""
    if dimension == "month":
        return f"{code // 100:04d}-{code % 100:02d}"
    return f"{code // 10:04d}-T{code % 10}"


def _period_column(query: ObservatoryQuery, year: Any, month: Any) -> Any:
    """The period as one number: year * 100 + month, or year * 10 + quarter (quarters are
    folded in SQL: a third of the rows to fetch)."""
    def number(value: int) -> Any:
        return literal_column(str(value), Integer)

    if "month" in query.group_by:
        return (year * number(100) + month).label("month")
    return (year * number(10) + (month + number(2)) // number(3)).label("quarter")


def _ordered(query: ObservatoryQuery, by_dimension: Mapping[str, Any], year: Any,
             month: Any) -> list[Any]:
    """The columns of a group-by, in the order of the asked dimensions."""
    return [_period_column(query, year, month) if d in PERIODS
            else by_dimension[d].label(d) for d in query.group_by]


# The year and the month a rupture occurred, in SQL (its group-bys and its monthly counts).
_RUPTURE_YEAR = sql_cast(extract("year", Rupture.occurred_on), Integer)
_RUPTURE_MONTH = sql_cast(extract("month", Rupture.occurred_on), Integer)


def _ruptures_grouped(query: ObservatoryQuery) -> Any:
    """The group-by over the ruptures themselves: any filter, any dimension."""
    columns = _ordered(query, {"type": Rupture.type, "cause": Rupture.cause,
                               "service_category": DirectoryService.category,
                               "territory": _territory_column(query.territory_level)},
                       _RUPTURE_YEAR, _RUPTURE_MONTH)
    statement = _scoped(select(*columns, func.count().label("n")), query)
    return statement.group_by(*columns) if columns else statement


def _month_counts_answer(query: ObservatoryQuery) -> bool:
    """Whether the monthly counts (by département and type) hold the answer."""
    return (not (query.cause or query.service_category or query.organisation_type)
            and set(query.group_by) <= {"type", "territory", "month", "quarter"}
            and ("territory" not in query.group_by or query.territory_level == "departement"))


def _whole_months(query: ObservatoryQuery) -> tuple[date, date] | None:
    """The first day of the first whole month of the period and the last day of its last
    whole month; None when the period holds no whole month."""
    first = query.date_from if query.date_from.day == 1 else \
        (query.date_from.replace(day=28) + timedelta(days=4)).replace(day=1)  # next month's
    end = query.date_to + timedelta(days=1)  # exclusive: the day after the period…
    end = end.replace(day=1)  # …or the first of its month when the period ends mid-month
    return (first, end - timedelta(days=1)) if first < end else None


def _month_counts_grouped(query: ObservatoryQuery, first: date, last: date) -> Any:
    """The same group-by over the monthly counts, for the whole months first..last."""
    cell = RuptureMonthCount
    columns = _ordered(query, {"type": cell.type, "territory": cell.departement},
                       cell.year, cell.month)
    # Row values, not year * 12 + month: the planner estimates them (PostgreSQL then
    # hashes the groups instead of sorting them, four times faster).
    month = tuple_(cell.year, cell.month)
    statement = select(*columns, func.coalesce(func.sum(cell.n), 0).label("n")).where(
        month >= tuple_(first.year, first.month), month <= tuple_(last.year, last.month))
    if query.departement:
        statement = statement.where(cell.departement == query.departement)
    if query.type:
        statement = statement.where(cell.type == query.type)
    if not columns:
        return statement
    return statement.group_by(*columns).having(func.sum(cell.n) > 0)


def rebuild_month_counts(session: Session) -> None:
    """Count the monthly cells again from the ruptures. The triggers keep them exact as
    ruptures are written; this is for communes loaded after ruptures that named them (their
    département was unknown when the ruptures were counted)."""
    cell = (_RUPTURE_YEAR, _RUPTURE_MONTH,
            func.coalesce(Commune.departement, literal_column("''")), Rupture.type)
    session.execute(delete(RuptureMonthCount))
    session.execute(insert(RuptureMonthCount).from_select(
        ["year", "month", "departement", "type", "n"],
        select(*cell, func.count()).outerjoin(Commune, Commune.insee == Rupture.commune_insee)
        .group_by(*cell)))


def compute_rupture_counts(session: Session, query: ObservatoryQuery, *,
                           threshold: int = DEFAULT_THRESHOLD) -> RuptureFigures:
    """The figures themselves, without an actor (the CLI export runs as the operator)."""
    figures = RuptureFigures(query, threshold)
    figures.rows, total = grouped_counts(session, query, threshold)
    figures.total = None if 0 < total < threshold else total
    label = _labeller(session, query, ())
    _repair(session, query, figures, total)
    _recurrence(session, query, figures)
    points = suppress_small_counts(
        [{"transition_point": code or UNKNOWN, "count": n} for code, n in session.execute(
            _scoped(select(Rupture.transition_point, func.count()), query)
            .group_by(Rupture.transition_point)).all()], ("transition_point",), threshold)
    for row in points:
        row["transition_point_label"] = label("transition_point", row["transition_point"])
    figures.transition_points = sorted(points, key=lambda r: (
        "count" not in r, -r.get("count", 0), r["transition_point_label"]))
    return figures


def _repair(session: Session, query: ObservatoryQuery, figures: RuptureFigures,
            total: int) -> None:
    """Time to resolution: median, distribution, share resolved."""
    threshold = figures.threshold
    # The delays in whole days computed by the database, from the covering index: five
    # years of a region are a hundred thousand small integers.
    delays = sorted(session.scalars(_scoped(select(_days_to_resolution(session)), query)
                                    .where(Rupture.resolved_on.is_not(None))))
    resolved = len(delays)
    # REPAIR_BUCKETS: bounded delays in order, then "longer", then "open".
    ends = [bisect_right(delays, high) for _, _, high in REPAIR_BUCKETS if high] + [resolved]
    counts = [end - start for start, end in zip([0, *ends], ends, strict=False)]
    buckets = dict(zip((code for code, _, _ in REPAIR_BUCKETS), [*counts, total - resolved],
                       strict=True))
    labels = {code: text for code, text, _ in REPAIR_BUCKETS}
    figures.repair_distribution = [
        {**row, "bucket_label": labels[row["bucket"]]} for row in suppress_small_counts(
            [{"bucket": code, "count": n} for code, n in buckets.items()], ("bucket",),
            threshold)]
    unresolved = total - resolved
    # The share would give both counts back from the total: publish it only when neither
    # is masked.
    if total and all(n == 0 or n >= threshold for n in (resolved, unresolved)) \
            and total >= threshold:
        figures.resolved_share = resolved / total
    if resolved >= threshold:
        figures.median_repair_days = float(statistics.median(delays))


def _days_to_resolution(session: Session) -> Any:
    """Whole days from a rupture to its resolution, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return Rupture.resolved_on - Rupture.occurred_on  # date - date: days
    return sql_cast(func.julianday(Rupture.resolved_on) - func.julianday(Rupture.occurred_on),
                    Integer)


def _recurrence(session: Session, query: ObservatoryQuery, figures: RuptureFigures) -> None:
    per_person = _scoped(select(Situation.person_id, func.count().label("n")), query,
                         situation=True) \
        .group_by(Situation.person_id).subquery()
    # One CASE expression, labelled and grouped by its label: PostgreSQL sees two bound
    # parameters ("n >= $1", "n >= $2") as two different expressions.
    recurring = case((per_person.c.n >= 2, True), else_=False).label("recurring")
    counts = dict(session.execute(
        select(recurring, func.count()).group_by(literal_column("recurring"))).all())
    rows = [{"persons": "recurring", "count": counts.get(True, 0)},
            {"persons": "once", "count": counts.get(False, 0)}]
    labels = {"recurring": "Au moins deux ruptures", "once": "Une seule rupture"}
    figures.recurrence = [{**row, "persons_label": labels[row["persons"]]}
                          for row in suppress_small_counts(rows, ("persons",),
                                                           figures.threshold)]


def cell_text(row: Mapping[str, Any]) -> str:
    return SUPPRESSED_TEXT if row.get("suppressed") else str(row["count"])


def export_csv(session: Session, actor: User, query: ObservatoryQuery, *,
               threshold: int = DEFAULT_THRESHOLD) -> Iterator[str]:
    """The grouped counts as CSV (semicolons, UTF-8 with BOM), masked cells written as
    « secret statistique »; the export is audited."""
    figures = rupture_counts(session, actor, query, threshold=threshold)
    audit.record(session, "export", "observatory", None, detail="CSV " + str(query.as_args()))
    session.commit()
    return figures_csv(figures)


def figures_csv(figures: RuptureFigures) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([DIMENSION_LABELS[d] for d in figures.dimensions] + ["Ruptures"])
    for row in figures.rows:
        writer.writerow([row[f"{d}_label"] for d in figures.dimensions] + [cell_text(row)])
    writer.writerow(["Total"] + [""] * (len(figures.dimensions) - 1)
                    + [SUPPRESSED_TEXT if figures.total is None else figures.total])
    return iter(["\ufeff", buffer.getvalue()])


def definitions(threshold: int) -> list[tuple[str, str]]:
    return [(term, text.format(lowest_masked=threshold - 1)) for term, text in DEFINITIONS]


def export_pdf(session: Session, actor: User, query: ObservatoryQuery, *,
               threshold: int = DEFAULT_THRESHOLD, zone: tzinfo = calls.PARIS) -> bytes:
    """The observatory report for the ARS (PDF with a chart); the export is audited."""
    figures = rupture_counts(session, actor, query, threshold=threshold)
    audit.record(session, "export", "observatory", None, detail="PDF " + str(query.as_args()))
    session.commit()
    return report_pdf(figures, actor.organisation.name, zone)


def report_pdf(figures: RuptureFigures, organisation_name: str, zone: tzinfo) -> bytes:
    from coordination.services import pdf

    return pdf.observatory_report_pdf(figures, organisation_name,
                                      definitions(figures.threshold), zone,
                                      DIMENSION_LABELS, SUPPRESSED_TEXT,
                                      describe_filters(figures.query))


# --- activity ------------------------------------------------------------------------------

@dataclass
class ActivityFigures:
    date_from: date
    date_to: date
    threshold: int
    calls: calls.CallCounters
    situations_opened: int | None = None
    situations_closed: int | None = None
    closure_reasons: list[dict[str, Any]] = field(default_factory=list)
    triages: int | None = None
    triage_outcomes: list[dict[str, Any]] = field(default_factory=list)
    triage_overrides: list[dict[str, Any]] = field(default_factory=list)
    median_days_open_to_triage: float | None = None
    median_days_call_to_triage: float | None = None
    # Figures added by later modules (actions, meetings), by name.
    more: dict[str, Any] = field(default_factory=dict)


# Later modules add their figures: each source takes (session, actor, date_from, date_to,
# threshold, zone) and returns (name, figures as plain JSON-able data). They appear in
# `GET /api/v1/observatory/activity` under their name and in `ActivityFigures.more`.
ACTIVITY_SOURCES: list[Callable[[Session, User, date, date, int, tzinfo],
                                tuple[str, Any]]] = []


def _masked(n: int, threshold: int) -> int | None:
    return None if 0 < n < threshold else n


def _median_days(pairs: Iterable[tuple[datetime, datetime]], threshold: int) -> float | None:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs if start and end]
    return round(statistics.median(days), 1) if len(days) >= threshold else None


def activity_counts(session: Session, actor: User, date_from: date, date_to: date, *,
                    threshold: int = DEFAULT_THRESHOLD, zone: tzinfo = calls.PARIS,
                    cache_seconds: int = 0) -> ActivityFigures:
    """Activity tracking for a period: calls (the call journal's counters), situations
    opened and closed, triage outcomes and overrides, delays to triage. Counts about
    situations are masked like the observatory's."""
    _require_reader(actor)
    return remembered(
        ("activity", actor.organisation_id, date_from, date_to, threshold, str(zone)),
        cache_seconds, lambda: _activity_counts(session, actor, date_from, date_to,
                                                threshold=threshold, zone=zone))


def _activity_counts(session: Session, actor: User, date_from: date, date_to: date, *,
                     threshold: int, zone: tzinfo) -> ActivityFigures:
    figures = ActivityFigures(date_from, date_to, threshold,
                              calls.counters(session, actor, date_from, date_to, zone=zone))
    start, end = period_bounds(date_from, date_to, zone)
    ours = policy.organisation_situations_clause(actor.organisation_id)
    opened = session.scalar(select(func.count()).select_from(Situation).where(
        ours, Situation.created_at >= start, Situation.created_at < end)) or 0
    figures.situations_opened = _masked(opened, threshold)
    closed = dict(session.execute(
        select(Situation.closure_reason, func.count()).where(
            ours, Situation.closed_at >= start, Situation.closed_at < end)
        .group_by(Situation.closure_reason)).all())
    figures.situations_closed = _masked(sum(closed.values()), threshold)
    figures.closure_reasons = [
        {**row, "reason_label": ClosureReason(row["reason"]).label}
        for row in suppress_small_counts(
            [{"reason": r.value, "count": closed.get(r.value, 0)} for r in ClosureReason],
            ("reason",), threshold)]
    in_period = (TriageRecord.occurred_at >= start, TriageRecord.occurred_at < end,
                 TriageRecord.situation_id.in_(select(Situation.id).where(ours)))
    outcomes = dict(session.execute(select(TriageRecord.final_outcome, func.count())
                                    .where(*in_period)
                                    .group_by(TriageRecord.final_outcome)).all())
    figures.triages = _masked(sum(outcomes.values()), threshold)
    names = {k: o.label for k, o in logigrammes.current(session).outcomes.items()}
    figures.triage_outcomes = [
        {**row, "outcome_label": names.get(row["outcome"], row["outcome"])}
        for row in suppress_small_counts(
            [{"outcome": code, "count": n} for code, n in sorted(outcomes.items())],
            ("outcome",), threshold)]
    overridden = session.scalar(select(func.count()).select_from(TriageRecord).where(
        *in_period, TriageRecord.final_outcome != TriageRecord.proposed_outcome)) or 0
    figures.triage_overrides = [
        {**row, "decision_label": {"followed": "Issue du logigramme suivie",
                                   "overridden": "Issue modifiée (avec motif)"}[row["decision"]]}
        for row in suppress_small_counts(
            [{"decision": "followed", "count": sum(outcomes.values()) - overridden},
             {"decision": "overridden", "count": overridden}], ("decision",), threshold)]
    # The first triage of the organisation's situations only (not the region's, grouped
    # then joined): read from the (situation, time) index.
    first_triage = (select(TriageRecord.situation_id,
                           func.min(TriageRecord.occurred_at).label("at"))
                    .where(TriageRecord.situation_id.in_(select(Situation.id).where(ours)))
                    .group_by(TriageRecord.situation_id).subquery())
    rows = session.execute(
        select(Situation.created_at, first_triage.c.at, Call.received_at)
        .join(first_triage, first_triage.c.situation_id == Situation.id)
        .outerjoin(Call, Call.id == Situation.origin_call_id)
        .where(ours, first_triage.c.at >= start, first_triage.c.at < end)).all()
    rows = [(opened_at, _aware(at), received) for opened_at, at, received in rows]
    figures.median_days_open_to_triage = _median_days(((o, t) for o, t, _ in rows), threshold)
    figures.median_days_call_to_triage = _median_days(((c, t) for _, t, c in rows), threshold)
    for source in ACTIVITY_SOURCES:
        name, value = source(session, actor, date_from, date_to, threshold, zone)
        figures.more[name] = value
    return figures


def _aware(moment: Any) -> datetime:
    """MIN() over a UTC column comes back as text on SQLite."""
    from datetime import UTC

    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Actions and meetings plug their facts, figures and jobs in (see action_figures.py).
from coordination.services import action_figures as _plugged  # noqa: E402,F401
