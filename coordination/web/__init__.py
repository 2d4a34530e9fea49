"""Web layer: server-rendered French pages and the JSON API under /api/v1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from coordination.domain.accounts import Role
from coordination.domain.consent import INFORMATION_METHODS
from coordination.domain.numbers import number_fr
from coordination.workflows.action import ACTION, ActionType, BlockReason, CompletionOutcome
from coordination.workflows.complex_case import COMPLEX_CASE, ClosureReason

STATE_LABELS = {state.name: state.label for state in COMPLEX_CASE.states}
EVENT_LABELS = {"open": "Ouverture", **{t.event: t.label for t in COMPLEX_CASE.transitions}}
CLOSURE_LABELS = {reason.value: reason.label for reason in ClosureReason}

csrf = CSRFProtect()
from coordination.domain.errors import MAX_ID  # noqa: E402


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: ids beyond a 64-bit integer are simply not found (404),
    instead of overflowing the database driver."""

    def __init__(self, url_map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
    from coordination.web import (
        access,
        actions,
        admin,
        api,
        api_docs,
        auth,
        calls,
        context,
        dashboard,
        errors,
        health,
        meetings,
        notifications,
        persons,
        ruptures,
        situations,
    )

    context.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(persons.bp)
    app.register_blueprint(situations.bp)
    app.register_blueprint(calls.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(actions.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(ruptures.bp)
    from directory import web as directory_web

    app.register_blueprint(directory_web.bp)
    csrf.exempt(api.bp)  # bearer tokens only, never cookies: no cross-site request possible
    app.register_blueprint(api.bp)
    app.register_blueprint(api_docs.bp)
    _template_helpers(app)


def _template_helpers(app: Flask) -> None:
    zone = ZoneInfo(app.extensions["coordination.settings"].timezone)

    @app.template_filter("datetime_fr")
    def datetime_fr(value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(zone).strftime("%d/%m/%Y à %H:%M")

    app.add_template_filter(number_fr, "number_fr")

    @app.template_global("tell_audit")
    def tell_audit(entry: Any) -> Any:
        from coordination.web.audit_words import told

        return told(entry.action, entry.object_type, entry.object_id, entry.changed_fields,
                    entry.detail)

    @app.template_filter("audit_actor")
    def audit_actor(actor: str) -> str:
        from coordination.web.audit_words import told_actor

        return told_actor(actor)

    @app.template_filter("extract_label")
    def extract_label(code: str, labels: dict[str, str]) -> str:
        return labels.get(code, code)

    @app.template_filter("date_fr")
    def date_fr(value: date | None) -> str:
        return "—" if value is None else value.strftime("%d/%m/%Y")

    @app.context_processor
    def _navigation() -> dict[str, object]:
        from coordination.services import notifications
        from coordination.web.context import db

        unread = notifications.unread_count(db(), current_user) \
            if current_user.is_authenticated else 0
        return {"nav_items": navigation_for(current_user), "Role": Role,
                "unread_notifications": unread, "action_state_labels": ACTION_STATE_LABELS,
                "action_types": {t.value: t.label for t in ActionType},
                "block_labels": {r.value: r.label for r in BlockReason},
                "action_outcome_labels": {r.value: r.label for r in CompletionOutcome},
                "information_methods": INFORMATION_METHODS, "state_labels": STATE_LABELS,
                "event_labels": EVENT_LABELS, "closure_labels": CLOSURE_LABELS}


ACTION_STATE_LABELS = {s.name: s.label for s in ACTION.states}


def navigation_for(user: object) -> list[tuple[str, str]]:
    """(endpoint, French label) of the menu, per role; the policy still guards each page."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = [("dashboard.home", "Tableau de bord")]
    if user.has_role(Role.COORDINATOR):  # type: ignore[attr-defined]
        items += [("calls.new", "Nouvel appel"), ("calls.journal", "Appels")]
    elif user.has_role(Role.MANAGER):  # type: ignore[attr-defined]
        items.append(("calls.activity", "Activité du numéro unique"))
    if user.has_role(Role.COORDINATOR, Role.PARTNER):  # type: ignore[attr-defined]
        items += [("situations.index", "Situations"), ("meetings.index", "Réunions"),
                  ("actions.index", "Actions")]
    if user.has_role(Role.COORDINATOR):  # type: ignore[attr-defined]
        items.append(("ruptures.candidates", "Candidats de rupture"))
    if user.has_role(Role.COORDINATOR, Role.MANAGER):  # type: ignore[attr-defined]
        items.append(("ruptures.observatory_page", "Observatoire"))
    if user.has_role(Role.COORDINATOR, Role.ADMIN):  # type: ignore[attr-defined]
        items.append(("persons.search", "Personnes"))
    items.append(("directory.search_page", "Annuaire"))
    if user.has_role(Role.ADMIN):  # type: ignore[attr-defined]
        items += [("admin.organisations", "Organisations"), ("admin.users", "Comptes"),
                  ("persons.merges", "Fusions"), ("admin.logigramme", "Logigramme"),
                  ("admin.call_motives", "Motifs d'appel"),
                  ("directory.tasks", "Signalements annuaire"),
                  ("admin.audit", "Journal d'audit")]
    items.append(("auth.account", "Mon compte"))
    return items
