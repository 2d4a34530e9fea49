"""Per-request access to the database session and the settings."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from coordination.services import audit
from coordination.settings import Settings

log = logging.getLogger(__name__)


def settings() -> Settings:
    return current_app.extensions["coordination.settings"]


def local_zone() -> ZoneInfo:
    """The deployment's time zone: what "today" and a typed time mean."""
    return ZoneInfo(settings().timezone)


def local_today() -> date:
    """Today where the users are (not on the server's clock, often UTC)."""
    return datetime.now(local_zone()).date()


def db() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["coordination.sessions"]()
        audit.set_actor(g.db_session, audit.AuditActor(None, "anonymous", request.remote_addr))
    return g.db_session


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_pending_reads(response):  # type: ignore[no-untyped-def]
        """Reads of personal data are audited even on pages that change nothing. Changes
        a service left uncommitted (it refused halfway) are never committed here."""
        session = g.get("db_session")
        if session is None:
            return response
        if session.new or session.dirty or session.deleted or response.status_code >= 400:
            if session.new or session.dirty or session.deleted:
                log.warning("rolling back uncommitted changes after %s %s (%s)",
                            request.method, request.path, response.status_code)
            try:
                audit.rollback_keeping_reads(session)
            except Exception:  # noqa: BLE001 - the response is already decided
                log.exception("could not record the reads of %s %s", request.method,
                              request.path)
                session.rollback()
        elif audit.has_pending(session):
            session.commit()
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
