"""The directory's pages (/annuaire) and API (/api/v1/directory/…)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import ValidationError
from coordination.web.access import allow
from coordination.web.api import bp as api
from coordination.web.api import paginated, paginated_list
from coordination.web.context import db
from directory import services
from directory.categories import BY_CODE, CARE_LEVELS, CATEGORIES, MODALITIES
from directory.curation import STALE_AFTER_DAYS, describe
from directory.models import DirectoryService

bp = Blueprint("directory", __name__, url_prefix="/annuaire")
PARAM_LABELS = {"q": "Recherche", "category": "Catégorie", "commune": "Commune",
                "sector_of": "Secteur de la commune", "near": "Au plus près de",
                "radius_km": "Rayon (km)",
                "level": "Niveau de recours", "dual_diagnosis": "Double diagnostic",
                "accepting": "Accueille de nouvelles personnes", "page": "Page",
                "per_page": "Résultats par page", "name": "Nom", "address": "Adresse",
                "postcode": "Code postal", "phone": "Téléphone", "email": "E-mail",
                "website": "Site", "waiting_days": "Délai d'attente",
                "accepting_new": "Accueille de nouvelles personnes",
                "accepts_dual_diagnosis": "Double diagnostic", "opening_hours": "Horaires",
                "conditions": "Conditions d'accès", "note": "Signalement",
                "phones": "Téléphone", "description": "Description"}
SOURCE_LABELS = {"finess": "FINESS", "sae": "DREES SAE 2023", "hsds": "import HSDS",
                 "demo": "données de démonstration", "manual": "saisie manuelle"}


def service_json(service: DirectoryService) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": service.id, "name": service.name, "category": service.category,
        "category_label": BY_CODE[service.category].label if service.category in BY_CODE
        else service.category,
        "organisation_name": service.organisation_name, "finess": service.finess,
        "address": service.address, "postcode": service.postcode,
        "commune_insee": service.commune_insee,
        "commune_name": service.commune.name if service.commune else None,
        "latitude": service.latitude, "longitude": service.longitude,
        "phones": service.phones, "email": service.email, "website": service.website,
        "opening_hours": service.opening_hours,
        "eligibility": {"age_min": service.age_min, "age_max": service.age_max,
                        "sector": service.sector, "conditions": service.conditions,
                        "served_communes": [s.commune_insee for s in service.served],
                        "accepts_dual_diagnosis": service.accepts_dual_diagnosis},
        "accepting_new": service.accepting_new, "modalities": service.modalities,
        "care_level": service.care_level,
        "waiting": {"days": service.waiting_days,
                    "reported_on": service.waiting_reported_on.isoformat()
                    if service.waiting_reported_on else None},
        "languages": service.languages, "accessibility": service.accessibility,
        "source": service.source, "is_demo": service.is_demo,
        "last_verified_on": service.last_verified_on.isoformat()
        if service.last_verified_on else None,
    }
    return body


def hit_json(hit: services.Hit, near: bool) -> dict[str, Any]:
    """A search result: the service, its distance (null when unknown) and, from a
    commune (`near`), its proximity."""
    body = service_json(hit.service)
    body["distance_km"] = hit.distance_km
    if near:
        body["proximity"] = services.PROXIMITY_LABELS[hit.proximity]
    return body


@api.get("/directory/services")
@allow()
def api_search() -> Any:
    query = services.read_query(db(), request.args)
    page = services.search(db(), query)
    return paginated([hit_json(hit, bool(query.near)) for hit in page.items],
                     query.page, query.per_page, page.total)


@api.get("/directory/services/<int:service_id>")
@allow()
def api_service(service_id: int) -> Any:
    return jsonify(service_json(services.get_service(db(), service_id)))


@api.get("/directory/communes/<insee>/cmp")
@allow()
def api_cmp_for_commune(insee: str) -> Any:
    found = services.cmp_for_commune(db(), insee.upper())
    return paginated_list(found, service_json)


@bp.get("/")
@allow()
def search_page():  # type: ignore[no-untyped-def]
    error = None
    page = None
    try:
        query = services.read_query(db(), request.args)
    except ValidationError as exc:
        error = exc
        query = services.SearchQuery()
    searching = any(request.args.get(k) for k in (
        "q", "category", "commune", "near", "radius_km", "sector_of", "level",
        "dual_diagnosis", "accepting"))
    if searching and error is None:  # a bad parameter shows its error, not everything
        try:
            page = services.search(db(), query)
        except ValidationError as exc:
            error = exc
    params = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("directory/search.html", query=query, page=page, error=error,
                           params=params, param_labels=PARAM_LABELS,
                           categories=CATEGORIES, args=request.args,
                           category_labels={c.code: c.label for c in CATEGORIES},
                           labels=services.PROXIMITY_LABELS), 422 if error else 200


@bp.get("/services/<int:service_id>")
@allow()
def service_page(service_id: int):  # type: ignore[no-untyped-def]
    service = services.get_service(db(), service_id)
    age = (date.today() - service.last_verified_on).days if service.last_verified_on else None
    return render_template("directory/service.html", service=service,
                           source_label=SOURCE_LABELS.get(service.source, service.source),
                           category=BY_CODE.get(service.category), verified_age=age,
                           modalities=MODALITIES, care_levels=CARE_LEVELS,
                           stale=age is None or age > STALE_AFTER_DAYS)


@api.get("/directory/export/hsds")
@allow()
def api_export_hsds() -> Any:
    """The whole directory as HSDS 3.0 services (JSON array)."""
    from directory.hsds import export

    return jsonify(list(export(db())))


@bp.post("/services/<int:service_id>/signalement")
@allow()
def report(service_id: int):  # type: ignore[no-untyped-def]
    service = services.get_service(db(), service_id)
    try:
        services.report_outdated(db(), service, current_user.id, request.form.get("note"))
    except ValidationError as exc:
        flash(" ".join(m for ms in exc.fields.values() for m in ms), "error")
    else:
        flash("Merci : l'administration de l'annuaire vérifiera ces informations.",
              "success")
    return redirect(url_for("directory.service_page", service_id=service_id))


@bp.route("/services/<int:service_id>/modifier", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(service_id: int):  # type: ignore[no-untyped-def]
    service = services.get_service(db(), service_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.edit_service(db(), service, request.form, date.today(),
                                  current_user.id)
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash("Service mis à jour et marqué vérifié aujourd'hui.", "success")
            return redirect(url_for("directory.service_page", service_id=service_id))
    return render_template("directory/edit.html", service=service, errors=errors,
                           param_labels=PARAM_LABELS,
                           form=request.form if errors else None,
                           history=services.service_history(db(), service_id),
                           describe=describe), \
        422 if errors else 200


@bp.get("/signalements")
@allow(Role.ADMIN)
def tasks():  # type: ignore[no-untyped-def]
    return render_template("directory/tasks.html", tasks=services.open_tasks(db()))


@bp.post("/signalements/<int:task_id>/traite")
@allow(Role.ADMIN)
def resolve(task_id: int):  # type: ignore[no-untyped-def]
    services.resolve_task(db(), task_id, current_user.id)
    flash("Signalement traité.", "success")
    return redirect(url_for("directory.tasks"))
