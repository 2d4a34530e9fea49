"""The application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from coordination.db import make_engine, make_session_factory
from coordination.settings import Settings, load_settings


def create_app(settings: Settings | None = None,
               session_factory: sessionmaker[Session] | None = None,
               **flask_config: Any) -> Flask:
    """Build the web application. Never starts the scheduler (it runs in its own process)."""
    settings = settings or load_settings()
    app = Flask(__name__.split(".")[0], instance_path=str(settings.instance_path),
                template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="coordination_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        WTF_CSRF_TIME_LIMIT=None,
        WTF_I18N_ENABLED=False,  # WTForms' bundled French messages (no Flask-Babel)
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
    )
    app.config.update(flask_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields in the documented order
    app.extensions["coordination.settings"] = settings
    app.extensions["coordination.sessions"] = session_factory or make_session_factory(
        make_engine(settings.database_url)
    )
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies, x_host=settings.trusted_proxies)

    from coordination.web import init_app

    init_app(app)
    return app
