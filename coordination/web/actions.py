"""Actions: "my organisation's actions" for partners, every open action for coordinators,
one action's page with its workflow, and creating an action from a situation's page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import Conflict, ValidationError, as_id, as_page
from coordination.services import actions, situations
from coordination.web.access import allow
from coordination.web.context import db, local_today
from coordination.workflows.action import (
    ACTION,
    BlockReason,
    CompletionOutcome,
    overdue,
)

bp = Blueprint("actions", __name__, url_prefix="/actions")
CARE = (Role.COORDINATOR, Role.PARTNER)
STATE_LABELS = {s.name: s.label for s in ACTION.states}


@bp.get("/")
@allow(*CARE)
def index():  # type: ignore[no-untyped-def]
    partner_only = not current_user.has_role(Role.COORDINATOR)
    scope = request.args.get("pour", "my_organisation" if partner_only else "")
    status = request.args.get("etat", "open_any")
    late = request.args.get("retard") == "1"
    try:
        result = actions.list_actions(
            db(), current_user, assigned_to=scope or None, status=status or None,
            overdue=True if late else None, today=local_today(),
            page=as_page(request.args.get("page")))
    except ValidationError:
        flash("Filtre inconnu : il a été ignoré.", "error")
        return redirect(url_for("actions.index"))
    return render_template("actions/index.html", result=result, scope=scope, status=status,
                           late=late, states=ACTION.states, labels=STATE_LABELS,
                           today=local_today(), overdue=overdue)


@bp.get("/<int:action_id>")
@allow(*CARE)
def show(action_id: int):  # type: ignore[no-untyped-def]
    return _page(actions.get_action(db(), current_user, action_id))


def _page(action, typed: dict[str, str] | None = None, event: str | None = None,  # type: ignore[no-untyped-def]
          error: str | None = None, status: int = 200):
    """The action's page; after a refusal, the form of `event` keeps what was typed."""
    return render_template(
        "actions/show.html", action=action, labels=STATE_LABELS,
        options=actions.event_options(current_user, action),
        block_reasons=list(BlockReason), outcomes=list(CompletionOutcome),
        late=overdue(action.due_on, action.state, local_today()),
        typed=typed or {}, typed_event=event, error=error), status


@bp.post("/<int:action_id>/<event>")
@allow(*CARE)
def fire(action_id: int, event: str):  # type: ignore[no-untyped-def]
    action = actions.get_action(db(), current_user, action_id)
    form = request.form
    try:
        actions.fire_event(db(), current_user, action, event, reason=form.get("reason"),
                           fields={k: form.get(k) for k in ("completion_note", "outcome",
                                                            "block_reason") if form.get(k)},
                           expected_version=as_id(form.get("version")))
    except (Conflict, ValidationError) as exc:
        message = exc.message if isinstance(exc, Conflict) else \
            " ".join(m for ms in exc.fields.values() for m in ms)
        # Shown again with what was typed (a completion note can be long).
        return _page(actions.get_action(db(), current_user, action_id),
                     {k: form.get(k, "") for k in ("completion_note", "outcome",
                                                     "block_reason", "reason")},
                     event, message, 409 if isinstance(exc, Conflict) else 422)
    flash(f"Action « {action.title} » : {STATE_LABELS[action.state].lower()}.", "success")
    return redirect(url_for("actions.show", action_id=action.id))


@bp.post("/situation/<int:situation_id>")
@allow(Role.COORDINATOR)
def create(situation_id: int):  # type: ignore[no-untyped-def]
    from coordination.web.situations import situation_page

    situation = situations.get_situation(db(), current_user, situation_id, detail="action")
    form = request.form
    typed = {k: form.get(k, "") for k in ("title", "type", "assignee_organisation_id",
                                          "due_on", "confirm")}
    try:
        action = actions.create_action(db(), current_user, situation, {
            "title": form.get("title"), "type": form.get("type"),
            "assignee_organisation_id": as_id(form.get("assignee_organisation_id")),
            "due_on": form.get("due_on"), "confirm_past_due": form.get("confirm") == "1"},
            today=local_today())
    except ValidationError as exc:
        return situation_page(situation, new_action=typed, new_action_errors=exc.fields,
                              status=422)
    except Conflict as exc:
        return situation_page(situation, new_action=typed, new_action_refusal=exc.message,
                              status=409)
    flash(f"Action confiée à {action.assignee_organisation.name}.", "success")
    return redirect(url_for("situations.show", situation_id=situation.id) + "#actions-suivi")



