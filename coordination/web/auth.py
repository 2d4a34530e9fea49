"""Login, logout and the account page (French)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from coordination.domain.errors import AuthenticationFailed, ValidationError
from coordination.services import accounts
from coordination.web.access import SESSION_TOKEN_KEY, allow, public
from coordination.web.context import db, settings
from coordination.web.forms import LoginForm, PasswordChangeForm, apply_errors

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target \
                and target.isprintable():
            return target
    return url_for("dashboard.home")


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            result = accounts.log_in(db(), settings(), form.email.data or "",
                                     form.password.data or "", request.remote_addr,
                                     request.user_agent.string)
        except AuthenticationFailed as exc:
            error = exc.message
        else:
            # A brand-new session: nothing from before login survives (session fixation).
            session.clear()
            session.permanent = True
            session[SESSION_TOKEN_KEY] = result.session_token
            login_user(result.user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/deconnexion")
@allow()
def logout():  # type: ignore[no-untyped-def]
    accounts.end_login_session(db(), session.get(SESSION_TOKEN_KEY))
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/mon-compte", methods=["GET", "POST"])
@allow()
def account():  # type: ignore[no-untyped-def]
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db(), settings(), current_user,
                                     form.current_password.data or "",
                                     form.new_password.data or "",
                                     keep_session_token=session.get(SESSION_TOKEN_KEY))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash("Mot de passe modifié.", "success")
            return redirect(url_for("auth.account"))
    status = 422 if form.errors else 200
    return render_template("auth/account.html", form=form), status
