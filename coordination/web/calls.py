"""The single-number call screen, the day's journal and history, callbacks, activity."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.domain.calls import (
    CallerType,
    CallOutcome,
    format_duration,
    name_in_label,
)
from coordination.domain.errors import Conflict, NotFound, ValidationError, as_id, as_page
from coordination.domain.identity import born_word
from coordination.services import accounts, calls, pdf, persons
from coordination.web.access import allow
from coordination.web.context import db, local_zone
from coordination.web.forms import CallbackForm, CallForm, apply_errors
from directory import services as directory_services

bp = Blueprint("calls", __name__, url_prefix="/appels")


def _call_form() -> CallForm:
    form = CallForm()
    form.motives.choices = [(m.code, m.label) for m in calls.motives(db())]
    return form


def _chosen_services(ids: list[int]) -> list[Any]:
    return directory_services.get_services(db(), ids) if ids else []


@bp.route("/nouveau", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def new():  # type: ignore[no-untyped-def]
    form = _call_form()
    zone = local_zone()
    if request.method == "GET":
        form.received_at.data = utcnow().astimezone(zone).replace(tzinfo=None, second=0,
                                                                  microsecond=0)
        person_id = as_id(request.args.get("personne"))
        if person_id:  # a call about a known person (the link on their page)
            try:
                person = persons.get_person(db(), current_user, person_id, detail="appel")
            except NotFound:
                person = None
            if person is not None:
                form.person_id.data = str(person.id)
                form.person_label.data = (f"{person.display_name}, "
                                          f"{born_word(person.sex)} en {person.birth_date.year}")
    chosen_ids = [i for i in (form.service_ids.data or []) if isinstance(i, int)]
    found: list[Any] = []
    status = 200
    if request.method == "POST" and "chercher" in request.form:
        # Directory search without leaving the call (and without JavaScript): nothing saved.
        form.outcome.data = CallOutcome.ORIENTATION.value
        query = (form.service_query.data or "").strip()
        if query:
            found = [hit.service for hit in directory_services.search(
                db(), directory_services.SearchQuery(q=query, per_page=8)).items]
    elif form.validate_on_submit():
        data = form.call_data(zone)
        try:
            call = calls.log_call(db(), current_user, data, zone=zone, situation_follows=True)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if data["outcome"] == CallOutcome.SITUATION_OPENED.value:
                return _open_from(call)
            return redirect(url_for("calls.new", enregistre=call.id))
    if form.errors or form.form_errors:
        status = 422
    saved = None
    saved_id = as_id(request.args.get("enregistre"))
    if saved_id and request.method == "GET":
        try:
            saved = calls.get_call(db(), current_user, saved_id, detail="confirmation")
        except NotFound:
            saved = None
    chosen = _chosen_services(chosen_ids)
    form.service_ids.choices = [(s.id, s.name) for s in chosen] + [
        (s.id, s.name) for s in found if s.id not in chosen_ids]
    return render_template(
        "calls/new.html", form=form, saved=saved, chosen=chosen,
        found=[s for s in found if s.id not in chosen_ids],
        searched=request.method == "POST" and "chercher" in request.form,
        known_callers=calls.recent_caller_names(db(), current_user),
        partner_names=[o.name for o in accounts.list_organisations(db())],
        callbacks=calls.due_callbacks(db(), current_user, zone=zone),
        now=utcnow()), status


@bp.get("/appelants")
@allow(Role.COORDINATOR)
def known_callers():  # type: ignore[no-untyped-def]
    """For the call screen's script: callers already met, by the start of a name (`q`) or
    by phone number (`telephone`), so that it fills in the rest."""
    found = calls.known_callers(db(), current_user, request.args.get("q", "")[:100],
                                phone=request.args.get("telephone", "")[:40])
    zone = local_zone()
    return jsonify({"items": [{
        "name": k.name, "role": k.role, "organisation": k.organisation, "phone": k.phone,
        "type": k.caller_type, "calls": k.calls,
        "last_call": k.last_call_at.astimezone(zone).strftime("%d/%m/%Y")} for k in found]})


@bp.get("/services")
@allow(Role.COORDINATOR)
def directory_choices():  # type: ignore[no-untyped-def]
    """For the call screen's script: directory results as checkboxes to add in place."""
    query = request.args.get("q", "").strip()[:200]
    found = [hit.service for hit in directory_services.search(
        db(), directory_services.SearchQuery(q=query, per_page=8)).items] if query else []
    return render_template("calls/_service_choices.html", found=found, query=query)


@bp.get("/")
@allow(Role.COORDINATOR)
def journal():  # type: ignore[no-untyped-def]
    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    args = request.args.to_dict()
    if not any(args.get(k) for k in ("from", "to", "caller", "organisation", "outcome",
                                     "motive", "caller_type")):
        args["from"] = args["to"] = today.isoformat()
    errors: dict[str, list[str]] = {}
    try:
        filters = calls.parse_filters(args)
    except ValidationError as exc:
        errors = exc.fields
        filters = calls.CallFilters(date_from=today, date_to=today)
    result = calls.list_calls(db(), current_user, filters, page=as_page(args.get("page")),
                              zone=zone)
    return render_template("calls/journal.html", result=result, filters=filters, args=args,
                           errors=errors, today=today, labels=calls.FILTER_LABELS,
                           motive_labels=calls.motive_labels(db()),
                           motives=calls.motives(db(), active_only=False),
                           outcomes=list(CallOutcome), caller_types=list(CallerType),
                           callbacks=calls.due_callbacks(db(), current_user, zone=zone),
                           now=utcnow()), 422 if errors else 200


@bp.get("/export.csv")
@allow(Role.COORDINATOR)
def export():  # type: ignore[no-untyped-def]
    filters = calls.parse_filters(request.args)
    rows = calls.export_csv(db(), current_user, filters, zone=local_zone())
    name = f"appels-{filters.date_from or 'debut'}-{filters.date_to or date.today()}.csv"
    return Response(stream_with_context(rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/activite")
@allow(Role.COORDINATOR, Role.MANAGER)
def activity():  # type: ignore[no-untyped-def]
    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    errors: dict[str, list[str]] = {}
    try:
        filters = calls.parse_filters(request.args)
        date_from = filters.date_from or today - timedelta(days=29)
        date_to = filters.date_to or today
        figures = calls.counters(db(), current_user, date_from, date_to, zone=zone)
    except ValidationError as exc:
        errors = exc.fields
        figures = calls.counters(db(), current_user, today - timedelta(days=29), today,
                                 zone=zone)
    return render_template("calls/activity.html", figures=figures, errors=errors,
                           outcome=CallOutcome, labels=calls.FILTER_LABELS), \
        422 if errors else 200


@bp.get("/<int:call_id>")
@allow(Role.COORDINATOR)
def show(call_id: int):  # type: ignore[no-untyped-def]
    call = calls.get_call(db(), current_user, call_id, detail="page")
    return render_template("calls/show.html", call=call, callback_form=CallbackForm(),
                           motive_labels=calls.motive_labels(db()),
                           duration=format_duration(call.duration_seconds), now=utcnow())


@bp.post("/<int:call_id>/rappel")
@allow(Role.COORDINATOR)
def callback_done(call_id: int):  # type: ignore[no-untyped-def]
    call = calls.get_call(db(), current_user, call_id, detail="rappel")
    form = CallbackForm()
    if form.validate_on_submit():
        try:
            calls.complete_callback(db(), current_user, call, form.note.data)
        except (Conflict, ValidationError) as exc:
            flash(exc.message, "error")
        else:
            flash(f"Rappel de {call.caller_name} noté comme fait.", "success")
    back = request.form.get("retour")
    return redirect(back if back in {url_for("dashboard.home"), url_for("calls.journal")}
                    else url_for("calls.show", call_id=call.id))


@bp.post("/<int:call_id>/situation")
@allow(Role.COORDINATOR)
def open_situation(call_id: int):  # type: ignore[no-untyped-def]
    """One click: with the person known, the situation opens; otherwise the coordinator
    first identifies the person (search, duplicate check), the call carried along."""
    return _open_from(calls.get_call(db(), current_user, call_id,
                                     detail="ouverture de situation"))


def _open_from(call: Any):  # type: ignore[no-untyped-def]
    from coordination.services import situations

    situation = situations.open_from_call(db(), current_user, call)
    if situation is None:
        flash(f"Appel n° {call.id} enregistré. Identifiez la personne (ou créez-la) pour "
              "ouvrir la situation.", "success")
        return redirect(url_for("persons.search", appel=call.id,
                                q=name_in_label(call.person_label)))
    if situation.state != "draft":
        return redirect(url_for("situations.show", situation_id=situation.id))
    flash("Situation ouverte depuis l'appel : complétez la fiche de recueil.", "success")
    return redirect(url_for("situations.intake", situation_id=situation.id))


@bp.get("/<int:call_id>/orientation.pdf")
@allow(Role.COORDINATOR)
def orientation_sheet(call_id: int):  # type: ignore[no-untyped-def]
    call = calls.get_call(db(), current_user, call_id, detail="fiche d'orientation")
    if not call.orientations:
        raise NotFound("Aucun service n'a été proposé lors de cet appel.")
    document = pdf.orientation_sheet_pdf(call, [o.service for o in call.orientations],
                                         current_user.organisation.name, local_zone())
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="orientation-appel-{call.id}.pdf"'})
