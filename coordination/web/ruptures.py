"""Ruptures in the browser: declare and resolve on the situation page, the candidates to
review, the observatory (table, chart, CSV, PDF report)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from coordination.db import utcnow
from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.errors import DomainError, ValidationError, as_id, as_page
from coordination.domain.ruptures import load_taxonomy
from coordination.services import observatory, ruptures
from coordination.web.access import allow
from coordination.web.charts import bar_chart_svg
from coordination.web.context import db, local_zone, settings
from coordination.workflows.action import BlockReason
from directory import services as directory_services

bp = Blueprint("ruptures", __name__)
CARE = (Role.COORDINATOR, Role.PARTNER)
READERS = (Role.MANAGER, Role.COORDINATOR)
FIELDS = ("occurred_on", "type", "cause", "consequence", "transition_point", "service_id",
          "organisation_id", "description")
FORM_LABELS = {"occurred_on": "Date de la rupture", "type": "Type de rupture",
               "cause": "Cause", "consequence": "Conséquence",
               "transition_point": "Point de transition",
               "service_id": "Service de l'annuaire", "organisation_id": "Organisation",
               "description": "Description", "resolved_on": "Date de résolution",
               "resolution": "Comment la rupture a été résolue", "reason": "Motif",
               "version": "Version"}


def _today() -> Any:
    return utcnow().astimezone(local_zone()).date()


def _flash_error(exc: DomainError) -> None:
    if isinstance(exc, ValidationError):
        for name, messages in exc.fields.items():
            for message in messages:
                flash(f"{FORM_LABELS.get(name, name)} : {message}", "error")
    else:
        flash(exc.message, "error")


def _situation_page(situation_id: int) -> Any:
    return redirect(url_for("situations.show", situation_id=situation_id) + "#ruptures")


@bp.post("/situations/<int:situation_id>/ruptures")
@allow(*CARE)
def declare(situation_id: int):  # type: ignore[no-untyped-def]
    data = {name: request.form.get(name, "") for name in FIELDS}
    service = data.get("service_id", "").strip()
    if service and not service.isdigit():  # typed by name: its number, or the problem
        ids, problems = directory_services.service_ids_from_text(db(), service)
        if problems or len(ids) != 1:
            flash("Service concerné : " + (" ".join(problems) or "un seul service."),
                  "error")
            return _situation_page(situation_id)
        data["service_id"] = str(ids[0])
    try:
        ruptures.declare_rupture(db(), current_user, situation_id, data,
                                 expected_version=as_id(request.form.get("version")),
                                 today=_today())
    except ValidationError as exc:
        _flash_error(exc)
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        _flash_error(exc)
    else:
        flash("Rupture enregistrée.", "success")
    return _situation_page(situation_id)


@bp.post("/ruptures/<int:rupture_id>/resolution")
@allow(*CARE)
def resolve(rupture_id: int):  # type: ignore[no-untyped-def]
    rupture = ruptures.get_rupture(db(), current_user, rupture_id)
    try:
        ruptures.resolve_rupture(db(), current_user, rupture_id,
                                 {"resolved_on": request.form.get("resolved_on", ""),
                                  "resolution": request.form.get("resolution", "")},
                                 today=_today())
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash("Rupture résolue.", "success")
    return _situation_page(rupture.situation_id)


@bp.get("/ruptures/candidats")
@allow(Role.COORDINATOR)
def candidates():  # type: ignore[no-untyped-def]
    status = request.args.get("statut", "open")
    if status not in ruptures.CANDIDATE_STATUSES:
        status = "open"
    mine = request.args.get("mes") == "1"
    result = ruptures.list_candidates(db(), current_user, status=status,
                                      page=as_page(request.args.get("page")), mine=mine)
    return render_template("ruptures/candidates.html", result=result, status=status,
                           mine=mine, statuses=ruptures.CANDIDATE_STATUSES,
                           block_labels={r.value: r.label for r in BlockReason},
                           rule_labels=ruptures.RULE_LABELS, taxonomy=load_taxonomy())


@bp.post("/ruptures/candidats/<int:candidate_id>/confirmer")
@allow(Role.COORDINATOR)
def confirm(candidate_id: int):  # type: ignore[no-untyped-def]
    data = {name: request.form.get(name, "") for name in ("occurred_on", "type", "cause")}
    try:
        rupture = ruptures.confirm_candidate(db(), current_user, candidate_id, data,
                                             today=_today())
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        _flash_error(exc)
    else:
        flash(f"Rupture confirmée sur la situation n° {rupture.situation_id}.", "success")
    return redirect(url_for("ruptures.candidates", mes=request.args.get("mes") or None,
                            page=request.args.get("page") or None))


@bp.post("/ruptures/candidats/<int:candidate_id>/ecarter")
@allow(Role.COORDINATOR)
def dismiss(candidate_id: int):  # type: ignore[no-untyped-def]
    try:
        ruptures.dismiss_candidate(db(), current_user, candidate_id,
                                   request.form.get("reason", ""))
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        _flash_error(exc)
    else:
        flash("Candidat écarté.", "success")
    return redirect(url_for("ruptures.candidates", mes=request.args.get("mes") or None,
                            page=request.args.get("page") or None))


# --- observatory ---------------------------------------------------------------------------

def _args() -> dict[str, Any]:
    """The query string, `group_by` from its checkboxes (one value each)."""
    args: dict[str, Any] = request.args.to_dict()
    args["group_by"] = ",".join(v for v in request.args.getlist("group_by") if v)
    return args


def _query() -> tuple[observatory.ObservatoryQuery, dict[str, list[str]]]:
    try:
        return observatory.parse_query(_args(), _today()), {}
    except ValidationError as exc:
        return observatory.parse_query({}, _today()), exc.fields


@bp.get("/observatoire")
@allow(*READERS)
def observatory_page():  # type: ignore[no-untyped-def]
    query, errors = _query()
    remember = settings().observatory_cache_seconds
    figures = observatory.rupture_counts(db(), current_user, query,
                                         threshold=settings().suppression_threshold,
                                         cache_seconds=remember)
    activity, activity_problem = None, None
    try:
        activity = observatory.activity_counts(db(), current_user, query.date_from,
                                               query.date_to,
                                               threshold=settings().suppression_threshold,
                                               zone=local_zone(), cache_seconds=remember)
    except ValidationError as exc:  # its own limit (three years): the ruptures still show
        activity_problem = " ".join(m for ms in exc.fields.values() for m in ms)
    chart_rows = 40
    chart = bar_chart_svg(figures.chart_bars(chart_rows),
                          "Ruptures par " + ", ".join(observatory.DIMENSION_LABELS[d].lower()
                                                      for d in query.group_by))
    taxonomy = load_taxonomy()
    from directory.categories import CATEGORIES

    return render_template(
        "ruptures/observatory.html", query=query, figures=figures, activity=activity,
        activity_problem=activity_problem, chart_rows=chart_rows,
        errors=errors, chart=chart, args=query.as_args(),
        dimensions=observatory.DIMENSION_LABELS, levels=observatory.TERRITORY_LEVELS,
        labels=observatory.FILTER_LABELS, taxonomy=taxonomy, categories=CATEGORIES,
        organisation_types=list(OrganisationType), ongoing=query.date_to >= _today(),
        definitions=observatory.definitions(figures.threshold)), 422 if errors else 200


@bp.get("/observatoire/ruptures.csv")
@allow(*READERS)
def observatory_csv():  # type: ignore[no-untyped-def]
    query = observatory.parse_query(_args(), _today())
    rows = observatory.export_csv(db(), current_user, query,
                                  threshold=settings().suppression_threshold)
    name = f"observatoire-ruptures-{query.date_from}-{query.date_to}.csv"
    return Response(stream_with_context(rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/observatoire/rapport.pdf")
@allow(*READERS)
def observatory_pdf():  # type: ignore[no-untyped-def]
    query = observatory.parse_query(_args(), _today())
    document = observatory.export_pdf(db(), current_user, query,
                                      threshold=settings().suppression_threshold,
                                      zone=local_zone())
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="observatoire-ruptures-{query.date_from}-'
                               f'{query.date_to}.pdf"'})
