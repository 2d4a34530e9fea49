"""Login, logout and the account page (French)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from coordination.domain.errors import AuthenticationFailed, ValidationError
from coordination.services import accounts, mfa
from coordination.web.access import SESSION_TOKEN_KEY, allow, public
from coordination.web.context import db, settings
from coordination.web.forms import (
    LoginForm,
    PasswordChangeForm,
    SecondFactorForm,
    apply_errors,
)

bp = Blueprint("auth", __name__)
# Between the password and the code: the account id and when the password was given, in
# the signed session cookie. No session exists on the server until the code is right.
PENDING_KEY = "mfa_pending"
PENDING_SECONDS = 300


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
            next_path = request.args.get("next")
            if isinstance(result, accounts.SecondFactorRequired):
                session.clear()
                session[PENDING_KEY] = {"uid": result.user_id, "at": int(time.time()),
                                        "next": next_path}
                return redirect(url_for("auth.second_factor"))
            _start_session(result)
            return redirect(_safe_next(next_path))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


def _start_session(result: accounts.LoginResult) -> None:
    # A brand-new session: nothing from before login survives (session fixation).
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN_KEY] = result.session_token
    login_user(result.user)


@bp.route("/connexion/code", methods=["GET", "POST"])
@public
def second_factor():  # type: ignore[no-untyped-def]
    """The second step of a login for an account with TOTP."""
    pending = session.get(PENDING_KEY)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash("Saisissez à nouveau votre adresse et votre mot de passe.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    error = None
    if form.validate_on_submit():
        try:
            result = accounts.complete_second_factor(
                db(), settings(), int(pending["uid"]), form.code.data or "",
                request.remote_addr, request.user_agent.string)
        except AuthenticationFailed as exc:
            error = exc.message
        else:
            _start_session(result)
            return redirect(_safe_next(pending.get("next")))
    return render_template("auth/second_factor.html", form=form, error=error), \
        401 if error else 200


@bp.route("/mon-compte/double-authentification", methods=["GET", "POST"])
@allow()
def mfa_setup():  # type: ignore[no-untyped-def]
    """Enrol: scan the QR code (drawn here, the secret never leaves the server), confirm
    with a first code, note the recovery codes shown this once."""
    if current_user.has_totp:
        return render_template("auth/mfa.html", enrolment=None, form=None,
                               remaining=mfa.remaining_recovery_codes(db(), current_user))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(db(), settings(), current_user, form.code.data or "")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return render_template("auth/mfa_codes.html", codes=codes)
    enrolment = mfa.pending_enrolment(db(), settings(), current_user)
    # segno writes the SVG from the otpauth URI; nothing in it comes from a user.
    qr = Markup(enrolment.qr_svg)  # noqa: S704
    return render_template("auth/mfa.html", enrolment=enrolment, qr=qr, form=form,
                           required=settings().require_mfa), 422 if form.errors else 200


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
