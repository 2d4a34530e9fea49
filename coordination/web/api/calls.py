"""The call journal's API (DESIGN §8): log a call, list and filter, read one, callbacks."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.calls import format_duration
from coordination.domain.errors import ValidationError
from coordination.models import Call
from coordination.services import calls
from coordination.web.access import allow
from coordination.web.api import bp, json_body, page_args, paginated, paginated_list
from coordination.web.context import db, local_zone


def call_json(call: Call) -> dict[str, Any]:
    return {
        "id": call.id, "received_at": call.received_at.isoformat(),
        "channel": call.channel.value, "duration_seconds": call.duration_seconds,
        "duration": format_duration(call.duration_seconds),
        "caller": {"name": call.caller_name, "role": call.caller_role,
                   "organisation": call.caller_organisation_name,
                   "organisation_id": call.caller_organisation_id,
                   "phone": call.caller_phone, "type": call.caller_type.value},
        "motives": call.motive_codes, "person_id": call.person_id,
        "person_label": call.person_label, "outcome": call.outcome.value,
        "service_ids": call.service_ids, "situation_id": call.situation_id,
        "callback_due_at": call.callback_due_at.isoformat() if call.callback_due_at else None,
        "callback_done_at": call.callback_done_at.isoformat()
        if call.callback_done_at else None,
        "callback_note": call.callback_note, "notes": call.notes,
        "taken_by": call.taken_by.full_name, "created_at": call.created_at.isoformat(),
    }


@bp.post("/calls")
@allow(Role.COORDINATOR)
def log_call() -> Any:
    """Flat caller fields (`caller_name`…) or a `caller` object as in the responses."""
    body = json_body()
    caller = body.pop("caller", None)
    if caller is not None and not isinstance(caller, dict):
        raise ValidationError({"caller": ["Objet attendu (name, role, organisation, "
                                          "organisation_id, phone, type)."]})
    if caller:
        for key in ("name", "role", "organisation", "organisation_id", "phone", "type"):
            if key in caller:
                body.setdefault(f"caller_{key}", caller[key])
    call = calls.log_call(db(), current_user, body, zone=local_zone())
    return jsonify(call_json(call)), 201


@bp.get("/calls")
@allow(Role.COORDINATOR)
def list_calls() -> Any:
    page, per_page = page_args()
    filters = calls.parse_filters(request.args)
    result = calls.list_calls(db(), current_user, filters, page=page, per_page=per_page,
                              zone=local_zone())
    return paginated([call_json(c) for c in result.items], page, per_page, result.total)


@bp.get("/calls/<int:call_id>")
@allow(Role.COORDINATOR)
def get_call(call_id: int) -> Any:
    return jsonify(call_json(calls.get_call(db(), current_user, call_id, detail="api")))


@bp.post("/calls/<int:call_id>/callback")
@allow(Role.COORDINATOR)
def callback_done(call_id: int) -> Any:
    body = json_body(required=False)
    call = calls.get_call(db(), current_user, call_id, detail="rappel")
    return jsonify(call_json(calls.complete_callback(db(), current_user, call,
                                                     body.get("note"))))


@bp.get("/calls/motives")
@allow(Role.COORDINATOR, Role.MANAGER)
def call_motives() -> Any:
    return paginated_list(calls.motives(db(), active_only=False), lambda m: {
        "code": m.code, "label": m.label, "active": m.is_active})
