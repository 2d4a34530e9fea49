"""Health check for load balancers and monitoring (public, no personal data)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from coordination.web.access import public
from coordination.web.context import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    try:
        db().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
