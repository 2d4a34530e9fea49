"""Persons (usagers): search, create with duplicate check, identity page, consents, merge."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.calls import name_in_label
from coordination.domain.errors import Conflict, NotFound, ValidationError, as_id, as_page
from coordination.domain.identity import Sex, guess_names
from coordination.services import calls, persons, policy, retention
from coordination.services.persons import DuplicatePerson
from coordination.web.access import allow
from coordination.web.audit_words import told, told_actor
from coordination.web.context import db
from coordination.web.forms import (
    ConfirmForm,
    ConsentForm,
    MergeForm,
    PersonForm,
    RevokeForm,
    apply_errors,
)
from directory import services as directory_services

bp = Blueprint("persons", __name__, url_prefix="/personnes")
SEX_LABELS = {sex.value: sex.label for sex in Sex}
READERS = (Role.COORDINATOR, Role.ADMIN)


@bp.get("/")
@allow(*READERS)
def search():  # type: ignore[no-untyped-def]
    text = request.args.get("q", "").strip()
    born_raw = request.args.get("naissance", "").strip()
    born, error = None, None
    if born_raw:
        try:
            born = date.fromisoformat(born_raw)
        except ValueError:
            error = "Date de naissance invalide."
    page = as_page(request.args.get("page"))
    result = persons.search_persons(db(), current_user, text, born, page, 50) \
        if (text or born) and not error else None
    names = directory_services.commune_names(
        db(), [p.commune_insee for p in result.items]) if result else {}
    return render_template("persons/search.html", q=text, born=born_raw, error=error,
                           result=result, from_call=_from_call(),
                           commune_names=names), 422 if error else 200


def _from_call():  # type: ignore[no-untyped-def]
    """The call a coordinator is opening a situation from (`?appel=`), carried from the
    person search to the person's page; None when absent or not theirs."""
    call_id = as_id(request.args.get("appel"))
    if call_id is None or not current_user.has_role(Role.COORDINATOR):
        return None
    try:
        return calls.get_call(db(), current_user, call_id)
    except NotFound:
        return None


@bp.route("/nouvelle", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def create():  # type: ignore[no-untyped-def]
    form = PersonForm()
    if request.method == "GET":  # what the search or the call already said, to check
        from_call = _from_call()
        said = request.args.get("q") or (name_in_label(from_call.person_label)
                                         if from_call else None)
        form.birth_name.data, form.birth_first_names.data = guess_names(said)
    candidates = None
    if form.validate_on_submit():
        try:
            person = persons.create_person(db(), current_user, form.person_data(),
                                           force=bool(form.force.data),
                                           force_reason=form.force_reason.data)
        except DuplicatePerson as exc:
            candidates = exc.details["candidates"]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(f"Personne {person.display_name} enregistrée.", "success")
            return redirect(url_for("persons.show", person_id=person.id,
                                    appel=as_id(request.args.get("appel"))))
    status = 409 if candidates else (422 if form.errors else 200)
    return render_template("persons/form.html", form=form, candidates=candidates,
                           comparison=_comparison(form, candidates) if candidates else [],
                           person=None, sex_labels=SEX_LABELS), status


def _comparison(form: PersonForm, candidates: list[dict[str, Any]]) -> list[Any]:
    typed = {key: getattr(form, key).data for key, _ in persons.COMPARED_TRAITS}
    if typed["birth_date"]:
        typed["birth_date"] = typed["birth_date"].isoformat()
    return persons.compare_with_candidates(db(), typed, candidates)


@bp.get("/<int:person_id>")
@allow(*READERS)
def show(person_id: int):  # type: ignore[no-untyped-def]
    overview = persons.person_overview(db(), current_user, person_id,
                                       with_duplicates=request.args.get("doublons") == "1")
    if overview.person.id != person_id:
        flash(f"La fiche n° {person_id} a été fusionnée dans celle-ci.", "info")
        return redirect(url_for("persons.show", person_id=overview.person.id))
    consent_forms = {}
    for kind in ("information", "opposition", "consent"):
        form = ConsentForm(prefix=kind, kind=kind)
        form.organisation_id.choices = [(None, "—")] + [
            (o.id, o.name) for o in persons.non_health_organisations(db())]
        consent_forms[kind] = form
    return render_template("persons/show.html", overview=overview, person=overview.person,
                           consent_forms=consent_forms, revoke=RevokeForm(),
                           from_call=_from_call(),
                           calls=calls.person_calls(db(), current_user, overview.person),
                           commune_names=overview.commune_names,
                           situations=overview.situations,
                           can_edit=policy.reads_care_around_person(current_user))


@bp.route("/<int:person_id>/modifier", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def edit(person_id: int):  # type: ignore[no-untyped-def]
    person = persons.get_person(db(), current_user, person_id, follow_merge=False,
                                detail="modification")
    form = PersonForm(obj=person if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(person.version)
    if form.validate_on_submit():
        try:
            persons.update_person(db(), current_user, person, form.person_data(),
                                  as_id(form.version.data))
        except ValidationError as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
        else:
            flash("Identité mise à jour.", "success")
            return redirect(url_for("persons.show", person_id=person.id))
    status = 409 if form.form_errors else (422 if form.errors else 200)
    return render_template("persons/form.html", form=form, candidates=None,
                           person=person), status


@bp.post("/<int:person_id>/consentements")
@allow(Role.COORDINATOR)
def add_consent(person_id: int):  # type: ignore[no-untyped-def]
    kind = request.form.get("kind_prefix", "")
    form = ConsentForm(prefix=kind)
    form.organisation_id.choices = [(None, "—")] + [
        (o.id, o.name) for o in persons.non_health_organisations(db())]
    if form.validate_on_submit():
        person = persons.get_person(db(), current_user, person_id, follow_merge=False)
        try:
            persons.record_consent(db(), current_user, person, form.consent_data())
        except ValidationError as exc:
            for name, messages in exc.fields.items():
                label = form[name].label.text if name in form else name
                for message in messages:
                    flash(f"{label} : {message}", "error")
        else:
            flash("Enregistré.", "success")
    else:
        flash("Formulaire incomplet : " + "; ".join(
            f"{form[name].label.text if name in form and name != 'kind' else 'Type'} : {m}"
            for name, messages in form.errors.items() for m in messages), "error")
    # The call a situation is being opened from stays with the page.
    return redirect(url_for("persons.show", person_id=person_id,
                            appel=as_id(request.args.get("appel"))) + "#partage")


@bp.post("/<int:person_id>/consentements/<int:record_id>/revocation")
@allow(Role.COORDINATOR)
def revoke_consent(person_id: int, record_id: int):  # type: ignore[no-untyped-def]
    form = RevokeForm()
    if form.validate_on_submit():
        person = persons.get_person(db(), current_user, person_id, follow_merge=False)
        try:
            persons.revoke_consent(db(), current_user, person, record_id, form.reason.data)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash("Révocation enregistrée.", "success")
    return redirect(url_for("persons.show", person_id=person_id) + "#partage")


@bp.route("/<int:person_id>/fusion/<int:other_id>", methods=["GET", "POST"])
@allow(*READERS)
def merge(person_id: int, other_id: int):  # type: ignore[no-untyped-def]
    preview = persons.merge_preview(db(), current_user, person_id, other_id)
    form = MergeForm()
    form.survivor_id.choices = [(p.id, f"Fiche n° {p.id}")
                                for p in (preview.first, preview.second)]
    error = None
    if form.validate_on_submit():
        survivor = form.survivor_id.data
        merged = other_id if survivor == person_id else person_id
        try:
            persons.merge_persons(db(), current_user, survivor, merged, form.reason.data)
        except (Conflict, ValidationError) as exc:
            error = exc.message
        else:
            flash(f"Fiche n° {merged} fusionnée dans la fiche n° {survivor}.", "success")
            return redirect(url_for("persons.show", person_id=survivor))
    status = 409 if error else (422 if form.errors else 200)
    return render_template("persons/merge.html", preview=preview, form=form,
                           error=error), status


@bp.get("/fusions")
@allow(Role.ADMIN)
def merges():  # type: ignore[no-untyped-def]
    return render_template("persons/merges.html", merges=persons.list_merges(db(), current_user),
                           form=ConfirmForm())


@bp.post("/fusions/<int:merge_id>/annulation")
@allow(Role.ADMIN)
def undo_merge(merge_id: int):  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            record = persons.undo_merge(db(), current_user, merge_id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(f"Fusion annulée : la fiche n° {record.merged_id} est rétablie.", "success")
    return redirect(url_for("persons.merges"))


def _told_history(person_id: int) -> list[tuple[Any, str, Any]]:
    """The person's access history, each entry told in French (web.audit_words):
    (when, who, what). The page and the CSV read the same list."""
    return [(e.occurred_at, told_actor(e.actor),
             told(e.action, e.object_type, e.object_id, e.changed_fields, e.detail))
            for e in retention.person_access_history(db(), current_user, person_id)]


@bp.get("/<int:person_id>/historique-acces")
@allow(Role.COORDINATOR)
def access_history(person_id: int):  # type: ignore[no-untyped-def]
    """Who read or changed what about this person: for their access request (RGPD art.
    15). The referent coordinator only; the consultation itself is recorded."""
    return render_template("persons/access_history.html", person_id=person_id,
                           entries=_told_history(person_id))


@bp.get("/<int:person_id>/historique-acces.csv")
@allow(Role.COORDINATOR)
def access_history_csv(person_id: int):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["date (UTC)", "compte", "opération", "objet", "champs", "précision"])
    for when, who, entry in _told_history(person_id):
        writer.writerow([when.isoformat(timespec="seconds"), _csv_safe(who), entry.operation,
                         entry.object, entry.fields, _csv_safe(entry.detail)])
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="historique-acces-{person_id}.csv"'})


def _csv_safe(value: str) -> str:
    """No spreadsheet formula from a stored text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
