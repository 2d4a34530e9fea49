"""Meetings, agendas, decisions, actions and notifications through the API (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import NotFound, ValidationError, as_id
from coordination.models import Action, AgendaItem, Meeting, MeetingStatus, Notification
from coordination.services import actions, meetings, notifications, pdf, situations
from coordination.web.access import allow
from coordination.web.api import (
    bp,
    expected_version,
    json_body,
    page_args,
    paginated,
    paginated_list,
)
from coordination.web.context import db, local_today, local_zone
from directory import services as directory_services

CARE = (Role.COORDINATOR, Role.PARTNER)


def meeting_json(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id, "title": meeting.title, "series_id": meeting.series_id,
        "starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat(),
        "moved_from": meeting.moved_from.isoformat() if meeting.moved_from else None,
        "holiday_name": meeting.holiday_name, "place": meeting.place,
        "video_link": meeting.video_link, "agenda_cap": meeting.agenda_cap,
        "freeze_on": meeting.freeze_on.isoformat(), "status": meeting.status.value,
        "status_label": meeting.status.label, "version": meeting.version,
        "invited_organisation_ids": [o.id for o in meeting.invited],
        "agenda_built_at": meeting.agenda_built_at.isoformat()
        if meeting.agenda_built_at else None,
        "agenda_frozen_at": meeting.agenda_frozen_at.isoformat()
        if meeting.agenda_frozen_at else None,
    }


def item_json(item: AgendaItem, discussed: bool) -> dict[str, Any]:
    """`discussed`: whether the reader may read the item's discussion (AgendaView.reads);
    without, the reasons keep their label only and the free texts are null."""
    return {
        "id": item.id, "position": item.position, "situation_id": item.situation_id,
        "person_name": item.situation.person.display_name,
        "reasons": item.reasons if discussed
        else [{**r, "detail": None} for r in item.reasons],
        "score": item.score, "explanation": item.explanation,
        "manual": item.manual, "note": item.note if discussed else None,
        "decision": item.decision if discussed else None,
        "notes": item.discussion_notes if discussed else None,
        "discussion_withheld": not discussed,
        "next_review_on": item.next_review_on.isoformat() if item.next_review_on else None,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "action_ids": [a.id for a in item.actions],
    }


def action_json(action: Action) -> dict[str, Any]:
    return {
        "id": action.id, "situation_id": action.situation_id, "title": action.title,
        "type": action.type, "assignee_organisation_id": action.assignee_organisation_id,
        "assignee_user_id": action.assignee_user_id,
        "due_on": action.due_on.isoformat() if action.due_on else None,
        "status": action.state, "overdue": actions.is_overdue(action, local_today()),
        "completion_note": action.completion_note, "outcome": action.outcome,
        "block_reason": action.block_reason, "origin_item_id": action.origin_item_id,
        "version": action.version, "created_at": action.created_at.isoformat(),
        "allowed_events": [o.event for o in actions.event_options(current_user, action)
                           if o.allowed],
    }


def _meeting(meeting_id: int) -> Meeting:
    return meetings.get_meeting(db(), current_user, meeting_id)


@bp.get("/meetings")
@allow(*CARE)
def list_meetings() -> Any:
    raw = request.args.get("upcoming")
    if raw not in (None, "", "true", "false", "1", "0"):
        raise ValidationError({"upcoming": ["true ou false."]})
    upcoming = None if raw in (None, "") else raw in ("true", "1")
    page, per_page = page_args()
    found = meetings.list_meetings(db(), current_user, upcoming=upcoming, limit=1000)
    chunk = found[(page - 1) * per_page: page * per_page]
    return paginated([meeting_json(m) for m in chunk], page, per_page, len(found))


@bp.post("/meetings")
@allow(Role.COORDINATOR)
def create_meeting() -> Any:
    meeting = meetings.create_meeting(db(), current_user, json_body(), local_zone())
    return jsonify(meeting_json(meeting)), 201


@bp.post("/meeting-series")
@allow(Role.COORDINATOR)
def create_series() -> Any:
    series = meetings.create_series(db(), current_user, json_body())
    return jsonify({"id": series.id, "name": series.name, "recurrence": series.recurrence,
                    "invited_organisation_ids": [o.id for o in series.invited]}), 201


@bp.get("/meetings/<int:meeting_id>")
@allow(*CARE)
def get_meeting(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    response = jsonify(meeting_json(meeting))
    response.headers["ETag"] = f'"{meeting.version}"'
    return response


@bp.get("/meetings/<int:meeting_id>/agenda")
@allow(*CARE)
def get_agenda(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    view = meetings.agenda_view(db(), current_user, meeting)
    return jsonify({"meeting": meeting_json(meeting),
                    "items": [item_json(i, view.reads(i)) for i in view.items],
                    "only_shared_situations": view.only_shared})


@bp.post("/meetings/<int:meeting_id>/agenda/build")
@allow(Role.COORDINATOR)
def build_agenda(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    plan = meetings.build_agenda(db(), current_user, meeting, local_zone())
    view = meetings.agenda_view(db(), current_user, meeting)
    return jsonify({"meeting": meeting_json(meeting),
                    "items": [item_json(i, view.reads(i)) for i in view.items],
                    "only_shared_situations": view.only_shared, "notices": list(plan.notices),
                    "overflow": [{"situation_id": o.situation_id, "reasons":
                                  [r.code.value for r in o.reasons],
                                  "explanation": o.explanation} for o in plan.overflow]})


@bp.post("/meetings/<int:meeting_id>/agenda/freeze")
@allow(Role.COORDINATOR)
def freeze_agenda(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    meetings.freeze_agenda(db(), current_user, meeting, local_zone())
    return jsonify(meeting_json(meeting))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/decision")
@allow(Role.COORDINATOR)
def record_decision(meeting_id: int, item_id: int) -> Any:
    meeting = _meeting(meeting_id)
    result = meetings.record_decision(db(), current_user, meeting, item_id, json_body(),
                                      zone=local_zone(), today=local_today())
    # the coordinator who ran the meeting wrote the notes
    return jsonify({"item": item_json(result.item, True),
                    "actions": [action_json(a) for a in result.actions],
                    "situation": {"id": result.item.situation_id,
                                  "state": result.item.situation.state,
                                  "event": result.situation_event}})


@bp.post("/meetings/<int:meeting_id>/close")
@allow(Role.COORDINATOR)
def close_meeting(meeting_id: int) -> Any:
    body = json_body(required=False)
    return jsonify(meeting_json(meetings.close_meeting(db(), current_user, _meeting(meeting_id),
                                                       body.get("general_notes"))))


@bp.post("/meetings/<int:meeting_id>/minutes/publish")
@allow(Role.COORDINATOR)
def publish_minutes(meeting_id: int) -> Any:
    return jsonify(meeting_json(meetings.publish_minutes(db(), current_user,
                                                         _meeting(meeting_id),
                                                         expected_version(), local_zone())))


@bp.get("/meetings/<int:meeting_id>/agenda.pdf")
@allow(*CARE)
def agenda_pdf(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    pseudonymised = request.args.get("pseudonymised") in ("1", "true")
    view = meetings.agenda_view(db(), current_user, meeting)
    document = pdf.agenda_pdf(meeting, view, pseudonymised, local_zone(),
                              directory_services.commune_names(
                                  db(), [i.situation.person.commune_insee for i in view.items]))
    return Response(document, mimetype="application/pdf")


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
@allow(*CARE)
def minutes_pdf(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    if not meetings.can_run(current_user, meeting) \
            and meeting.status is not MeetingStatus.MINUTES_PUBLISHED:
        raise NotFound("Le compte rendu n'est pas encore publié.")
    return Response(pdf.minutes_pdf(meeting, meetings.agenda_view(db(), current_user, meeting),
                                    current_user.organisation_id, local_zone(),
                                    draft=meeting.status is not MeetingStatus.MINUTES_PUBLISHED),
                    mimetype="application/pdf")


# --- actions -------------------------------------------------------------------------------

@bp.post("/situations/<int:situation_id>/actions")
@allow(Role.COORDINATOR)
def create_action(situation_id: int) -> Any:
    situation = situations.get_situation(db(), current_user, situation_id, detail="action")
    action = actions.create_action(db(), current_user, situation, json_body(),
                                   today=local_today())
    return jsonify(action_json(action)), 201


@bp.get("/actions")
@allow(*CARE)
def list_actions() -> Any:
    page, per_page = page_args()
    raw = request.args.get("overdue")
    if raw not in (None, "", "true", "false", "1", "0"):
        raise ValidationError({"overdue": ["true ou false."]})
    situation_id = request.args.get("situation_id")
    if situation_id and as_id(situation_id) is None:
        raise ValidationError({"situation_id": ["Identifiant numérique attendu."]})
    result = actions.list_actions(
        db(), current_user, assigned_to=request.args.get("assigned_to") or None,
        status=request.args.get("status") or None,
        overdue=None if raw in (None, "") else raw in ("true", "1"),
        situation_id=as_id(situation_id) if situation_id else None,
        today=local_today(), page=page, per_page=per_page)
    return paginated([action_json(a) for a in result.items], page, per_page, result.total)


@bp.get("/actions/<int:action_id>")
@allow(*CARE)
def get_action(action_id: int) -> Any:
    action = actions.get_action(db(), current_user, action_id)
    response = jsonify(action_json(action))
    response.headers["ETag"] = f'"{action.version}"'
    return response


@bp.post("/actions/<int:action_id>/events/<event>")
@allow(*CARE)
def fire_action_event(action_id: int, event: str) -> Any:
    body = json_body(required=False)
    action = actions.get_action(db(), current_user, action_id)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"reason": ["Texte attendu."]})
    fields = {k: body[k] for k in ("completion_note", "outcome", "block_reason") if k in body}
    if not all(isinstance(v, str) for v in fields.values()):
        raise ValidationError({k: ["Texte attendu."] for k, v in fields.items()
                               if not isinstance(v, str)})
    action = actions.fire_event(db(), current_user, action, event, reason=reason,
                                fields=fields, expected_version=expected_version(
                                    body.get("version")))
    response = jsonify(action_json(action))
    response.headers["ETag"] = f'"{action.version}"'
    return response


# --- notifications -------------------------------------------------------------------------

def notification_json(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "title": n.title, "link": n.link,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None}


@bp.get("/notifications")
@allow()
def list_notifications() -> Any:
    return paginated_list(notifications.recent(db(), current_user), notification_json,
                          unread=notifications.unread_count(db(), current_user))
