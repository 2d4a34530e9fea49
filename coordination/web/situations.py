"""Situations in the browser: list, page (state, allowed actions, triage path, history,
shares), the multi-section intake form, its PDF summary."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import Conflict, DomainError, ValidationError, as_id, as_page
from coordination.domain.ruptures import load_taxonomy
from coordination.models import Situation
from coordination.services import (
    accounts,
    actions,
    logigrammes,
    meetings,
    pdf,
    persons,
    ruptures,
    situations,
)
from coordination.services.pdf import intake_summary_pdf
from coordination.web import ACTION_STATE_LABELS, STATE_LABELS
from coordination.web.access import allow
from coordination.web.context import db, local_today, local_zone
from coordination.workflows.action import ActionType
from coordination.workflows.complex_case import COMPLEX_CASE, ClosureReason
from coordination.workflows.intake import IntakeField, IntakeSchema, load_schema
from directory import services as directory_services

bp = Blueprint("situations", __name__, url_prefix="/situations")
CARE = (Role.COORDINATOR, Role.PARTNER)


def _version() -> int | None:
    return as_id(request.form.get("version"))


@bp.get("/")
@allow(*CARE)
def index():  # type: ignore[no-untyped-def]
    state = request.args.get("etat") or None
    mine = request.args.get("referent") == "moi"
    shared_with = as_id(request.args.get("partage"))
    review_due = request.args.get("revue") == "1"
    name = (request.args.get("q") or "").strip() or None
    page = as_page(request.args.get("page"))
    try:
        result = situations.list_situations(db(), current_user, state=state,
                                            referent=current_user.id if mine else None,
                                            shared_with=shared_with, name=name,
                                            review_due=review_due, page=page)
    except ValidationError as exc:
        flash("Filtre impossible, ignoré : " + " ".join(
            m for ms in exc.fields.values() for m in ms), "error")
        return redirect(url_for("situations.index"))
    return render_template("situations/index.html", result=result, states=COMPLEX_CASE.states,
                           state=state, mine=mine, review_due=review_due, name=name,
                           shared_with=shared_with,
                           organisations=accounts.list_organisations(db())
                           if current_user.has_role(Role.COORDINATOR) else [])


@bp.post("/ouvrir/<int:person_id>")
@allow(Role.COORDINATOR)
def open_for_person(person_id: int):  # type: ignore[no-untyped-def]
    persons.get_person(db(), current_user, person_id, detail="ouverture de situation")  # 404
    requester = {key: request.form.get(f"requester_{key}", "").strip()
                 for key in situations.REQUESTER_FIELDS}
    situation = situations.open_situation(db(), current_user, person_id,
                                          {k: v for k, v in requester.items() if v},
                                          call_id=as_id(request.form.get("call_id")))
    flash("Situation ouverte : complétez la fiche de recueil.", "success")
    return redirect(url_for("situations.intake", situation_id=situation.id))


@bp.get("/<int:situation_id>")
@allow(*CARE)
def show(situation_id: int):  # type: ignore[no-untyped-def]
    return situation_page(situations.get_situation(db(), current_user, situation_id,
                                                   detail="page"))


def situation_page(situation: Situation, *, new_action: dict[str, str] | None = None,
                   new_action_errors: dict[str, list[str]] | None = None,
                   new_action_refusal: str | None = None,
                   triage_form: dict[str, str] | None = None,
                   triage_errors: dict[str, list[str]] | None = None,
                   status: int = 200):  # type: ignore[no-untyped-def]
    """The situation's page; after a refused "confide an action" or triage, its form keeps
    what was typed with the reasons (`new_action…`, `triage_…`)."""
    schema = load_schema(situation.intake_version)
    organisations = persons.sharing_options(db(), situation.person) \
        if current_user.has_role(Role.COORDINATOR) else []
    triage = situation.triages[-1] if situation.triages else None
    used = logigrammes.version(db(), triage.logigramme_version) if triage else None
    readable = situations.readable_intake(db(), current_user, situation)
    found_ruptures = ruptures.list_for_situation(db(), current_user, situation)
    is_triage = situation.state == "to_triage" and current_user.has_role(Role.COORDINATOR)
    return render_template(
        "situations/show.html", situation=situation, schema=schema, withheld=readable.withheld,
        triage_path=readable.triage_path(triage.path) if triage else [],
        state=COMPLEX_CASE.state(situation.state),
        options=situations.event_options(db(), current_user, situation),
        missing=situations.intake_missing(situation), triage=triage,
        outcomes=logigrammes.current(db()).outcomes if situation.state == "to_triage" else {},
        closure_reasons=list(ClosureReason), organisations=organisations,
        labels=_answer_labels(schema, readable.answers),
        outcome_labels={k: o.label for k, o in used.outcomes.items()} if used else {},
        show_value=lambda field, value: _show(schema, field, value),
        is_coordinator=current_user.has_role(Role.COORDINATOR),
        actions=actions.situation_actions(db(), current_user, situation),
        discussions=meetings.situation_discussions(db(), situation),
        next_discussion=meetings.next_discussion(db(), situation),
        next_meeting=meetings.next_meeting_for(db(), situation.referent.organisation_id)
        if situation.state == "awaiting_meeting" and situation.referent else None,
        health_details=readable.health_details,
        shares=situations.readable_shares(current_user, situation, readable.health_details),
        action_type_list=list(ActionType),
        ruptures=found_ruptures,
        rupture_details=ruptures.readable_details(current_user, found_ruptures,
                                              readable.health_details),
        taxonomy=load_taxonomy(), partner_organisations=accounts.list_organisations(db()),
        today=local_today(), new_action=new_action or {},
        new_action_errors=new_action_errors or {},
        new_action_refusal=new_action_refusal,
        proposed=situations.proposed_triage(db(), situation) if is_triage else None,
        triage_form=triage_form or {}, triage_errors=triage_errors or {}), status


@bp.route("/<int:situation_id>/fiche-de-recueil", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def intake(situation_id: int):  # type: ignore[no-untyped-def]
    situation = situations.get_situation(db(), current_user, situation_id, detail="recueil")
    schema = load_schema(situation.intake_version)
    section_ids = [s.id for s in schema.sections]
    section_id = request.args.get("section") or section_ids[0]
    if section_id not in section_ids:
        section_id = section_ids[0]
    section = next(s for s in schema.sections if s.id == section_id)
    answers = dict(situation.intake_answers)
    errors: dict[str, list[str]] = {}
    conflict, changed = None, []
    if request.method == "POST":
        typed, errors = _read_section(section.fields)
        answers.update(typed)
        if not errors:
            try:
                situations.save_intake(db(), current_user, situation, typed, _version())
            except ValidationError as exc:
                errors = exc.fields
            except Conflict as exc:
                conflict = exc.message
                # what the other person saved that differs from what this one typed: shown
                # side by side, so that saving again is a choice made knowingly
                saved = situation.intake_answers
                changed = [(spec.label, _show(schema, spec.id, saved.get(spec.id)),
                            _show(schema, spec.id, typed.get(spec.id)))
                           for spec in section.fields
                           if (saved.get(spec.id) or None) != (typed.get(spec.id) or None)]
            else:
                position = section_ids.index(section_id)
                if request.form.get("next") and position + 1 < len(section_ids):
                    flash("Section enregistrée.", "success")
                    return redirect(url_for("situations.intake", situation_id=situation.id,
                                            section=section_ids[position + 1]))
                flash("Fiche de recueil enregistrée." if not situations.intake_missing(situation)
                      else "Fiche de recueil enregistrée (brouillon).", "success")
                return redirect(url_for("situations.intake", situation_id=situation.id,
                                        section=section_id))
    status = 409 if conflict else (422 if errors else 200)
    return render_template("situations/intake.html", situation=situation, schema=schema,
                           section=section, answers=answers, errors=errors, conflict=conflict,
                           changed=changed, missing=situations.intake_missing(situation),
                           editable=situation.state in situations.INTAKE_EDITABLE,
                           state_label=COMPLEX_CASE.state(situation.state).label), status


def _read_section(fields: tuple[IntakeField, ...]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What the form holds for these fields, typed; unreadable entries named by field.
    Empty answers are kept as empty (a draft may clear a field)."""
    typed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in fields:
        if spec.type == "multichoice":
            typed[spec.id] = request.form.getlist(spec.id)
        elif spec.type == "boolean":
            raw = request.form.get(spec.id, "")
            typed[spec.id] = {"oui": True, "non": False}.get(raw)
        elif spec.type == "services":
            raw = request.form.get(spec.id, "")
            ids, problems = directory_services.service_ids_from_text(db(), raw)
            if problems:
                errors[spec.id] = problems
                typed[spec.id] = raw  # shown again as typed (nothing is saved)
            else:
                typed[spec.id] = ids
        elif spec.type == "integer":
            raw = request.form.get(spec.id, "").strip()
            if raw and not (raw.isascii() and raw.lstrip("-").isdigit()):
                errors[spec.id] = ["Nombre entier attendu."]
            typed[spec.id] = (int(raw) if spec.id not in errors else raw) if raw else None
        else:
            typed[spec.id] = request.form.get(spec.id, "")
    return typed, errors


def _show(schema: IntakeSchema, field: str, value: Any) -> str:
    """An answer as a person reads it: labels, not codes."""
    if value is None or value == "" or value == []:
        return "—"
    spec = schema.fields.get(field)
    if spec is None:  # a fact such as person.age
        return f"{value} ans" if field == "person.age" else str(value)
    choices = dict(spec.choices)
    if spec.type == "boolean":
        return "Oui" if value else "Non"
    if spec.type == "multichoice":
        return ", ".join(choices.get(v, v) for v in value)
    if spec.type == "choice":
        return choices.get(value, value)
    if spec.type == "services":
        named = {s.id: s.name for s in directory_services.get_services(db(), list(value))}
        return ", ".join(f"{named[v]} (n° {v})" if v in named else f"n° {v}" for v in value)
    return str(value)


def _answer_labels(schema: IntakeSchema, answers: dict[str, Any]) -> dict[str, str]:
    return {field: _show(schema, field, answers[field]) for field in schema.fields
            if answers.get(field) not in (None, "", [])}


@bp.get("/<int:situation_id>/fiche-de-recueil.pdf")
@allow(Role.COORDINATOR)
def intake_pdf(situation_id: int):  # type: ignore[no-untyped-def]
    situation = situations.get_situation(db(), current_user, situation_id, detail="pdf")
    schema = load_schema(situation.intake_version)
    triage = situation.triages[-1] if situation.triages else None
    used = logigrammes.version(db(), triage.logigramme_version) if triage else None
    document = intake_summary_pdf(situation, schema,
                                  _answer_labels(schema, situation.intake_answers),
                                  {k: o.label for k, o in used.outcomes.items()} if used else None)
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="fiche-de-recueil-{situation.id}.pdf"'})


@bp.get("/<int:situation_id>/synthese.pdf")
@allow(*CARE)
def synthesis_pdf(situation_id: int):  # type: ignore[no-untyped-def]
    """Partners get it too, with the actions and ruptures they may see."""
    situation = situations.get_situation(db(), current_user, situation_id, detail="synthèse")
    schema = load_schema(situation.intake_version)
    triage = situation.triages[-1] if situation.triages else None
    used = logigrammes.version(db(), triage.logigramme_version) if triage else None
    domains = schema.fields.get("domains")
    labels = {
        "state": STATE_LABELS, "action_state": ACTION_STATE_LABELS,
        "action_type": {t.value: t.label for t in ActionType},
        "rupture_type": {e.code: e.label for e in load_taxonomy().entries("types")},
        "outcome": {k: o.label for k, o in used.outcomes.items()} if used else {},
        "domain": dict(domains.choices) if domains and domains.choices else {},
    }
    found_ruptures = ruptures.list_for_situation(db(), current_user, situation)
    readable = situations.readable_intake(db(), current_user, situation)
    document = pdf.situation_synthesis_pdf(
        situation, readable, actions.situation_actions(db(), current_user, situation),
        meetings.situation_discussions(db(), situation), found_ruptures,
        ruptures.readable_details(current_user, found_ruptures, readable.health_details),
        labels, local_zone(),
        situations.readable_shares(current_user, situation, readable.health_details))
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="synthese-situation-{situation.id}.pdf"'})


@bp.post("/<int:situation_id>/logigramme")
@allow(Role.COORDINATOR)
def triage(situation_id: int):  # type: ignore[no-untyped-def]
    situation = situations.get_situation(db(), current_user, situation_id)
    override = request.form.get("override") or None
    try:
        result = situations.run_triage(db(), current_user, situation, override=override,
                                       reason=request.form.get("reason"),
                                       expected_version=_version())
    except ValidationError as exc:  # the form again, as chosen, the reason by its field
        return situation_page(situation, triage_form={
            "override": override or "", "reason": request.form.get("reason", "")},
            triage_errors=exc.fields, status=422)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(f"Logigramme passé : {result.final_outcome.label}"
              + (f" (au lieu de « {result.decision.outcome.label} »)"
                 if result.final_outcome.id != result.decision.outcome.id else "") + ".",
              "success")
    return redirect(url_for("situations.show", situation_id=situation_id))


@bp.post("/<int:situation_id>/evenements/<event>")
@allow(*CARE)
def fire(situation_id: int, event: str):  # type: ignore[no-untyped-def]
    situation = situations.get_situation(db(), current_user, situation_id)
    fields: dict[str, Any] = {}
    if request.form.get("closure_reason"):
        fields["closure_reason"] = request.form["closure_reason"]
    if request.form.get("cancel_open_actions"):
        fields["cancel_open_actions"] = True
    try:
        situations.fire_event(db(), current_user, situation, event,
                              reason=request.form.get("reason"), fields=fields,
                              expected_version=_version())
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(f"{COMPLEX_CASE.event_label(event)} : la situation est maintenant « "
              f"{COMPLEX_CASE.state(situation.state).label} ».", "success")
    return redirect(url_for("situations.show", situation_id=situation_id))


@bp.post("/<int:situation_id>/partages")
@allow(Role.COORDINATOR)
def share(situation_id: int):  # type: ignore[no-untyped-def]
    situation = situations.get_situation(db(), current_user, situation_id)
    organisation_id = as_id(request.form.get("organisation_id"))
    try:
        created = situations.share_situation(db(), current_user, situation, organisation_id)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(f"Situation partagée avec {created.organisation.name}.", "success")
    return redirect(url_for("situations.show", situation_id=situation_id) + "#partages")


FORM_LABELS = {"reason": "Motif", "override": "Issue", "organisation_id": "Organisation",
               "closure_reason": "Motif de clôture"}


def _flash_error(exc: DomainError) -> None:
    if isinstance(exc, ValidationError):
        fields = load_schema().fields
        for name, messages in exc.fields.items():
            label = FORM_LABELS.get(name) or (fields[name].label if name in fields else name)
            for message in messages:
                flash(f"{label} : {message}", "error")
    else:
        flash(exc.message, "error")
