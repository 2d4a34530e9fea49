"""The directory's one search function (web page and API), service lookup, and "which
CMP serves this commune"."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
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
from directory.text import tokens

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


def _full_text(session: Session, words: list[str]) -> tuple[Any, Any]:
    """The full-text condition on directory_services, and on SQLite the same match on
    the FTS table alone (to count its rows without reading the services); (None, None)
    without words."""
    if not words:
        return None, None
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return text("to_tsvector('simple', directory_services.search_text) "
                    "@@ to_tsquery('simple', :tsquery)").bindparams(tsquery=tsquery), None
    match = text("directory_fts MATCH :match").bindparams(
        match=" ".join(f'"{w}"*' for w in words))
    # IN (subquery): SQLite runs the full-text match once, whatever the other filters
    # (a join let the planner start from the category index and match row by row).
    return DirectoryService.id.in_(select(_FTS.c.rowid).where(match)), match


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


def commune_point(session: Session, insee: str) -> geo.Point | None:
    """Where a commune is, for distances: the shipped communes have no coordinates, so
    this is the centre of the directory's geolocated services in that commune (FINESS
    geolocation, HSDS locations); None when it has none."""
    rows = session.execute(select(DirectoryService.latitude, DirectoryService.longitude)
                           .where(DirectoryService.commune_insee == insee,
                                  DirectoryService.latitude.is_not(None),
                                  DirectoryService.longitude.is_not(None))).all()
    return geo.centroid([(lat, lon) for lat, lon in rows])


def _search(session: Session, query: SearchQuery) -> Page[Hit]:
    conditions: list[Any] = []
    full_text, fts_match = _full_text(session, tokens(query.q))
    if full_text is not None:
        conditions.append(full_text)
    category = commune = None
    if query.categories:
        category = DirectoryService.category.in_(query.categories)
        conditions.append(category)
    if query.commune:
        if session.get(Commune, query.commune) is None:
            raise ValidationError({"commune": ["Commune inconnue de l'annuaire."]})
        commune = DirectoryService.commune_insee == query.commune
        conditions.append(commune)
    if query.sector_of:
        conditions.append(DirectoryService.served.any(
            ServedCommune.commune_insee == query.sector_of))
    if query.level is not None:
        conditions.append(DirectoryService.care_level == query.level)
    if query.dual_diagnosis is not None:
        conditions.append(DirectoryService.accepts_dual_diagnosis.is_(query.dual_diagnosis))
    if query.accepting is not None:
        conditions.append(DirectoryService.accepting_new.is_(query.accepting))
    proximity: Any = literal(4)
    distance: Any = null()
    origin: geo.Point | None = None
    located: Any = None
    if query.near:
        reference = session.get(Commune, query.near)
        if reference is None:
            raise ValidationError({"near": ["Commune inconnue de l'annuaire."]})
        located = aliased(Commune)
        proximity = case(
            (DirectoryService.commune_insee == reference.insee, 0),
            (and_(located.epci_siren.is_not(None),
                  located.epci_siren == reference.epci_siren), 1),
            (located.arrondissement == reference.arrondissement, 2),
            (located.departement == reference.departement, 3),
            else_=4)
        origin = commune_point(session, reference.insee)
        if origin is not None:
            distance = _squared_degrees(origin)
        if query.radius_km is not None:
            if origin is None:
                raise ValidationError({"radius_km": [
                    f"Aucun service géolocalisé à {reference.name} : la distance depuis "
                    "cette commune est inconnue, le rayon ne peut pas s'appliquer."]})
            # Services without coordinates are left out (not known to be that close),
            # except those of the commune itself.
            conditions.append(or_(
                DirectoryService.commune_insee == reference.insee,
                distance <= geo.squared_degrees_for_km(query.radius_km)))
    # The page's ids and sort keys only (the services' full rows are read for the page
    # alone, not for every candidate the sort goes through); ORDER BY names the computed
    # columns, so each is computed once per candidate.
    proximity_column = proximity.label("proximity")
    distance_column = distance.label("distance")
    statement = select(DirectoryService.id, proximity_column, distance_column)
    if located is not None:
        statement = statement.outerjoin(located,
                                        located.insee == DirectoryService.commune_insee)
    order: list[Any] = [proximity_column] if located is not None else []
    if origin is not None:  # (PostgreSQL refuses a constant NULL in ORDER BY)
        order.append(distance_column.asc().nulls_last())
    statement = statement.where(*conditions).order_by(
        *order, DirectoryService.name_key, DirectoryService.id)
    if not conditions:
        count: Select | None = select(func.count()).select_from(DirectoryService)
    elif fts_match is not None and conditions == [full_text]:
        # Only the words: as many candidates as full-text matches (the FTS table's rows
        # are the services', kept in step by migration 0004's triggers), no service read.
        count = select(func.count()).select_from(_FTS).where(fts_match)
    elif all(c is category or c is commune for c in conditions):
        # Read from the (category, commune) index alone.
        count = select(func.count()).select_from(DirectoryService).where(*conditions)
    else:
        # Counting would read every candidate service a second time: the page query
        # counts its candidates as it goes instead (window count).
        count = None
    return _paginate_rows(session, statement, count, query.page, query.per_page)


def _squared_degrees(origin: geo.Point) -> Any:
    """geo.squared_degrees in SQL (NULL when the service has no coordinates)."""
    dy = DirectoryService.latitude - origin.latitude
    dx = (DirectoryService.longitude - origin.longitude) * origin.longitude_scale
    return dy * dy + dx * dx


def _paginate_rows(session: Session, statement: Select, count: Select | None, page: int,
                   per_page: int) -> Page[Hit]:
    """The page's (id, proximity, distance) rows, then its services by id (one query,
    with the relationships the answer shows). The total: a short page tells it (it is the
    last one); otherwise `count`, or, without it, a window count in the page query."""
    offset = (page - 1) * per_page
    if count is None:
        statement = statement.add_columns(func.count().over().label("total"))
    rows = session.execute(statement.limit(per_page).offset(offset)).all()
    if rows and count is None:
        total = rows[0][3]
    elif len(rows) < per_page and (rows or not offset):
        total = offset + len(rows)
    else:  # a full page, or past the last one
        total = session.scalar(count if count is not None else select(func.count())
                               .select_from(statement.order_by(None).subquery())) or 0
    found = {s.id: s for s in session.scalars(
        select(DirectoryService).where(DirectoryService.id.in_([r[0] for r in rows])))
    } if rows else {}
    return Page([Hit(found[r[0]], r[1], None if r[2] is None
                     else round(geo.km_from_squared_degrees(r[2]), 1)) for r in rows],
                total, page, per_page)


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


def get_services(session: Session, ids: list[int]) -> list[DirectoryService]:
    """These services, in the order given (absent ids are left out)."""
    found = {s.id: s for s in session.scalars(
        select(DirectoryService).where(DirectoryService.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


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
