"""Partner meetings: the list, programming series and ad hoc meetings, the agenda, the
meeting screen (projector + laptop), minutes and PDFs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.domain.errors import Conflict, NotFound, ValidationError, as_id
from coordination.domain.meetings import HolidayPolicy, parse_recurrence, recurrence_label
from coordination.models import Meeting, MeetingStatus
from coordination.services import accounts, actions, meetings, pdf, persons, situations
from coordination.web.access import allow
from coordination.web.context import db, local_today, local_zone
from coordination.workflows.action import ActionType
from coordination.workflows.complex_case import COMPLEX_CASE
from directory import services as directory_services

bp = Blueprint("meetings", __name__, url_prefix="/reunions")
CARE = (Role.COORDINATOR, Role.PARTNER)
ACTION_ROWS = 3  # blank action lines under each item on the meeting screen


@bp.get("/")
@allow(*CARE)
def index():  # type: ignore[no-untyped-def]
    return render_template(
        "meetings/index.html",
        upcoming=meetings.list_meetings(db(), current_user, upcoming=True),
        past=meetings.list_meetings(db(), current_user, upcoming=False, limit=30),
        series=[(s, recurrence_label(parse_recurrence(s.recurrence)))
                for s in meetings.series_of(db(), current_user)])


@bp.route("/programmer", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def plan():  # type: ignore[no-untyped-def]
    """Two forms on one page: a series (recurrence) or one ad hoc meeting."""
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        invited = [as_id(v) for v in form.getlist("invited_organisation_ids")]
        try:
            if form.get("kind") == "series":
                series = meetings.create_series(db(), current_user, {
                    "name": form.get("name", ""), "place": form.get("place", ""),
                    "video_link": form.get("video_link", ""),
                    "invited_organisation_ids": [i for i in invited if i],
                    "recurrence": {
                        "weekday": form.get("weekday", ""),
                        "positions": ",".join(form.getlist("positions")),
                        "time": form.get("time", ""),
                        "duration_minutes": form.get("duration_minutes", ""),
                        "holiday_policy": form.get("holiday_policy", ""),
                        "agenda_cap": form.get("agenda_cap", ""),
                        "freeze_days_before": form.get("freeze_days_before", "")}})
                flash(f"Série « {series.name} » créée : ses réunions des dix prochaines "
                      "semaines sont programmées.", "success")
            else:
                meeting = meetings.create_meeting(db(), current_user, {
                    "title": form.get("title", ""), "starts_at": form.get("starts_at", ""),
                    "duration_minutes": form.get("duration_minutes", "120"),
                    "agenda_cap": form.get("agenda_cap", "12"),
                    "place": form.get("place", ""), "video_link": form.get("video_link", ""),
                    "invited_organisation_ids": [i for i in invited if i]}, local_zone())
                flash("Réunion programmée.", "success")
                return redirect(url_for("meetings.show", meeting_id=meeting.id))
        except ValidationError as exc:
            errors = exc.fields
        else:
            return redirect(url_for("meetings.index"))
    return render_template("meetings/plan.html", errors=errors, form=form,
                           organisations=accounts.list_organisations(db()),
                           policies=list(HolidayPolicy)), 422 if errors else 200


def _page(meeting: Meeting, template: str, status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    view = meetings.agenda_view(db(), current_user, meeting)
    return render_template(
        template, meeting=meeting, items=view.items, view=view,
        can_run=meetings.can_run(current_user, meeting), status_enum=MeetingStatus,
        zone=local_zone(), **extra), status


@bp.get("/<int:meeting_id>")
@allow(*CARE)
def show(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    return _page(meeting, "meetings/show.html")


@bp.post("/<int:meeting_id>/ordre-du-jour/<operation>")
@allow(Role.COORDINATOR)
def agenda(meeting_id: int, operation: str):  # type: ignore[no-untyped-def]
    """Build, freeze, add, move, remove: each one service call, then back to the agenda."""
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    form = request.form
    try:
        if operation == "construire":
            plan = meetings.build_agenda(db(), current_user, meeting, local_zone())
            flash(f"Ordre du jour construit : {len(plan.items)} situation(s)."
                  + (" " + " ".join(plan.notices) if plan.notices else ""), "success")
        elif operation == "arreter":
            meetings.freeze_agenda(db(), current_user, meeting, local_zone())
            flash("Ordre du jour arrêté ; les partenaires invités sont prévenus.", "success")
        elif operation == "ajouter":
            meetings.add_item(db(), current_user, meeting,
                              as_id(form.get("situation_id", "").lstrip("n° ")),
                              form.get("note"))
            flash("Situation ajoutée à l'ordre du jour.", "success")
        elif operation in ("monter", "descendre"):
            meetings.move_item(db(), current_user, meeting, as_id(form.get("item_id")),
                               direction="up" if operation == "monter" else "down")
        elif operation == "retirer":
            meetings.remove_item(db(), current_user, meeting, as_id(form.get("item_id")))
            flash("Situation retirée de l'ordre du jour.", "success")
        elif operation == "annuler":
            meetings.cancel_meeting(db(), current_user, meeting, form.get("reason"))
            flash("Réunion annulée.", "success")
        else:
            flash("Opération inconnue.", "error")
    except (ValidationError, Conflict) as exc:
        fields = exc.fields if isinstance(exc, ValidationError) else {}
        flash(" ".join(m for messages in fields.values() for m in messages) or exc.message,
              "error")
        if operation == "ajouter":  # the addition comes back as typed
            return redirect(url_for("meetings.show", meeting_id=meeting.id,
                                    ajout=form.get("situation_id", "")[:20],
                                    pourquoi=form.get("note", "")[:500]) + "#ordre-du-jour")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#ordre-du-jour")


@bp.route("/<int:meeting_id>/seance", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def session_screen(meeting_id: int):  # type: ignore[no-untyped-def]
    """The meeting itself: attendance, then item by item notes, decision, actions."""
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    if not meetings.can_run(current_user, meeting):
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    if not meeting.status.accepts_decisions:  # held: its decisions are on the meeting page
        flash(f"Réunion « {meeting.status.label} » : la séance est terminée, ses décisions "
              "se lisent ci-dessous.", "info")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    typed: dict[int, Any] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    conflicts: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        if form.get("part") == "presence":
            rows = [(o.id, form.get(f"present-{o.id}") == "1",
                     form.get(f"attendees-{o.id}")) for o in _table(meeting)]
            try:
                meetings.record_attendance(db(), current_user, meeting, rows)
                flash("Présences enregistrées.", "success")
            except (ValidationError, Conflict) as exc:
                flash(exc.message, "error")
            return redirect(url_for("meetings.session_screen", meeting_id=meeting.id))
        item_id = as_id(form.get("item_id")) or 0
        data = _decision_form(form)
        try:
            result = meetings.record_decision(db(), current_user, meeting, item_id, data,
                                              zone=local_zone(), today=local_today())
        except ValidationError as exc:
            typed[item_id], errors[item_id], status = form, exc.fields, 422
        except Conflict as exc:
            typed[item_id], conflicts[item_id], status = form, exc.message, 409
        else:
            flash(f"Décision enregistrée pour la situation n° {result.item.situation_id}"
                  + (f", {len(result.actions)} action(s) confiée(s)" if result.actions else "")
                  + ".", "success")
            return redirect(url_for("meetings.session_screen", meeting_id=meeting.id)
                            + f"#point-{item_id}")
    items = meetings.agenda_view(db(), current_user, meeting).items
    # (the meeting's own decision is the default choice, not listed twice; closing and
    # ruptures have their own forms on the situation's page)
    options = {i.id: [o for o in situations.event_options(db(), current_user, i.situation)
                      if o.allowed and o.event not in ("close", "declare_rupture",
                                                       "resolve_rupture", "meeting_decision")]
               for i in items}
    partners = accounts.list_organisations(db())
    return render_template(
        "meetings/session.html", meeting=meeting, items=items, typed=typed, errors=errors,
        conflicts=conflicts, options=options, table=_table(meeting),
        attendance={a.organisation_id: a for a in meeting.attendance},
        partners=partners, action_types=list(ActionType),
        rows=range(ACTION_ROWS), states=COMPLEX_CASE, zone=local_zone(),
        open_actions={i.id: actions.situation_actions(db(), current_user, i.situation)
                      for i in items},
        # who may receive an action for this person (consent rules), said before choosing
        sharing={i.id: {o.id: d for o, d in persons.sharing_options(
            db(), i.situation.person, partners)} for i in items},
        default_review=(local_today() + timedelta(days=28)).isoformat(),
        started=meeting.starts_at <= utcnow(), today=local_today()), status


def _table(meeting: Meeting) -> list[Any]:
    """Who sits at the table: the host and the invited organisations."""
    host = accounts.find_organisation(db(), meeting.organisation_id)
    return [host, *[o for o in meeting.invited if o.id != host.id]]


def _decision_form(form: Any) -> dict[str, Any]:
    rows = []
    for n in range(ACTION_ROWS):
        title = form.get(f"action-{n}-title", "").strip()
        organisation = form.get(f"action-{n}-organisation", "")
        due = form.get(f"action-{n}-due_on", "")
        if not (title or organisation or due):
            continue  # a blank line is not an action
        rows.append({"title": title, "type": form.get(f"action-{n}-type") or "other",
                     "assignee_organisation_id": as_id(organisation), "due_on": due,
                     "confirm_past_due": form.get(f"action-{n}-confirm") == "1"})
    return {"notes": form.get("notes", ""), "decision": form.get("decision", ""),
            "event": form.get("event") or None, "next_review_on": form.get("next_review_on"),
            "actions": rows}


@bp.post("/<int:meeting_id>/cloture")
@allow(Role.COORDINATOR)
def close(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    try:
        if request.form.get("publish"):
            meetings.publish_minutes(db(), current_user, meeting, zone=local_zone())
            flash("Compte rendu publié : les partenaires invités sont prévenus.", "success")
        else:
            meetings.close_meeting(db(), current_user, meeting, request.form.get("general_notes"))
            flash("Réunion close. Relisez le compte rendu puis publiez-le.", "success")
    except (Conflict, ValidationError) as exc:
        flash(exc.message, "error")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.get("/<int:meeting_id>/ordre-du-jour.pdf")
@allow(*CARE)
def agenda_pdf(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    pseudonymised = request.args.get("pseudonymise") == "1"
    view = meetings.agenda_view(db(), current_user, meeting)
    document = pdf.agenda_pdf(meeting, view, pseudonymised, local_zone(),
                              directory_services.commune_names(
                                  db(), [i.situation.person.commune_insee for i in view.items]))
    name = f"ordre-du-jour-{meeting.id}{'-pseudonymise' if pseudonymised else ''}.pdf"
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/<int:meeting_id>/compte-rendu.pdf")
@allow(*CARE)
def minutes_pdf(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = meetings.get_meeting(db(), current_user, meeting_id)
    if not meetings.can_run(current_user, meeting) \
            and meeting.status is not MeetingStatus.MINUTES_PUBLISHED:
        raise NotFound("Le compte rendu n'est pas encore publié.")
    document = pdf.minutes_pdf(meeting, meetings.agenda_view(db(), current_user, meeting),
                               current_user.organisation_id, local_zone(),
                               draft=meeting.status is not MeetingStatus.MINUTES_PUBLISHED)
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="compte-rendu-{meeting.id}.pdf"'})

