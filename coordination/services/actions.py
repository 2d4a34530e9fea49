"""Actions decided for a situation and carried out by partners: create (sharing the
situation with the assignee under the consent rules), move through their workflow, list.

A partner sees and moves the actions assigned to their organisation, on situations they
may see; coordinators all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, select
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.domain.errors import (
    Conflict,
    NotFound,
    ValidationError,
    check_version,
    is_id,
)
from coordination.models import Action, ActionTransition, Organisation, Situation, User
from coordination.services import audit, notifications, persons, policy, situations
from coordination.services.pagination import Page, paginate
from coordination.workflows.action import (
    ACTION,
    FINAL_STATES,
    OPEN_STATES,
    ActionType,
    overdue,
)
from coordination.workflows.definition import GuardContext
from coordination.workflows.engine import EventOption, WorkflowEngine

ENGINE = WorkflowEngine(ACTION)
MAX_TITLE = 300


def notice_reference(action: Action) -> str:
    """How a notification names an action: its kind and numbers, never its title (free
    text that may name the person) — a notification outlives the share it was sent under."""
    try:
        kind = ActionType(action.type).label
    except ValueError:
        kind = "Action"
    return f"{kind} (action n° {action.id}, situation n° {action.situation_id})"


# Built once: the guard of every closing asks it (building the statement cost more than
# running it on the index).
_COUNT_OPEN = select(func.count()).select_from(Action).where(
    Action.situation_id == bindparam("situation_id"), Action.state.in_(OPEN_STATES))


def _open_actions(session: Session, situation: Situation) -> int:
    return session.scalar(_COUNT_OPEN, {"situation_id": situation.id}) or 0


def _cancel_on_close(session: Session, situation: Situation, event: str,
                     fields: Mapping[str, Any]) -> None:
    """Closing a situation with `cancel_open_actions` cancels them in the same transaction."""
    if event != "close" or not fields.get("cancel_open_actions"):
        return
    for action in session.scalars(select(Action).where(Action.situation_id == situation.id,
                                                       Action.state.in_(OPEN_STATES))):
        session.add(ActionTransition(action_id=action.id, event="cancel",
                                     from_state=action.state, to_state="cancelled",
                                     reason="Situation clôturée", occurred_at=utcnow()))
        action.state, action.closed_at = "cancelled", utcnow()
        audit.record(session, "transition", "actions", action.id,
                     detail=f"cancel: -> cancelled (situation {situation.id} clôturée)")


situations.OPEN_ACTIONS.append(_open_actions)
situations.EVENT_EFFECTS.append(_cancel_on_close)


# --- access --------------------------------------------------------------------------------

def visibility_clause(user: User, situation_id: Any = None) -> ColumnElement[bool]:
    """Coordinators: the actions of the situations they see. Partners: those assigned to
    their organisation, on situations they may still see (consent, share).
    `situation_id`: the one situation the caller reads actions of (see
    `policy.situation_visibility_clause`'s `among`)."""
    if not user.has_role(Role.COORDINATOR, Role.PARTNER):
        return false()
    visible = Action.situation_id.in_(policy.visible_situation_ids(user, among=situation_id))
    if user.has_role(Role.COORDINATOR):
        return visible
    return and_(Action.assignee_organisation_id == user.organisation_id, visible)


def may_see(session: Session, user: User, action: Action) -> bool:
    return session.scalar(select(Action.id).where(
        Action.id == action.id,
        visibility_clause(user, action.situation_id))) is not None


def recipients(session: Session, action: Action) -> list[User]:
    """Who hears about an action: the assignee organisation's people (or the one person
    named), among those who may still see it."""
    return [u for u in notifications.organisation_members(session,
                                                          action.assignee_organisation_id)
            if action.assignee_user_id in (None, u.id) and may_see(session, u, action)]


def get_action(session: Session, actor: User, action_id: int) -> Action:
    action = session.scalar(select(Action).where(Action.id == action_id, visibility_clause(
        actor, select(Action.situation_id).where(Action.id == action_id).scalar_subquery())))
    if action is None:
        raise NotFound("Action introuvable.")
    audit.record_read(session, action)
    return action


# --- creating ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionDraft:
    """A checked action, not yet written: a decision checks all its actions first."""

    title: str
    type: ActionType
    organisation: Organisation
    assignee_user_id: int | None
    due_on: date | None


def check_action(session: Session, situation: Situation, data: Mapping[str, Any], *,
                 today: date, prefix: str = "") -> ActionDraft:
    """Everything an action needs, or a 422 naming each field (prefixed for a decision's
    n-th action), or a 409 when the consent rules forbid sharing with the assignee."""
    errors: dict[str, list[str]] = {}
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        errors[prefix + "title"] = ["Intitulé obligatoire."]
    elif len(title) > MAX_TITLE:
        errors[prefix + "title"] = [f"{MAX_TITLE} caractères au plus."]
    kind = data.get("type") or ActionType.OTHER.value
    if not isinstance(kind, str) or kind not in {t.value for t in ActionType}:
        errors[prefix + "type"] = ["Type inconnu. Valeurs : "
                                   + ", ".join(t.value for t in ActionType) + "."]
    raw_org = data.get("assignee_organisation_id")
    organisation = session.get(Organisation, raw_org) if is_id(raw_org) else None
    if organisation is None:
        errors[prefix + "assignee_organisation_id"] = ["Organisation partenaire à choisir."]
    raw_user = data.get("assignee_user_id")
    user_id = None
    if raw_user not in (None, ""):
        user = session.get(User, raw_user) if is_id(raw_user) else None
        if user is None or organisation is None or user.organisation_id != organisation.id:
            errors[prefix + "assignee_user_id"] = ["Personne inconnue dans cette organisation."]
        else:
            user_id = user.id
    due_on = data.get("due_on")
    if isinstance(due_on, str) and due_on.strip():
        try:
            due_on = date.fromisoformat(due_on.strip())
        except ValueError:
            errors[prefix + "due_on"] = ["Date attendue (AAAA-MM-JJ)."]
            due_on = None
    elif due_on in (None, ""):
        due_on = None
    elif not isinstance(due_on, date):
        errors[prefix + "due_on"] = ["Date attendue (AAAA-MM-JJ)."]
        due_on = None
    if isinstance(due_on, date) and due_on < today and not data.get("confirm_past_due"):
        # (the form offers a box to tick; the API's field is confirm_past_due)
        errors[prefix + "due_on"] = ["Échéance déjà passée : confirmez-la si c'est voulu."]
    if errors:
        raise ValidationError(errors)
    assert organisation is not None
    decision = persons.may_share_with(session, situation.person, organisation)
    if not decision.allowed:
        raise Conflict(f"Action impossible à confier à {organisation.name} : {decision.reason}",
                       {"field": prefix + "assignee_organisation_id",
                        "organisation_id": organisation.id, "reason": decision.reason})
    return ActionDraft(title, ActionType(kind), organisation, user_id, due_on)


def add_action(session: Session, actor: User, situation: Situation, draft: ActionDraft,
               origin_item_id: int | None = None) -> Action:
    """Write a checked action, share the situation with its assignee, notify them. The
    caller commits (a meeting decision writes several at once)."""
    action = Action(situation_id=situation.id, title=draft.title, type=draft.type.value,
                    assignee_organisation_id=draft.organisation.id,
                    assignee_user_id=draft.assignee_user_id, due_on=draft.due_on,
                    origin_item_id=origin_item_id, created_by_user_id=actor.id)
    session.add(action)
    session.flush()
    session.add(ActionTransition(action_id=action.id, event="create", from_state="",
                                 to_state="open", user_id=actor.id, occurred_at=utcnow()))
    situations.share_situation(session, actor, situation, draft.organisation.id, commit=False)
    session.flush()
    notifications.notify(session, recipients(session, action), "action_assigned",
                         f"action_assigned:{action.id}",
                         f"Nouvelle action pour {draft.organisation.name} : "
                         f"{notice_reference(action)}",
                         link=f"/actions/{action.id}")
    return action


def create_action(session: Session, actor: User, situation: Situation,
                  data: Mapping[str, Any], today: date | None = None) -> Action:
    if not policy.can_work_on_situations(actor):
        raise NotFound("Situation introuvable.")
    if situation.state == "closed":
        raise Conflict("La situation est clôturée : rouvrez-la pour décider d'une action.")
    draft = check_action(session, situation, data, today=today or date.today())
    action = add_action(session, actor, situation, draft)
    session.commit()
    return action


# --- workflow ------------------------------------------------------------------------------

def _context(actor: User, action: Action, event: str, reason: str | None = None,
             fields: Mapping[str, Any] | None = None) -> GuardContext:
    return GuardContext(
        state=action.state, event=event, user_roles=frozenset(r.value for r in actor.roles),
        reason=reason, fields=dict(fields or {}),
        facts={"user_in_assignee_organisation":
               actor.organisation_id == action.assignee_organisation_id,
               "state_before_block": action.state_before_block})


def event_options(actor: User, action: Action) -> list[EventOption]:
    return ENGINE.options(_context(actor, action, ""))


def fire_event(session: Session, actor: User, action: Action, event: str, *,
               reason: str | None = None, fields: Mapping[str, Any] | None = None,
               expected_version: int | None = None) -> Action:
    check_version(action.version, expected_version, "cette action", state=action.state)
    reason = " ".join((reason or "").split()) or None
    fields = {k: (v.strip() if isinstance(v, str) else v)  # a note keeps its line breaks
              for k, v in (fields or {}).items()
              if k in ("completion_note", "outcome", "block_reason")}
    note = fields.get("completion_note")
    if isinstance(note, str) and len(note) > 5000:
        raise ValidationError({"completion_note": ["5000 caractères au plus."]})
    context = _context(actor, action, event, reason, fields)
    outcome = ENGINE.apply(context)
    if event == "block":
        action.state_before_block = outcome.source
        action.block_reason = fields.get("block_reason")
    elif event == "unblock":
        action.state_before_block = None
    elif event == "complete":
        action.completion_note = fields.get("completion_note")
        action.outcome = fields.get("outcome") or None
    action.state = outcome.dest
    action.closed_at = utcnow() if outcome.dest in FINAL_STATES else None
    session.add(ActionTransition(action_id=action.id, event=event, from_state=outcome.source,
                                 to_state=outcome.dest, reason=reason, fields=fields,
                                 user_id=actor.id, occurred_at=utcnow()))
    audit.record(session, "transition", "actions", action.id, changed_fields=sorted(fields),
                 detail=f"{event}: {outcome.source} -> {outcome.dest}"
                 + (f" ({reason[:300]})" if reason else ""))
    if event in ("complete", "block") and action.situation.referent_user_id:
        referent = session.get(User, action.situation.referent_user_id)
        verb = "réalisée" if event == "complete" else "bloquée"
        notifications.notify(session, [referent] if referent else [], f"action_{event}",
                             f"action_{event}:{action.id}:{action.version}",
                             f"Action {verb} par {actor.organisation.name} : "
                             f"{notice_reference(action)}",
                             link=f"/actions/{action.id}")
    session.commit()
    session.expire(action, ["history"])
    return action


def is_overdue(action: Action, today: date | None = None) -> bool:
    return overdue(action.due_on, action.state, today or date.today())


# --- lists ---------------------------------------------------------------------------------

def list_actions(session: Session, actor: User, *, assigned_to: str | None = None,
                 status: str | None = None, overdue: bool | None = None,
                 situation_id: int | None = None, today: date | None = None,
                 page: int = 1, per_page: int = 50) -> Page[Action]:
    errors: dict[str, list[str]] = {}
    if assigned_to not in (None, "", "me", "my_organisation"):
        errors["assigned_to"] = ["Valeurs : me, my_organisation."]
    states = {s.name for s in ACTION.states} | {"open_any"}
    if status not in (None, "") and status not in states:
        errors["status"] = ["Valeurs : " + ", ".join(sorted(states)) + "."]
    if errors:
        raise ValidationError(errors)
    today = today or date.today()
    query = select(Action).where(visibility_clause(actor, situation_id))
    if assigned_to == "me":
        query = query.where(Action.assignee_user_id == actor.id)
    elif assigned_to == "my_organisation":
        query = query.where(Action.assignee_organisation_id == actor.organisation_id)
    if status == "open_any":
        query = query.where(Action.state.in_(OPEN_STATES))
    elif status:
        query = query.where(Action.state == status)
    if overdue is True:
        query = query.where(Action.state.in_(OPEN_STATES), Action.due_on < today)
    elif overdue is False:
        query = query.where((Action.due_on >= today) | Action.due_on.is_(None)
                            | Action.state.in_(FINAL_STATES))
    if situation_id is not None:
        query = query.where(Action.situation_id == situation_id)
    query = query.order_by(Action.due_on.is_(None), Action.due_on, Action.id)
    result = paginate(session, query, page, per_page, total_with_page=True)
    for action in result.items:
        audit.record_read(session, action, detail="liste")
    return result


def situation_actions(session: Session, actor: User, situation: Situation) -> list[Action]:
    return list(session.scalars(select(Action).where(Action.situation_id == situation.id,
                                                     visibility_clause(actor, situation.id))
                                .order_by(Action.id)))
