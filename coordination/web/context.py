"""Per-request access to the database session and the settings."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from coordination.services import audit
from coordination.settings import Settings


def settings() -> Settings:
    return current_app.extensions["coordination.settings"]


def db() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["coordination.sessions"]()
        audit.set_actor(g.db_session, audit.AuditActor(None, "anonymous", request.remote_addr))
    return g.db_session


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_pending_reads(response):  # type: ignore[no-untyped-def]
        # Reads of personal data are audited even on pages that change nothing.
        session = g.get("db_session")
        if session is not None and audit.has_pending(session) and response.status_code < 500:
            session.commit()
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
