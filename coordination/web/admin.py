"""Administration: organisations of the partnership, accounts, the audit trail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.errors import ValidationError
from coordination.services import accounts, audit, calls, logigrammes, mfa, situations
from coordination.web.access import allow
from coordination.web.context import db
from coordination.web.forms import (
    CallMotiveForm,
    ConfirmForm,
    OrganisationForm,
    UserForm,
    apply_errors,
)
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.diagram import workflow_svg
from coordination.workflows.intake import load_schema
from coordination.workflows.logigramme import describe_test

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/organisations", methods=["GET", "POST"])
@allow(Role.ADMIN)
def organisations():  # type: ignore[no-untyped-def]
    form = OrganisationForm()
    if form.validate_on_submit():
        health = {"yes": True, "no": False}.get(form.is_health_professional_team.data or "")
        try:
            created = accounts.create_organisation(
                db(), name=form.name.data or "", type=OrganisationType(form.type.data),
                is_health_professional_team=health, finess=(form.finess.data or None),
                agreement_signed_on=form.agreement_signed_on.data,
                agreement_ends_on=form.agreement_ends_on.data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(f"Organisation « {created.name} » créée.", "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if form.errors else 200
    return render_template("admin/organisations.html", form=form,
                           organisations=accounts.organisations_with_user_counts(db())), status


@bp.route("/utilisateurs", methods=["GET", "POST"])
@allow(Role.ADMIN)
def users():  # type: ignore[no-untyped-def]
    form = UserForm()
    organisations = accounts.list_organisations(db())
    form.organisation_id.choices = [(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        try:
            created = accounts.create_user(
                db(), email=form.email.data or "", full_name=form.full_name.data or "",
                organisation=accounts.find_organisation(db(), form.organisation_id.data),
                roles=[Role(value) for value in form.roles.data or []],
                password=form.password.data or "")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(f"Compte de {created.full_name} créé.", "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/users.html", form=form, users=accounts.list_users(db()),
                           toggle=ConfirmForm()), status


@bp.post("/utilisateurs/<int:user_id>/activation")
@allow(Role.ADMIN)
def toggle_user(user_id: int):  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    if form.validate_on_submit():
        user = accounts.get_user(db(), user_id)
        accounts.set_user_enabled(db(), current_user, user, bool(form.enabled.data))
        flash(f"Compte de {user.full_name} {'réactivé' if user.is_enabled else 'désactivé'}.",
              "success")
    return redirect(url_for("admin.users"))


@bp.post("/utilisateurs/<int:user_id>/totp")
@allow(Role.ADMIN)
def reset_totp(user_id: int):  # type: ignore[no-untyped-def]
    """A lost phone: remove the account's second factor (audited); it enrols again."""
    form = ConfirmForm()
    if form.validate_on_submit():
        user = accounts.get_user(db(), user_id)
        mfa.reset(db(), current_user, user)
        flash(f"Double authentification de {user.full_name} réinitialisée : la personne "
              "l'activera à nouveau à sa prochaine connexion.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit", methods=["GET", "POST"], endpoint="audit")
@allow(Role.ADMIN)
def audit_trail():  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    verification = None
    if form.validate_on_submit():
        verification = audit.verify_chain(db())
    return render_template("admin/audit.html", form=form, verification=verification,
                           events=audit.recent(db(), limit=200))


@bp.route("/logigramme", methods=["GET", "POST"])
@allow(Role.ADMIN)
def logigramme():  # type: ignore[no-untyped-def]
    """Draw the current tree and the workflow; publish a new version from YAML."""
    problems: list[str] = []
    source = ""
    if request.method == "POST":
        source = request.form.get("document", "")
        try:
            row = logigrammes.publish(db(), current_user, logigrammes.load_yaml(source))
        except ValidationError as exc:
            problems = [m for messages in exc.fields.values() for m in messages]
        else:
            flash(f"Logigramme {row.version} publié : il sert aux prochains tris.",
                  "success")
            return redirect(url_for("admin.logigramme"))
    current = logigrammes.current(db())
    # workflow_svg escapes every label it writes: the markup is ours.
    diagram = Markup(workflow_svg(COMPLEX_CASE))  # noqa: S704
    return render_template("admin/logigramme.html", current=current,
                           versions=logigrammes.history(db()), problems=problems,
                           source=source, workflow=COMPLEX_CASE,
                           mermaid=situations.ENGINE.mermaid(),
                           describe=lambda node: describe_test(
                               node, load_schema(current.intake_version)),
                           diagram=diagram), 422 if problems else 200


@bp.route("/motifs-appel", methods=["GET", "POST"])
@allow(Role.ADMIN)
def call_motives():  # type: ignore[no-untyped-def]
    form = CallMotiveForm()
    if form.validate_on_submit():
        try:
            motive = calls.add_motive(db(), current_user, form.code.data or "",
                                      form.label.data or "")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(f"Motif « {motive.label} » ajouté.", "success")
            return redirect(url_for("admin.call_motives"))
    return render_template("admin/call_motives.html", form=form, toggle=ConfirmForm(),
                           motives=calls.motives(db(), active_only=False)), \
        422 if form.errors else 200


@bp.post("/motifs-appel/<code>")
@allow(Role.ADMIN)
def toggle_call_motive(code: str):  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    if form.validate_on_submit():
        motive = calls.set_motive_active(db(), current_user, code, bool(form.enabled.data))
        flash(f"Motif « {motive.label} » " + ("proposé à nouveau." if motive.is_active
                                              else "retiré de l'écran d'appel."), "success")
    return redirect(url_for("admin.call_motives"))
