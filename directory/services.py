"""The directory's one search function (web page and API), service lookup, and "which
CMP serves this commune"."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from coordination.domain.errors import NotFound, ValidationError
from coordination.services.pagination import Page
from directory import geo
from directory.categories import BY_CODE
from directory.models import Commune, CurationTask, DirectoryService, ServedCommune
from directory.text import ABBREVIATIONS, fold, tokens

MAX_PER_PAGE = 100
MAX_RADIUS_KM = 1000
# The SQLite FTS5 table (created by migration 0004, outside the models' metadata).
_FTS = Table("directory_fts", MetaData(), Column("rowid", Integer), Column("search_text"))
PROXIMITY_LABELS = {0: "même commune", 1: "même intercommunalité",
                    2: "même arrondissement", 3: "même département", 4: "plus loin"}


@dataclass(frozen=True)
class SearchQuery:
    q: str | None = None
    categories: tuple[str, ...] = ()
    commune: str | None = None  # located in this commune
    sector_of: str | None = None  # serves this commune
    near: str | None = None  # rank by proximity to this commune
    radius_km: float | None = None  # only services this close to `near`
    level: int | None = None
    dual_diagnosis: bool | None = None
    accepting: bool | None = None
    page: int = 1
    per_page: int = 20


def parse_query(args: Mapping[str, str]) -> SearchQuery:
    """A SearchQuery from request parameters; 422 naming every bad one."""
    errors: dict[str, list[str]] = {}

    def commune(name: str) -> str | None:
        value = (args.get(name) or "").strip().upper()
        if not value:
            return None
        if len(value) != 5 or not value.isalnum():
            errors[name] = ["Code commune INSEE attendu (5 caractères)."]
            return None
        return value

    def flag(name: str) -> bool | None:
        value = (args.get(name) or "").strip().lower()
        if not value:
            return None
        if value in {"1", "true", "oui", "yes"}:
            return True
        if value in {"0", "false", "non", "no"}:
            return False
        errors[name] = ["true ou false attendu."]
        return None

    def integer(name: str, default: int | None, low: int, high: int) -> int | None:
        value = (args.get(name) or "").strip()
        if not value:
            return default
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            errors[name] = [f"Entier attendu entre {low} et {high}."]
            return default
        return int(value)

    def kilometres(name: str) -> float | None:
        raw = (args.get(name) or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            errors[name] = ["Nombre de kilomètres attendu (ex. 20 ou 12,5)."]
            return None
        if not 0 <= value <= MAX_RADIUS_KM:
            errors[name] = [f"Rayon entre 0 et {MAX_RADIUS_KM} km."]
            return None
        return value

    categories = tuple(c for c in (args.get("category") or "").split(",") if c.strip())
    unknown = [c for c in categories if c not in BY_CODE]
    if unknown:
        errors["category"] = ["Catégorie inconnue : " + ", ".join(unknown)
                              + ". Valeurs : " + ", ".join(BY_CODE) + "."]
    q = args.get("q")
    if q is not None and len(q) > 200:
        errors["q"] = ["200 caractères au plus."]
    query = SearchQuery(
        q=q, categories=categories, commune=commune("commune"),
        sector_of=commune("sector_of"), near=commune("near"),
        level=integer("level", None, 1, 3), dual_diagnosis=flag("dual_diagnosis"),
        accepting=flag("accepting"), page=integer("page", 1, 1, 10**6) or 1,
        per_page=integer("per_page", 20, 1, MAX_PER_PAGE) or 20,
        radius_km=kilometres("radius_km"))
    if query.radius_km is not None and not query.near and "near" not in errors:
        errors["radius_km"] = ["Un rayon se compte depuis une commune : indiquez-la "
                               "(paramètre near)."]
    if errors:
        raise ValidationError(errors)
    return query


class Hit(NamedTuple):
    """One search result: the service, its proximity rank to `near` (0 same commune …
    4 farther; 4 without `near`) and its distance in km (None when unknown)."""

    service: DirectoryService
    proximity: int
    distance_km: float | None


def search(session: Session, query: SearchQuery) -> Page[Hit]:
    """Services matching every word (prefixes, accents and case ignored) and the filters;
    ranked by proximity to `near` (same commune, EPCI, arrondissement, département), then
    by kilometres where both sides have coordinates, then by name. With `radius_km`, only
    services known to be that close (and those of the commune itself). Same words, same
    filters, same order on both engines."""
    if query.q and query.q.strip() and not tokens(query.q):
        # Only punctuation or function words: nothing to look for, not everything.
        return Page([], 0, query.page, query.per_page)
    return _search(session, query)


COMMUNE_PARAMETERS = ("commune", "sector_of", "near")


def read_query(session: Session, args: Mapping[str, str]) -> SearchQuery:
    """parse_query, the communes given by name (« Lézignan-Corbières ») or by INSEE code:
    what the search page and the API both read. A name several communes share is refused
    listing them; every problem is named at once."""
    values = dict(args.items())
    problems: dict[str, list[str]] = {}
    for name in COMMUNE_PARAMETERS:
        raw = (values.get(name) or "").strip()
        if not raw or _looks_like_code(raw):
            continue
        found = communes_named(session, raw)
        if len(found) == 1:
            values[name] = found[0][0]
            continue
        del values[name]
        problems[name] = ["Plusieurs communes portent ce nom : " + ", ".join(
            f"{label} ({departement}) : {insee}" for insee, label, departement
            in found[:8]) + ". Indiquez le code INSEE."] if found else [
            f"Commune « {raw[:60]} » inconnue : indiquez son nom exact ou son code INSEE."]
    try:
        query = parse_query(values)
    except ValidationError as exc:
        raise ValidationError({**exc.fields, **problems}) from None
    if problems:
        raise ValidationError(problems)
    return query


def _looks_like_code(value: str) -> bool:
    """An INSEE commune code, or garbage parse_query names as such (never a name)."""
    return any(c.isdigit() for c in value)


def commune_point(session: Session, insee: str) -> geo.Point | None:
    """Where a commune is, for distances: the shipped communes have no coordinates, so
    this is the centre of the directory's geolocated services in that commune (FINESS
    geolocation, HSDS locations); None when it has none."""
    rows = session.execute(select(DirectoryService.latitude, DirectoryService.longitude)
                           .where(DirectoryService.commune_insee == insee,
                                  DirectoryService.latitude.is_not(None),
                                  DirectoryService.longitude.is_not(None))).all()
    return geo.centroid([(lat, lon) for lat, lon in rows])


class _Shape(NamedTuple):
    """What a search's statements depend on besides values: the values go in as bound
    parameters, so each shape's statements are built once per process (and their SQL
    compiled once), not at every search."""

    postgresql: bool
    words: bool
    categories: bool
    commune: bool
    sector: bool
    level: bool
    dual_diagnosis: bool | None  # (IS TRUE / IS FALSE take no parameter on PostgreSQL)
    accepting: bool | None
    near: bool
    # A reference commune without EPCI, arrondissement or département: compared with
    # IS NULL, as `== None` has always done.
    near_nulls: tuple[bool, bool, bool]
    origin: bool  # the reference commune has a known point: distances
    radius: bool


class _Statements(NamedTuple):
    page: Select  # the page's services with proximity, distance (and total: `count` None)
    count: Select | None  # the total read cheaply, or None: a window count in `page`
    recount: Select  # the total, for a page past the last one (no row to carry it)


def _search(session: Session, query: SearchQuery) -> Page[Hit]:
    words = tokens(query.q)
    postgresql = session.get_bind().dialect.name == "postgresql"
    offset = (query.page - 1) * query.per_page
    params: dict[str, Any] = {"limit": query.per_page, "offset": offset}
    if words and postgresql:
        params["tsquery"] = " & ".join(f"{w}:*" for w in words)
    elif words:
        params["match"] = " ".join(f'"{w}"*' for w in words)
    if query.categories:
        params["categories"] = list(query.categories)
    if query.commune:
        if session.get(Commune, query.commune) is None:
            raise ValidationError({"commune": ["Commune inconnue de l'annuaire."]})
        params["commune"] = query.commune
    if query.sector_of:
        params["sector_of"] = query.sector_of
    if query.level is not None:
        params["level"] = query.level
    near_nulls = (False, False, False)
    origin: geo.Point | None = None
    if query.near:
        reference = session.get(Commune, query.near)
        if reference is None:
            raise ValidationError({"near": ["Commune inconnue de l'annuaire."]})
        near_nulls = (reference.epci_siren is None, reference.arrondissement is None,
                      reference.departement is None)
        params.update(near=reference.insee, near_epci=reference.epci_siren,
                      near_arrondissement=reference.arrondissement,
                      near_departement=reference.departement)
        origin = commune_point(session, reference.insee)
        if origin is not None:
            params.update(origin_latitude=origin.latitude,
                          origin_longitude=origin.longitude,
                          longitude_scale=origin.longitude_scale)
        if query.radius_km is not None:
            if origin is None:
                raise ValidationError({"radius_km": [
                    f"Aucun service géolocalisé à {reference.name} : la distance depuis "
                    "cette commune est inconnue, le rayon ne peut pas s'appliquer."]})
            params["radius"] = geo.squared_degrees_for_km(query.radius_km)
    statements = _statements(_Shape(
        postgresql=postgresql, words=bool(words), categories=bool(query.categories),
        commune=bool(query.commune), sector=bool(query.sector_of),
        level=query.level is not None, dual_diagnosis=query.dual_diagnosis,
        accepting=query.accepting, near=bool(query.near), near_nulls=near_nulls,
        origin=origin is not None, radius=query.radius_km is not None))
    rows = session.execute(statements.page, params).all()
    if rows and statements.count is None:
        total = rows[0][3]
    elif len(rows) < query.per_page and (rows or not offset):
        total = offset + len(rows)  # a short page is the last one
    else:  # a full page (cheap count), or past the last page
        total = session.scalar(statements.count if statements.count is not None
                               else statements.recount, params) or 0
    return Page([Hit(r[0], r[1], None if r[2] is None
                     else round(geo.km_from_squared_degrees(r[2]), 1)) for r in rows],
                total, query.page, query.per_page)


@lru_cache(maxsize=512)
def _statements(shape: _Shape) -> _Statements:
    """A shape's statements: the candidates' ids and sort keys ranked and cut to the page
    (the services' full rows are read for the page alone, not for every candidate the
    sort goes through), joined to the page's services and their relationships."""
    service = DirectoryService
    conditions: list[Any] = []
    source: Any = service.__table__
    fts_match = None
    indexed_filter = shape.categories or shape.commune
    if shape.words and shape.postgresql:
        conditions.append(text("to_tsvector('simple', directory_services.search_text) "
                               "@@ to_tsquery('simple', :tsquery)").bindparams(
            bindparam("tsquery", type_=String)))
    elif shape.words:
        fts_match = text("directory_fts MATCH :match").bindparams(
            bindparam("match", type_=String))
        if indexed_filter:
            # IN (subquery): SQLite runs the full-text match once, whatever the other
            # filters (a join let the planner start from the category or commune index
            # and match row by row).
            conditions.append(service.id.in_(select(_FTS.c.rowid).where(fts_match)))
        else:
            # No indexed filter: the match drives a join, streaming its rows (no list of
            # every matched id built first).
            source = source.join(_FTS, _FTS.c.rowid == service.id)
            conditions.append(fts_match)
    if shape.categories:
        conditions.append(service.category.in_(bindparam("categories", expanding=True)))
    if shape.commune:
        conditions.append(service.commune_insee == bindparam("commune"))
    if shape.sector:
        conditions.append(service.served.any(
            ServedCommune.commune_insee == bindparam("sector_of")))
    if shape.level:
        conditions.append(service.care_level == bindparam("level"))
    if shape.dual_diagnosis is not None:
        conditions.append(service.accepts_dual_diagnosis.is_(shape.dual_diagnosis))
    if shape.accepting is not None:
        conditions.append(service.accepting_new.is_(shape.accepting))
    proximity: Any = literal(4)
    distance: Any = null()
    if shape.near:
        located = aliased(Commune, name="located")
        source = source.outerjoin(located, located.insee == service.commune_insee)
        no_epci, no_arrondissement, no_departement = shape.near_nulls
        proximity = case(
            (service.commune_insee == bindparam("near"), 0),
            (and_(located.epci_siren.is_not(None), located.epci_siren
                  == (None if no_epci else bindparam("near_epci"))), 1),
            (located.arrondissement
             == (None if no_arrondissement else bindparam("near_arrondissement")), 2),
            (located.departement
             == (None if no_departement else bindparam("near_departement")), 3),
            else_=4)
    if shape.origin:
        # geo.squared_degrees in SQL (NULL when the service has no coordinates)
        dy = service.latitude - bindparam("origin_latitude", type_=Float)
        dx = (service.longitude - bindparam("origin_longitude", type_=Float)) \
            * bindparam("longitude_scale", type_=Float)
        distance = dy * dy + dx * dx
    if shape.radius:
        # Services without coordinates are left out (not known to be that close),
        # except those of the commune itself.
        conditions.append(or_(service.commune_insee == bindparam("near"),
                              distance <= bindparam("radius", type_=Float)))
    indexed_only = len(conditions) == shape.categories + shape.commune  # nothing else
    if not conditions:
        count: Select | None = select(func.count()).select_from(service)
    elif fts_match is not None and conditions == [fts_match]:
        # Only the words: as many candidates as full-text matches (the FTS table's rows
        # are the services', kept in step by migration 0004's triggers), none read.
        count = select(func.count()).select_from(_FTS).where(fts_match)
    elif indexed_only:  # from the (category, commune) index alone
        count = select(func.count()).select_from(service).where(*conditions)
    else:
        # Counting would read every candidate service a second time: the page query
        # counts its candidates as it goes instead (window count).
        count = None
    # ORDER BY names the computed columns: each is computed once per candidate.
    proximity_column = proximity.label("proximity")
    distance_column = distance.label("distance")
    candidates = select(service.id, proximity_column, distance_column,
                        service.name_key).select_from(source).where(*conditions)
    order: list[Any] = [proximity_column] if shape.near else []
    if shape.origin:  # (PostgreSQL refuses a constant NULL in ORDER BY)
        order.append(distance_column.asc().nulls_last())
    ranked_statement = candidates.order_by(*order, service.name_key, service.id)
    if count is None:
        ranked_statement = ranked_statement.add_columns(func.count().over().label("total"))
    ranked = ranked_statement.limit(bindparam("limit", type_=Integer)).offset(
        bindparam("offset", type_=Integer)).subquery("ranked")
    # The same order again on the page's rows (a join does not keep it).
    outer_order: list[Any] = [ranked.c.proximity] if shape.near else []
    if shape.origin:
        outer_order.append(ranked.c.distance.asc().nulls_last())
    page = (select(service, ranked.c.proximity, ranked.c.distance,
                   *([ranked.c.total] if count is None else []))
            .join(ranked, ranked.c.id == service.id)
            .order_by(*outer_order, ranked.c.name_key, ranked.c.id))
    recount = select(func.count()).select_from(candidates.subquery())
    return _Statements(page, count, recount)


def get_service(session: Session, service_id: int) -> DirectoryService:
    service = session.get(DirectoryService, service_id)
    if service is None:
        raise NotFound("Service introuvable dans l'annuaire.")
    return service


def commune_names(session: Session, codes: list[str | None]) -> dict[str, str]:
    """INSEE code -> commune name, for the codes the directory knows."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(session.execute(select(Commune.insee, Commune.name)
                                .where(Commune.insee.in_(wanted))).all())


def communes_named(session: Session, name: str) -> list[tuple[str, str, str]]:
    """(INSEE code, name, département) of the communes called `name` (accents, case,
    hyphens and « Saint »/« St » ignored), for a person typing a commune rather than its
    code; several when the name is shared (Saint-Martin…)."""
    wanted = _commune_key(name)
    if not wanted:
        return []
    # A first cut in SQL on the longest word, any vowel or c standing for its accented
    # forms (« lezignan » finds « Lézignan »); the exact comparison follows.
    longest = max(wanted.split(), key=len)
    pattern = "%" + "".join("_" if c in "aceiouy" else c for c in longest) + "%"
    return [(insee, label, departement) for insee, label, departement in session.execute(
        select(Commune.insee, Commune.name, Commune.departement)
        .where(Commune.name.ilike(pattern)).order_by(Commune.insee))
        if _commune_key(label) == wanted]


# « St-Hilaire » is Saint-Hilaire: the short forms of text.ABBREVIATIONS read in full.
_IN_FULL = {ABBREVIATIONS[word]: word for word in ("saint", "sainte")}


def _commune_key(name: str) -> str:
    """A commune's name as compared: folded (accents, case, hyphens, apostrophes), with
    « St »/« Ste » in full."""
    return " ".join(_IN_FULL.get(word, word) for word in fold(name).split())


def get_services(session: Session, ids: list[int]) -> list[DirectoryService]:
    """These services, in the order given (absent ids are left out)."""
    found = {s.id: s for s in session.scalars(
        select(DirectoryService).where(DirectoryService.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def services_named(session: Session, name: str) -> list[DirectoryService]:
    """The services called exactly `name` (accents, case and punctuation aside), for a
    coordinator who types a service rather than its number; several when the name is
    shared."""
    key = fold(name)
    if not key:
        return []
    return list(session.scalars(select(DirectoryService).where(
        DirectoryService.name_key == key).order_by(DirectoryService.id).limit(9)))


def service_ids_from_text(session: Session, raw: str) -> tuple[list[int], list[str]]:
    """Services typed by number or by exact name, separated by « ; » (or commas between
    numbers): their ids, or what could not be read (every problem, in French)."""
    parts = [p.strip() for p in raw.replace(";", "\n").splitlines() if p.strip()]
    if all(set(p) <= set("0123456789, ") for p in parts):  # numbers only: commas separate
        parts = [p.strip() for p in ",".join(parts).split(",") if p.strip()]
    ids: list[int] = []
    problems: list[str] = []
    for part in parts:
        if part.isascii() and part.isdigit() and 0 < int(part) < 2**31:
            ids.append(int(part))
            continue
        found = services_named(session, part)
        if len(found) == 1:
            ids.append(found[0].id)
        elif found:
            problems.append(f"Plusieurs services s'appellent « {part[:80]} » : indiquez le "
                            "numéro de l'un d'eux (" + ", ".join(
                                f"n° {s.id}, {s.commune.name if s.commune else '?'}"
                                for s in found) + ").")
        else:
            problems.append(f"Aucun service de l'annuaire ne s'appelle « {part[:80]} » : "
                            "indiquez son nom exact ou son numéro (fiche du service).")
    return ids, problems


def unknown_ids(session: Session, ids: list[int]) -> list[int]:
    """Which of these service ids the directory does not hold (intake "current supports")."""
    known = set(session.scalars(select(DirectoryService.id).where(
        DirectoryService.id.in_(ids))))
    return [i for i in ids if i not in known]


def cmp_for_commune(session: Session, insee: str) -> list[DirectoryService]:
    """The CMP(s) whose psychiatric sector covers this commune."""
    if session.get(Commune, insee) is None:
        raise NotFound("Commune inconnue de l'annuaire.")
    return list(session.scalars(
        select(DirectoryService).where(
            DirectoryService.category == "cmp",
            DirectoryService.served.any(ServedCommune.commune_insee == insee))
        .order_by(DirectoryService.name_key)))




# --- curation --------------------------------------------------------------------------------

EDITABLE = {"name": 300, "address": 300, "postcode": 5, "opening_hours": 2000,
            "conditions": 2000, "email": 254, "website": 300, "description": 5000}


def edit_service(session: Session, service: DirectoryService, data: Mapping[str, Any],
                 today: date, user_id: int | None = None) -> DirectoryService:
    """An admin's correction: each changed field in the service's history with its old and
    new values (a re-import keeps them), and the changed fields in the audit trail."""
    errors: dict[str, list[str]] = {}
    checks = {"postcode": (r"\d{5}", "Code postal à 5 chiffres."),
              "email": (r"[^@\s]+@[^@\s]+\.[^@\s]+", "Adresse e-mail invalide."),
              "website": (r"https?://\S+", "Adresse commençant par http:// ou https://.")}
    for name, limit in EDITABLE.items():
        if name in data:
            value = " ".join(str(data[name] or "").split()) if name != "opening_hours" \
                else str(data[name] or "").strip()
            if name == "name" and not value:
                errors[name] = ["Le nom est obligatoire."]
            elif len(value) > limit:
                errors[name] = [f"{limit} caractères au plus."]
            elif value and name in checks and not re.fullmatch(checks[name][0], value):
                errors[name] = [checks[name][1]]
            else:
                setattr(service, name, value or None)
    if "phone" in data:
        phone = " ".join(str(data["phone"] or "").split())
        if phone and not all(c.isdigit() or c in " +.()-" for c in phone):
            errors["phone"] = ["Numéro de téléphone invalide."]
        else:
            service.phones = [{"number": phone, "label": "accueil"}] if phone else []
    if "waiting_days" in data:
        raw = str(data["waiting_days"] or "").strip()
        if raw and not (raw.isascii() and raw.isdigit() and int(raw) <= 3650):
            errors["waiting_days"] = ["Nombre de jours attendu."]
        elif (int(raw) if raw else None) != service.waiting_days:
            # The date says when the waiting time was reported: only when it changes.
            service.waiting_days = int(raw) if raw else None
            service.waiting_reported_on = today if raw else None
    for name in ("accepting_new", "accepts_dual_diagnosis"):
        if name in data:
            raw = str(data[name] or "")
            if raw not in {"oui", "non", ""}:
                errors[name] = ["Oui, non ou non renseigné."]
            else:
                setattr(service, name, {"oui": True, "non": False, "": None}[raw])
    if errors:
        session.rollback()
        raise ValidationError(errors)
    from coordination.services import audit
    from directory.curation import ADMIN, record_changes
    from directory.reference import search_text_for
    from directory.text import fold

    changed = sorted(record_changes(session, service, ADMIN, user_id))
    service.last_verified_on = today
    service.name_key = fold(service.name)
    service.search_text = search_text_for(service)
    # Directory data is not personal, but who changed what is its history: one entry per
    # edit, not per imported line.
    audit.record(session, "update", "directory_services", service.id,
                 changed_fields=changed or ["last_verified_on"])
    session.commit()
    return service


def report_outdated(session: Session, service: DirectoryService, user_id: int,
                    note: str | None) -> CurationTask:
    text_note = " ".join((note or "").split())
    if not text_note:
        raise ValidationError({"note": ["Dites ce qui n'est plus exact."]})
    if len(text_note) > 2000:
        raise ValidationError({"note": ["2000 caractères au plus."]})
    task = CurationTask(service_id=service.id, note=text_note, reported_by_user_id=user_id)
    session.add(task)
    session.commit()
    return task


def open_tasks(session: Session) -> list[CurationTask]:
    return list(session.scalars(select(CurationTask).where(CurationTask.resolved_at.is_(None))
                                .order_by(CurationTask.reported_at)))


def resolve_task(session: Session, task_id: int, user_id: int) -> CurationTask:
    task = session.get(CurationTask, task_id)
    if task is None or task.resolved_at is not None:
        raise NotFound("Signalement introuvable ou déjà traité.")
    from coordination.db import utcnow

    task.resolved_at = utcnow()
    task.resolved_by_user_id = user_id
    session.commit()
    return task


def service_history(session: Session, service_id: int) -> list[Any]:
    from directory.curation import history

    return history(session, service_id)
