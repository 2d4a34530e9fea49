"""Ruptures, rupture candidates and the observatory through the API (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.domain.ruptures import load_taxonomy, taxonomy_json
from coordination.models import Rupture, RuptureCandidate
from coordination.services import observatory, ruptures
from coordination.web.access import allow
from coordination.web.api import (
    bp,
    expected_version,
    json_body,
    page_args,
    paginated,
    paginated_list,
)
from coordination.web.context import db, local_zone, settings

CARE = (Role.COORDINATOR, Role.PARTNER)
READERS = (Role.MANAGER, Role.COORDINATOR)


def rupture_json(rupture: Rupture, details: bool) -> dict[str, Any]:
    """`details`: whether the reader may read the rupture's nature and free texts
    (ruptures.readable_details, or ruptures.details_readable for one rupture); without,
    those fields are null and `details_withheld` says so."""
    taxonomy = load_taxonomy()

    def coded(section: str, code: str | None) -> str | None:
        return (taxonomy.label(section, code) or code) if code and details else None

    def shown(value: Any) -> Any:
        return value if details else None

    return {
        "id": rupture.id, "situation_id": rupture.situation_id,
        "situation_state": rupture.situation.state,
        "occurred_on": rupture.occurred_on.isoformat(),
        "taxonomy_version": rupture.taxonomy_version,
        "type": shown(rupture.type), "type_label": coded("types", rupture.type),
        "cause": shown(rupture.cause), "cause_label": coded("causes", rupture.cause),
        "consequence": shown(rupture.consequence),
        "consequence_label": coded("consequences", rupture.consequence),
        "transition_point": shown(rupture.transition_point),
        "transition_point_label": coded("transition_points", rupture.transition_point),
        "service_id": shown(rupture.service_id),
        "service": rupture.service.name if rupture.service and details else None,
        "organisation_id": shown(rupture.organisation_id),
        "organisation": rupture.organisation.name if rupture.organisation and details
        else None,
        "description": shown(rupture.description),
        "declared_by": rupture.declared_by.full_name if rupture.declared_by else None,
        "declared_at": rupture.declared_at.isoformat(),
        "resolved_on": rupture.resolved_on.isoformat() if rupture.resolved_on else None,
        "resolution": shown(rupture.resolution),
        "resolved_by": rupture.resolved_by.full_name if rupture.resolved_by else None,
        "details_withheld": not details,
    }


def _json(rupture: Rupture) -> dict[str, Any]:
    return rupture_json(rupture, ruptures.details_readable(db(), current_user, rupture))


def candidate_json(candidate: RuptureCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id, "key": candidate.key, "rule": candidate.rule,
        "rule_label": ruptures.RULE_LABELS.get(candidate.rule, candidate.rule),
        "situation_id": candidate.situation_id, "action_id": candidate.action_id,
        "explanation": candidate.explanation, "occurred_on": candidate.occurred_on.isoformat(),
        "suggested_type": candidate.suggested_type,
        "suggested_cause": candidate.suggested_cause, "status": candidate.status,
        "dismissed_reason": candidate.dismissed_reason, "rupture_id": candidate.rupture_id,
        "decided_at": candidate.decided_at.isoformat() if candidate.decided_at else None,
        "raised_at": candidate.raised_at.isoformat(),
    }


def _today() -> Any:
    return utcnow().astimezone(local_zone()).date()


@bp.get("/ruptures/taxonomy")
@allow()
def rupture_taxonomy() -> Any:
    return jsonify(taxonomy_json())


@bp.post("/situations/<int:situation_id>/ruptures")
@allow(*CARE)
def declare_rupture(situation_id: int) -> Any:
    body = json_body()
    rupture = ruptures.declare_rupture(db(), current_user, situation_id, body,
                                       expected_version=expected_version(body.get("version")),
                                       today=_today())
    return jsonify(_json(rupture)), 201


@bp.get("/situations/<int:situation_id>/ruptures")
@allow(*CARE)
def situation_ruptures(situation_id: int) -> Any:
    from coordination.services import situations

    situation = situations.get_situation(db(), current_user, situation_id, detail="ruptures")
    items = ruptures.list_for_situation(db(), current_user, situation)
    # what the reader sees of the situation tells whether they read the ruptures' texts
    readable = ruptures.readable_details(current_user, items, situations.readable_intake(
        db(), current_user, situation).health_details)
    return paginated_list(items, lambda r: rupture_json(r, r.id in readable))


@bp.get("/ruptures/<int:rupture_id>")
@allow(*CARE)
def get_rupture(rupture_id: int) -> Any:
    return jsonify(_json(ruptures.get_rupture(db(), current_user, rupture_id)))


@bp.post("/ruptures/<int:rupture_id>/resolve")
@allow(*CARE)
def resolve_rupture(rupture_id: int) -> Any:
    body = json_body()
    rupture = ruptures.resolve_rupture(db(), current_user, rupture_id, body,
                                       expected_version=expected_version(body.get("version")),
                                       today=_today())
    return jsonify(_json(rupture))


@bp.get("/rupture-candidates")
@allow(Role.COORDINATOR)
def list_candidates() -> Any:
    page, per_page = page_args()
    status = request.args.get("status", "open")
    result = ruptures.list_candidates(db(), current_user, status=None if status == "all"
                                      else status, page=page, per_page=per_page)
    return paginated([candidate_json(c) for c in result.items], page, per_page, result.total)


@bp.post("/rupture-candidates/<int:candidate_id>/confirm")
@allow(Role.COORDINATOR)
def confirm_candidate(candidate_id: int) -> Any:
    rupture = ruptures.confirm_candidate(db(), current_user, candidate_id,
                                         json_body(required=False), today=_today())
    return jsonify(_json(rupture)), 201


@bp.post("/rupture-candidates/<int:candidate_id>/dismiss")
@allow(Role.COORDINATOR)
def dismiss_candidate(candidate_id: int) -> Any:
    body = json_body()
    return jsonify(candidate_json(ruptures.dismiss_candidate(db(), current_user, candidate_id,
                                                             body.get("reason"))))


@bp.get("/observatory/ruptures")
@allow(*READERS)
def observatory_ruptures() -> Any:
    query = observatory.parse_query(request.args, _today())
    figures = observatory.rupture_counts(db(), current_user, query,
                                         threshold=settings().suppression_threshold,
                                         cache_seconds=settings().observatory_cache_seconds)
    return jsonify({
        "from": query.date_from.isoformat(), "to": query.date_to.isoformat(),
        "group_by": list(query.group_by), "filters": query.as_args(),
        "suppression_threshold": figures.threshold, "rows": figures.rows,
        "total": _cell(figures.total), "resolved_share": figures.resolved_share,
        "median_repair_days": figures.median_repair_days,
        "repair_distribution": figures.repair_distribution,
        "recurrence": figures.recurrence, "transition_points": figures.transition_points,
    })


def _cell(value: int | None) -> dict[str, Any]:
    return {"suppressed": True} if value is None else {"count": value}


@bp.get("/observatory/activity")
@allow(*READERS)
def observatory_activity() -> Any:
    query = observatory.parse_query(request.args, _today())
    f = observatory.activity_counts(db(), current_user, query.date_from, query.date_to,
                                    threshold=settings().suppression_threshold,
                                    zone=local_zone(),
                                    cache_seconds=settings().observatory_cache_seconds)
    c = f.calls
    return jsonify({
        "from": f.date_from.isoformat(), "to": f.date_to.isoformat(),
        "calls": {"total": c.total, "average_duration_seconds": c.average_duration_seconds,
                  "per_day": [{"day": d.isoformat(), "count": n} for d, n in c.per_day],
                  "per_motive": [{"motive": m, "count": n} for m, n in c.per_motive],
                  "per_caller_type": [{"caller_type": t, "count": n}
                                      for t, n in c.per_caller_type],
                  "per_outcome": [{"outcome": o, "label": label, "count": n}
                                  for o, label, n in c.per_outcome]},
        "situations": {"opened": _cell(f.situations_opened),
                       "closed": _cell(f.situations_closed),
                       "closure_reasons": f.closure_reasons},
        "triage": {"total": _cell(f.triages), "outcomes": f.triage_outcomes,
                   "overrides": f.triage_overrides},
        "delays": {"median_days_open_to_triage": f.median_days_open_to_triage,
                   "median_days_call_to_triage": f.median_days_call_to_triage},
        **f.more,
    })
