"""Situations: open, list, read, intake, triage, workflow events, shares (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import ValidationError, as_id, is_id
from coordination.models import Situation, TriageRecord
from coordination.services import situations
from coordination.web.access import allow
from coordination.web.api import (
    bp,
    expected_version,
    json_body,
    page_args,
    paginated,
    paginated_list,
)
from coordination.web.context import db
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.intake import load_schema

CARE = (Role.COORDINATOR, Role.PARTNER)


def triage_json(record: TriageRecord, readable: situations.ReadableIntake) -> dict[str, Any]:
    return {"id": record.id, "logigramme_version": record.logigramme_version,
            "proposed_outcome": record.proposed_outcome, "outcome": record.final_outcome,
            "override_reason": record.override_reason,
            "path": readable.triage_path(record.path),
            "answers": readable.triage_answers(record.answers),
            "at": record.occurred_at.isoformat()}


def situation_json(situation: Situation, full: bool = True) -> dict[str, Any]:
    person = situation.person
    body: dict[str, Any] = {
        "id": situation.id, "version": situation.version, "state": situation.state,
        "state_label": COMPLEX_CASE.state(situation.state).label,
        "person_id": person.id, "person_name": person.display_name,
        "referent_id": situation.referent_user_id,
        "next_review_on": situation.next_review_on.isoformat()
        if situation.next_review_on else None,
        "closure_reason": situation.closure_reason,
        "created_at": situation.created_at.isoformat(),
        "updated_at": situation.updated_at.isoformat(),
    }
    if full:
        options = situations.event_options(db(), current_user, situation)
        readable = situations.readable_intake(db(), current_user, situation)
        shares, shares_withheld = situations.readable_shares(current_user, situation,
                                                             readable.health_details)
        body.update({
            "origin_call_id": situation.origin_call_id,
            "requester": readable.requester(situation.requester),
            "intake_version": situation.intake_version,
            "intake": readable.answers, "intake_withheld_fields": readable.withheld,
            "intake_missing_fields": situations.intake_missing(situation),
            "allowed_events": [o.event for o in options if o.allowed],
            "events": [{"event": o.event, "label": o.label, "allowed": o.allowed,
                        "reasons": list(o.reasons), "requires_reason": o.requires_reason,
                        "required_fields": list(o.required_fields)} for o in options],
            "triage": triage_json(situation.triages[-1], readable)
            if situation.triages else None,
            "shared_with": [{"organisation_id": s.organisation_id,
                             "organisation_name": s.organisation.name,
                             "shared_at": s.shared_at.isoformat()}
                            for s in shares],
            "shared_with_withheld": shares_withheld,
            "history": [{"event": h.event, "from": h.from_state, "to": h.to_state,
                         "reason": h.reason, "fields": h.fields,
                         "by": h.user.full_name if h.user else None,
                         "at": h.occurred_at.isoformat()} for h in situation.history],
        })
    return body


def _respond(situation: Situation, status: int = 200) -> Any:
    response = jsonify(situation_json(situation))
    response.headers["ETag"] = f'"{situation.version}"'
    return response, status


def _optional_int(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = as_id(raw)
    if value is None:
        raise ValidationError({name: ["Identifiant numérique attendu."]})
    return value


@bp.post("/situations")
@allow(Role.COORDINATOR)
def open_situation() -> Any:
    body = json_body()
    call_id = body.get("call_id")
    if call_id is not None and not is_id(call_id):
        raise ValidationError({"call_id": ["Identifiant d'appel attendu."]})
    requester = body.get("requester")
    if requester is not None and not isinstance(requester, dict):
        raise ValidationError({"requester": ["Objet attendu."]})
    situation = situations.open_situation(db(), current_user, body.get("person_id"),
                                          requester, call_id)
    return _respond(situation, 201)


@bp.get("/situations")
@allow(*CARE)
def list_situations() -> Any:
    page, per_page = page_args()
    referent = request.args.get("referent")
    result = situations.list_situations(
        db(), current_user, state=request.args.get("state") or None,
        shared_with=_optional_int("shared_with"),
        referent=current_user.id if referent == "me" else _optional_int("referent"),
        review_due=request.args.get("review_due") in {"1", "true"},
        person_id=_optional_int("person_id"), name=request.args.get("q") or None, page=page,
        per_page=per_page)
    return paginated([situation_json(s, full=False) for s in result.items], page, per_page,
                     result.total)


@bp.get("/situations/<int:situation_id>")
@allow(*CARE)
def get_situation(situation_id: int) -> Any:
    return _respond(situations.get_situation(db(), current_user, situation_id, detail="api"))


@bp.get("/intake/schema")
@allow(*CARE)
def intake_schema() -> Any:
    return jsonify(load_schema().json_schema())


@bp.put("/situations/<int:situation_id>/intake")
@allow(Role.COORDINATOR)
def put_intake(situation_id: int) -> Any:
    body = json_body()
    answers = body.get("answers", body)
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ["Objet attendu."]})
    answers = {k: v for k, v in answers.items() if k != "version"}
    situation = situations.get_situation(db(), current_user, situation_id)
    situation = situations.save_intake(db(), current_user, situation, answers,
                                       expected_version(body.get("version")))
    return _respond(situation)


@bp.post("/situations/<int:situation_id>/triage")
@allow(Role.COORDINATOR)
def triage(situation_id: int) -> Any:
    body = json_body(required=False)
    override = body.get("override")
    reason = body.get("reason")
    for name, value in (("override", override), ("reason", reason)):
        if value is not None and not isinstance(value, str):
            raise ValidationError({name: ["Texte attendu."]})
    situation = situations.get_situation(db(), current_user, situation_id)
    result = situations.run_triage(db(), current_user, situation, override=override,
                                   reason=reason,
                                   expected_version=expected_version(body.get("version")))
    return jsonify({"outcome": result.record.final_outcome,
                    "proposed_outcome": result.record.proposed_outcome,
                    "outcome_label": result.final_outcome.label,
                    "path": result.record.path,
                    "logigramme_version": result.record.logigramme_version,
                    "override_reason": result.record.override_reason,
                    "event": result.final_event, "state": situation.state,
                    "version": situation.version}), 200


@bp.get("/situations/<int:situation_id>/triages")
@allow(Role.COORDINATOR)
def triages(situation_id: int) -> Any:
    """Every past triage, replayed with the version and answers it used: the outcome and
    path come out the same, which explains the decision."""
    situation = situations.get_situation(db(), current_user, situation_id)
    readable = situations.readable_intake(db(), current_user, situation)
    items = []
    for record in situation.triages:
        replayed = situations.replay_triage(db(), record)
        items.append({**triage_json(record, readable), "replayed_outcome": replayed.outcome.id,
                      "replays_identically": replayed.outcome.id == record.proposed_outcome
                      and replayed.path_json() == record.path})
    return paginated_list(items)


@bp.post("/situations/<int:situation_id>/events/<event>")
@allow(*CARE)
def fire_event(situation_id: int, event: str) -> Any:
    body = json_body(required=False)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"reason": ["Texte attendu."]})
    fields = {k: v for k, v in body.items() if k not in {"reason", "version"}}
    situation = situations.get_situation(db(), current_user, situation_id)
    situation = situations.fire_event(db(), current_user, situation, event, reason=reason,
                                      fields=fields,
                                      expected_version=expected_version(body.get("version")))
    return _respond(situation)


@bp.post("/situations/<int:situation_id>/shares")
@allow(Role.COORDINATOR)
def share(situation_id: int) -> Any:
    body = json_body()
    situation = situations.get_situation(db(), current_user, situation_id)
    created = situations.share_situation(db(), current_user, situation,
                                         body.get("organisation_id"))
    return jsonify({"id": created.id, "organisation_id": created.organisation_id,
                    "organisation_name": created.organisation.name,
                    "shared_at": created.shared_at.isoformat()}), 201


@bp.delete("/situations/<int:situation_id>/shares/<int:organisation_id>")
@allow(Role.COORDINATOR)
def unshare(situation_id: int, organisation_id: int) -> Any:
    situation = situations.get_situation(db(), current_user, situation_id)
    situations.unshare_situation(db(), current_user, situation, organisation_id)
    return "", 204
