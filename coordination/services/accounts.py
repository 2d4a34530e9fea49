"""Organisations, users, logins, sessions and API tokens."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    TooManyRequests,
    ValidationError,
    as_id,
    is_id,
)
from coordination.domain.passwords import (
    DUMMY_HASH,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from coordination.models import ApiToken, LoginSession, LoginThrottle, Organisation, User, UserRole
from coordination.services import audit
from coordination.services.pagination import Page, paginate
from coordination.settings import Settings

log = logging.getLogger("coordination.security")

# Deliberately the same message for an unknown address, a wrong password, a disabled
# account and a locked one: none of them may tell a caller which addresses exist.
LOGIN_REFUSED = (
    "Connexion refusée : adresse e-mail ou mot de passe incorrect. Après plusieurs essais "
    "infructueux, la connexion à ce compte est suspendue pendant quelques minutes."
)
SECOND_FACTOR_REFUSED = (
    "Code refusé : saisissez le code à 6 chiffres affiché par votre application "
    "d'authentification (un code déjà utilisé ne vaut plus), ou un code de secours.")
MFA_ENROLMENT_REQUIRED = (
    "La double authentification est obligatoire : activez-la depuis l'application web "
    "avant de demander un jeton.")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# last_seen_at is written at most this often, so that reading pages is not a write each time
_TOUCH_INTERVAL = timedelta(seconds=60)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- organisations -------------------------------------------------------------------------

def create_organisation(session: Session, *, name: str, type: OrganisationType,
                        is_health_professional_team: bool | None = None,
                        agreement_signed_on: date | None = None,
                        agreement_ends_on: date | None = None,
                        finess: str | None = None, is_demo: bool = False) -> Organisation:
    name = " ".join(name.split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Le nom est obligatoire."]
    elif session.scalar(select(Organisation.id)
                        .where(Organisation.name_key == Organisation.key_for(name))):
        errors["name"] = [f"Une organisation nommée « {name} » existe déjà."]
    if finess is not None and not re.fullmatch(r"\d[\dAB]\d{7}", finess):
        errors["finess"] = ["Le numéro FINESS compte 9 caractères (ex. 110780061)."]
    if agreement_signed_on and agreement_ends_on and agreement_ends_on < agreement_signed_on:
        errors["agreement_ends_on"] = ["La fin de convention précède sa signature."]
    if errors:
        raise ValidationError(errors)
    organisation = Organisation(
        name=name, name_key=Organisation.key_for(name), type=type,
        is_health_professional_team=(type.usually_health_team
                                     if is_health_professional_team is None
                                     else is_health_professional_team),
        agreement_signed_on=agreement_signed_on, agreement_ends_on=agreement_ends_on,
        finess=finess, is_demo=is_demo,
    )
    session.add(organisation)
    session.commit()
    return organisation


def find_organisation(session: Session, name_or_id: str | int) -> Organisation:
    as_number = name_or_id if isinstance(name_or_id, int) else as_id(name_or_id)
    if as_number is not None or isinstance(name_or_id, int):
        found = session.get(Organisation, as_number) if is_id(as_number) else None
    else:
        found = session.scalar(
            select(Organisation)
            .where(Organisation.name_key == Organisation.key_for(str(name_or_id)))
        )
    if found is None:
        raise NotFound(f"Organisation inconnue : {name_or_id}")
    return found


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def organisations_with_user_counts(session: Session) -> list[tuple[Organisation, int]]:
    """The admin list: each organisation and its number of accounts, in one query."""
    counts = (select(User.organisation_id, func.count().label("users"))
              .group_by(User.organisation_id).subquery())
    rows = session.execute(select(Organisation, func.coalesce(counts.c.users, 0))
                           .outerjoin(counts, counts.c.organisation_id == Organisation.id)
                           .order_by(Organisation.name))
    return [(organisation, count) for organisation, count in rows]


def page_of_organisations(session: Session, page: int, per_page: int) -> Page[Organisation]:
    return paginate(session, select(Organisation).order_by(Organisation.name, Organisation.id),
                    page, per_page)


# --- users ---------------------------------------------------------------------------------

def create_user(session: Session, *, email: str, full_name: str, organisation: Organisation,
                roles: Iterable[Role], password: str) -> User:
    email = normalise_email(email)
    full_name = " ".join(full_name.split())
    roles = sorted(set(roles))
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email):
        errors["email"] = ["Adresse e-mail invalide."]
    elif session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = ["Un compte existe déjà avec cette adresse."]
    if not full_name:
        errors["full_name"] = ["Le nom est obligatoire."]
    if not roles:
        errors["roles"] = ["Choisissez au moins un rôle."]
    problems = password_problems(password, (full_name, email))
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationError(errors)
    user = User(email=email, full_name=full_name, organisation=organisation,
                password_hash=hash_password(password),
                role_rows=[UserRole(role=role) for role in roles])
    session.add(user)
    session.commit()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


def list_users(session: Session) -> list[User]:
    audit.record(session, "read", "users", None, detail="liste des comptes")
    return list(session.scalars(select(User).order_by(User.full_name)))


def set_user_enabled(session: Session, actor: User | None, user: User, enabled: bool) -> None:
    """Disabling ends the account's sessions and API tokens at once."""
    if actor is not None and actor.id == user.id and not enabled:
        raise Conflict("Vous ne pouvez pas désactiver votre propre compte.")
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(session, user, "account_disabled")
    session.commit()


def change_password(session: Session, settings: Settings, user: User, current: str, new: str,
                    keep_session_token: str | None = None) -> None:
    """Wrong current passwords count towards the same lock-out as logins; a new password
    ends every other session and API token of the account."""
    now = utcnow()
    throttle = _throttle_for_update(session, user.email, now)
    locked = throttle.locked_until is not None and throttle.locked_until > now
    if locked or not verify_password(user.password_hash, current):
        _count_failure(settings, throttle, now)
        session.commit()
        raise ValidationError({"current_password": [
            "Mot de passe actuel incorrect (après plusieurs essais, la modification est "
            "suspendue quelques minutes)."]})
    problems = password_problems(new, (user.full_name, user.email))
    if problems:
        raise ValidationError({"new_password": problems})
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    end_all_sessions(session, user, "password_changed",
                      keep=_digest(keep_session_token) if keep_session_token else None)
    session.commit()


def end_all_sessions(session: Session, user: User, reason: str, keep: str | None = None) -> None:
    now = utcnow()
    session.execute(update(LoginSession)
                    .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
                           LoginSession.token_hash != (keep or ""))
                    .values(ended_at=now, end_reason=reason))
    session.execute(update(ApiToken)
                    .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


# --- authentication ------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    user: User
    session_token: str


@dataclass(frozen=True)
class SecondFactorRequired:
    """The password was right; the account's TOTP code must follow."""

    user_id: int


def log_in(session: Session, settings: Settings, email: str, password: str,
           remote_addr: str | None, user_agent: str | None
           ) -> LoginResult | SecondFactorRequired:
    """Check the credentials and open a new server-side session (a fresh token each time,
    so that a session identifier known before login is worth nothing after it). An account
    with a second factor gets no session before its code: `complete_second_factor`."""
    user = _authenticate(session, settings, email, password)
    if user.has_totp:
        session.commit()
        return SecondFactorRequired(user.id)
    return _open_session(session, user, remote_addr, user_agent)


def complete_second_factor(session: Session, settings: Settings, user_id: int, code: str,
                           remote_addr: str | None, user_agent: str | None) -> LoginResult:
    """The second step of a login: wrong codes count towards the account's lock-out."""
    user = session.get(User, user_id)
    if user is None or not user.is_enabled or not user.has_totp:
        raise AuthenticationFailed(LOGIN_REFUSED)
    _check_second_factor(session, settings, user, code)
    return _open_session(session, user, remote_addr, user_agent)


def _check_second_factor(session: Session, settings: Settings, user: User, code: str) -> None:
    from coordination.services import mfa

    now = utcnow()
    throttle = _throttle_for_update(session, user.email, now)
    locked = throttle.locked_until is not None and throttle.locked_until > now
    if locked or not mfa.verify_second_factor(session, settings, user, code or ""):
        _count_failure(settings, throttle, now)
        audit.record(session, "login_failed", "users", user.id,
                     detail="second_factor_locked" if locked else "second_factor")
        session.commit()
        log.warning("login refused: second factor user_id=%s locked=%s", user.id, locked)
        raise AuthenticationFailed(SECOND_FACTOR_REFUSED)
    throttle.failures, throttle.locked_until = 0, None
    user.last_login_at = now
    audit.act_as(session, user.id, user.email)
    audit.record(session, "login", "users", user.id, detail="second_factor")
    log.info("login succeeded user_id=%s with second factor", user.id)


def _open_session(session: Session, user: User, remote_addr: str | None,
                  user_agent: str | None) -> LoginResult:
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id,
                             remote_addr=remote_addr, user_agent=(user_agent or "")[:300]))
    session.commit()
    return LoginResult(user, token)


def _authenticate(session: Session, settings: Settings, email: str, password: str) -> User:
    """The user for these credentials, or AuthenticationFailed (always the same message).

    Failures are counted per e-mail address whether or not an account exists; once
    `login_max_failures` happen within `login_lock_minutes`, the address is locked for
    `login_lock_minutes`, even for the right password. For an account with a second
    factor, the right password alone neither resets the count nor logs in: guessing codes
    between right passwords must still lock the account.
    """
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email)) if email else None
    known_hash = user.password_hash if user else DUMMY_HASH
    session.commit()  # the slow argon2 check below must not hold the database's write lock
    # Always one argon2 verification, so that timing does not reveal whether the account
    # exists.
    password_ok = verify_password(known_hash, password)
    now = utcnow()
    throttle = _throttle_for_update(session, email, now)
    locked = throttle.locked_until is not None and throttle.locked_until > now
    if locked or user is None or not password_ok or not user.is_enabled:
        _count_failure(settings, throttle, now)
        audit.record(session, "login_failed", "users", user.id if user else None,
                     detail="locked" if locked else None)
        session.commit()
        # the address is not logged (it may be mistyped personal data): the account id is
        log.warning("login refused user_id=%s locked=%s", user.id if user else None, locked)
        raise AuthenticationFailed(LOGIN_REFUSED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.has_totp:
        audit.record(session, "login_password_ok", "users", user.id)
        log.info("login password accepted user_id=%s, second factor pending", user.id)
        return user
    throttle.failures, throttle.locked_until = 0, None
    user.last_login_at = now
    audit.act_as(session, user.id, user.email)
    audit.record(session, "login", "users", user.id)
    log.info("login succeeded user_id=%s", user.id)
    return user


def _throttle_for_update(session: Session, email: str, now: datetime) -> LoginThrottle:
    """The address's throttle row, created if missing, locked until commit so that
    concurrent failures are all counted (PostgreSQL row lock; SQLite serialises writers)."""
    key = _digest(email)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(insert(LoginThrottle)
                    .values(email_key=key, failures=0, window_started_at=now)
                    .on_conflict_do_nothing(index_elements=["email_key"]))
    return session.scalars(select(LoginThrottle).where(LoginThrottle.email_key == key)
                           .with_for_update()
                           .execution_options(populate_existing=True)).one()


def _count_failure(settings: Settings, throttle: LoginThrottle, now: datetime) -> None:
    window = timedelta(minutes=settings.login_lock_minutes)
    if throttle.locked_until is not None and throttle.locked_until > now:
        return  # attempts during a lock neither extend nor count towards the next one
    if now - throttle.window_started_at > window or throttle.locked_until is not None \
            or throttle.failures == 0:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + window


@dataclass(frozen=True)
class SessionCheck:
    user: User | None
    expired: bool = False  # ended now by the idle or absolute limit: tell the person why
    disabled: bool = False  # ended because the account was disabled: tell them too


def resolve_login_session(session: Session, settings: Settings, token: str | None,
                          user_id: int) -> SessionCheck:
    """The signed-in user, or none when the session ended, idled out or is too old."""
    if not token:
        return SessionCheck(None)
    row = session.get(LoginSession, _digest(token))
    if row is None or row.user_id != user_id:
        return SessionCheck(None)
    if row.ended_at is not None:
        return SessionCheck(None, disabled=row.end_reason == "account_disabled")
    now = utcnow()
    reason = None
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        reason = "idle_timeout"
    elif now - row.created_at > timedelta(hours=settings.session_max_hours):
        reason = "max_age"
    user = session.get(User, row.user_id)
    if user is None or not user.is_enabled:
        reason = reason or "account_disabled"
    if reason:
        row.ended_at, row.end_reason = now, reason
        session.commit()
        return SessionCheck(None, expired=reason in {"idle_timeout", "max_age"},
                            disabled=reason == "account_disabled")
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        row.last_seen_at = now
        session.commit()
    return SessionCheck(user)


def end_login_session(session: Session, token: str | None, reason: str = "logout") -> None:
    if not token:
        return
    row = session.get(LoginSession, _digest(token))
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason
        audit.record(session, "logout", "users", row.user_id)
        session.commit()


# --- API tokens ----------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_api_token(session: Session, settings: Settings, email: str, password: str,
                    totp: str | None = None) -> IssuedToken:
    """`POST /api/v1/auth/token`: same credential checks and lock-out as the login page;
    `totp` (a code or a recovery code) is required when the account has a second factor,
    and a deployment requiring MFA issues no token to an account without one."""
    user = _authenticate(session, settings, email, password)
    if user.has_totp:
        _check_second_factor(session, settings, user, totp or "")
    elif settings.require_mfa:
        audit.record(session, "login_failed", "users", user.id, detail="mfa_not_enrolled")
        session.commit()
        log.warning("token refused user_id=%s: second factor required, none enrolled", user.id)
        raise AuthenticationFailed(MFA_ENROLMENT_REQUIRED)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=settings.api_token_hours)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=expires_at))
    audit.record(session, "api_token_issued", "users", user.id)
    session.commit()
    return IssuedToken(token, expires_at)


TOKEN_RATE_WINDOW = timedelta(minutes=1)


def check_token_rate(session: Session, settings: Settings, client_address: str | None) -> None:
    """Count a request to the token endpoint from `client_address`; TooManyRequests past
    `api_token_rate_limit` in the current minute. Checked before any password hashing, so
    a flood costs no argon2 work. Counted in the login throttle table (under a key no
    e-mail address can take), so that every web worker shares the count."""
    now = utcnow()
    throttle = _throttle_for_update(session, f"client-address {client_address or '?'}", now)
    if throttle.failures == 0 or now - throttle.window_started_at >= TOKEN_RATE_WINDOW:
        throttle.failures, throttle.window_started_at = 0, now
    throttle.failures += 1
    over = throttle.failures > settings.api_token_rate_limit
    window_ends = throttle.window_started_at + TOKEN_RATE_WINDOW
    session.commit()
    if over:
        raise TooManyRequests("Trop de demandes de jeton depuis cette adresse : réessayez "
                              "dans une minute.",
                              retry_after=max(1, math.ceil((window_ends - now).total_seconds())))


def resolve_api_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.is_enabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_INTERVAL:
        row.last_used_at = now
        session.commit()
    return row.user
