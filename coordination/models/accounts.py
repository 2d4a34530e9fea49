"""Organisations, users and their credentials (DESIGN §3, §7)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, enum_column, utcnow
from coordination.domain.accounts import OrganisationType, Role


class Organisation(Base):
    __tablename__ = "organisations"
    __audited__ = True  # its health-team flag decides who sees what without consent

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # case- and accent-insensitive form of the name, the same on SQLite and PostgreSQL
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[OrganisationType] = mapped_column(
        enum_column(OrganisationType, "organisation_type"))
    is_health_professional_team: Mapped[bool]
    agreement_signed_on: Mapped[date | None]
    agreement_ends_on: Mapped[date | None]
    finess: Mapped[str | None] = mapped_column(String(9))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    @staticmethod
    def key_for(name: str) -> str:
        decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))


class User(Base):
    __tablename__ = "users"
    __audited__ = True  # staff personal data: every write goes to the audit trail
    # the login itself is an audit entry; the last TOTP step moves at every login
    __audit_ignore__ = frozenset({"last_login_at", "totp_last_step"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # TOTP second factor: the secret is encrypted (AES-GCM, key derived from the secret
    # key); enrolment is confirmed by a first code. The last accepted time step refuses a
    # code replayed within its 30-second window.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(200))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    # Flask-Login protocol (kept here so that the web layer needs no wrapper class).
    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_roles"
    __audited__ = True  # granting a role is granting access

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)


class LoginSession(Base):
    """A signed-in browser. The cookie holds a random token; we keep only its hash, so
    that logging out, disabling an account or the idle limit end it on the server."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(Base):
    """Failed logins per e-mail address (hashed), whether or not an account exists, so
    that locking never tells an attacker which addresses are real."""

    __tablename__ = "login_throttles"

    email_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class RecoveryCode(Base):
    """Single-use codes for a lost authenticator, shown once and kept only as hashes."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
