"""The one authorisation mechanism for pages and API endpoints: deny by default.

Every view declares who may call it with `@public` or `@allow(...)`. A `before_request`
hook enforces it before the view runs; a view that declares nothing is refused to
everyone (and a test walking `app.url_map` fails until it declares something).
Object-level rules (which situations a partner sees) live in the services; they answer
NotFound, which looks exactly like an absent object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, g, request, session
from flask_login import LoginManager, current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import as_id
from coordination.models import User
from coordination.services import accounts, audit
from coordination.web.context import db, settings

log = logging.getLogger(__name__)
security_log = logging.getLogger("coordination.security")
View = TypeVar("View", bound=Callable[..., Any])

# Endpoints Flask itself adds; everything else must carry its own policy.
PUBLIC_ENDPOINTS = frozenset({"static"})
# What an account without a second factor may still reach when the deployment requires
# one: the enrolment page and logging out.
MFA_ENROLMENT_ENDPOINTS = frozenset({"auth.mfa_setup", "auth.logout", "static"})
SESSION_TOKEN_KEY = "sid"  # noqa: S105 - the name of a session key, not a secret


@dataclass(frozen=True)
class AccessPolicy:
    public: bool = False
    roles: frozenset[Role] = frozenset()  # empty: any signed-in user

    def admits(self, user: Any) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or user.has_role(*self.roles)


def public(view: View) -> View:
    view.access_policy = AccessPolicy(public=True)  # type: ignore[attr-defined]
    return view


def allow(*roles: Role) -> Callable[[View], View]:
    """Signed-in users holding any of `roles` (no role given: any signed-in user)."""

    def decorate(view: View) -> View:
        view.access_policy = AccessPolicy(roles=frozenset(roles))  # type: ignore[attr-defined]
        return view

    return decorate


def policy_for(app: Flask, endpoint: str) -> AccessPolicy | None:
    if endpoint in PUBLIC_ENDPOINTS:
        return AccessPolicy(public=True)
    return getattr(app.view_functions.get(endpoint), "access_policy", None)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Connectez-vous pour accéder à cette page."
login_manager.login_message_category = "info"
login_manager.session_protection = None  # server-side sessions (LoginSession) do this job


@login_manager.user_loader
def _load_from_cookie(user_id: str) -> User | None:
    if is_api_request() or as_id(user_id) is None:
        return None  # the API takes bearer tokens only: no cookie, so no CSRF exposure
    check = accounts.resolve_login_session(db(), settings(), session.get(SESSION_TOKEN_KEY),
                                           int(user_id))
    if check.expired:
        g.session_expired = True
    if check.disabled:
        g.account_disabled = True
    return check.user


@login_manager.request_loader
def _load_from_bearer(req: Any) -> User | None:
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.resolve_api_token(db(), token.strip())


@login_manager.unauthorized_handler
def _unauthorised() -> Any:
    if is_api_request():
        abort(401)
    from flask import flash, redirect, url_for

    if g.get("session_expired"):
        flash("Votre session a expiré après une période d'inactivité : reconnectez-vous.",
              "info")
    elif g.get("account_disabled"):
        flash("Votre compte a été désactivé : adressez-vous à l'administrateur de votre "
              "organisation.", "info")
    next_path = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_path.rstrip("?") if next_path else None))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @app.before_request
    def _enforce_policy() -> Any:
        if request.endpoint is None:
            return None  # no route: the 404/405 handlers answer
        policy = policy_for(app, request.endpoint)
        if policy is None:
            log.error("endpoint %s declares no access policy: refused", request.endpoint)
        elif policy.public:
            _bind_actor()
            return None
        if not current_user.is_authenticated:
            _log_refusal("anonymous")
            return login_manager.unauthorized()
        _bind_actor()
        if policy is None or not policy.admits(current_user):
            _log_refusal("role")
            abort(403)
        if settings().require_mfa and not current_user.has_totp \
                and request.endpoint not in MFA_ENROLMENT_ENDPOINTS:
            _log_refusal("mfa_not_enrolled")
            if is_api_request():
                abort(403)
            from flask import flash, redirect, url_for

            flash("Activez la double authentification pour continuer.", "info")
            return redirect(url_for("auth.mfa_setup"))
        return None


def _log_refusal(reason: str) -> None:
    """Refused accesses go to the security log: the endpoint and method, never the query
    string or the body (they may hold a name)."""
    security_log.info("access refused (%s) endpoint=%s method=%s user_id=%s addr=%s", reason,
                      request.endpoint, request.method,
                      current_user.get_id() if current_user.is_authenticated else None,
                      request.remote_addr)


def _bind_actor() -> None:
    """Tell the audit hook who acts in this request."""
    if current_user.is_authenticated:
        audit.set_actor(db(), audit.AuditActor(current_user.id, current_user.email,
                                               request.remote_addr))
