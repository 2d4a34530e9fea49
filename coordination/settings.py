"""Settings read from environment variables, with safe local defaults.

A bad value stops start-up with a message naming the variable: a typo in a deployment
must never silently fall back to a default that weakens security.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "COORDINATION_"
DEFAULT_INSTANCE_PATH = Path.cwd() / "instance"


class SettingsError(ValueError):
    """A configuration variable holds a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    cookie_secure: bool
    session_idle_minutes: int
    session_max_hours: int
    login_max_failures: int
    login_lock_minutes: int
    api_token_hours: int
    trusted_proxies: int
    log_level: str
    timezone: str
    # e-mail notifications: sent only when an SMTP host is configured
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "coordination@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    public_url: str = "http://127.0.0.1:5000"
    # Observatory: counts from 1 to threshold - 1 are published as "secret statistique".
    suppression_threshold: int = 11
    # Requests to the token endpoint per minute and client address.
    api_token_rate_limit: int = 30
    # A second factor (TOTP) for every account: enrolment right after the password.
    require_mfa: bool = False
    # Access-log entries (reads, exports, logins) are purged after this many months.
    audit_retention_months: int = 12
    # Closed situations are anonymised this many months after closure.
    retention_months: int = 24
    # Largest request body accepted (413 above): forms and JSON only, no file uploads.
    max_request_mb: int = 4
    # Seconds each web worker keeps the observatory's figures of a period (0: never).
    observatory_cache_seconds: int = 300

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# name (without prefix) -> (description, default shown in the README)
DOCUMENTED_VARIABLES: dict[str, tuple[str, str]] = {
    "INSTANCE_PATH": ("Folder for the SQLite database and the generated secret key", "./instance"),
    "DATABASE_URL": (
        "SQLAlchemy URL: `sqlite:///path.db` or `postgresql+psycopg://user:pw@host/db`",
        "SQLite file `coordination.db` in the instance folder",
    ),
    "SECRET_KEY": (
        "Signs sessions and CSRF tokens (at least 32 characters)",
        "generated once into `instance/secret_key`",
    ),
    "COOKIE_SECURE": ("Send cookies over HTTPS only (set `true` behind TLS)", "false"),
    "SESSION_IDLE_MINUTES": ("Idle time after which a web session ends", "30"),
    "SESSION_MAX_HOURS": ("Absolute lifetime of a web session", "12"),
    "LOGIN_MAX_FAILURES": ("Failed logins on one account before it is locked", "10"),
    "LOGIN_LOCK_MINUTES": ("Lock duration, and the window in which failures are counted", "15"),
    "API_TOKEN_HOURS": ("Lifetime of an API token", "12"),
    "API_TOKEN_RATE_LIMIT": ("Requests to `POST /api/v1/auth/token` per minute from one "
                             "client address (then 429 with `Retry-After`)", "30"),
    "TRUSTED_PROXIES": ("Number of reverse proxies whose X-Forwarded-* headers are trusted", "0"),
    "LOG_LEVEL": ("DEBUG, INFO, WARNING or ERROR", "INFO"),
    "TIMEZONE": ("Time zone used to display dates", "Europe/Paris"),
    "SMTP_HOST": ("SMTP server for e-mail notifications (none: in-app only)", "unset"),
    "SMTP_PORT": ("SMTP port", "25"),
    "SMTP_SENDER": ("From address of notification e-mails", "coordination@localhost"),
    "SMTP_USERNAME": ("SMTP login, when the server requires one", "unset"),
    "SMTP_PASSWORD": ("SMTP password", "unset"),
    "SMTP_STARTTLS": ("Upgrade the SMTP connection with STARTTLS", "false"),
    "PUBLIC_URL": ("Address of the application, for links in e-mails",
                   "http://127.0.0.1:5000"),
    "SUPPRESSION_THRESHOLD": (
        "Observatory: counts from 1 to this value minus one are masked (secret statistique)",
        "11",
    ),
    "REQUIRE_MFA": ("Every account must use a second factor (TOTP): without one, the person "
                    "is sent to enrolment right after the password and can do nothing else",
                    "false"),
    "AUDIT_RETENTION_MONTHS": ("Access-log entries of the audit trail (reads, exports, "
                               "logins) are purged after this many months (CNIL: 6 to 12)",
                               "12"),
    "RETENTION_MONTHS": ("Closed situations are anonymised this many months after closure "
                         "(see docs/privacy.md for the legal basis; check it for your "
                         "deployment)", "24"),
    "MAX_REQUEST_MB": ("Largest request body accepted, in megabytes (form or JSON; the "
                       "application takes no file upload): above it, 413", "4"),
    "OBSERVATORY_CACHE_SECONDS": (
        "Observatory: seconds each web worker reuses the figures of a period (0: never)",
        "300",
    ),
}


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(
            f"{PREFIX}{name} must be a whole number between {low} and {high}, got {raw!r}"
        ) from None
    if not low <= value <= high:
        raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: set[str]) -> str:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().upper()
    if value not in choices:
        raise SettingsError(f"{PREFIX}{name} must be one of {sorted(choices)}, got {raw!r}")
    return value


def _database_url(env: Mapping[str, str], instance_path: Path) -> str:
    raw = env.get(PREFIX + "DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{instance_path / 'coordination.db'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError(
            f"{PREFIX}DATABASE_URL is not a database URL (expected sqlite:///… or "
            f"postgresql+psycopg://…), got {raw!r}"
        ) from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise SettingsError(
            f"{PREFIX}DATABASE_URL must point to SQLite or PostgreSQL, "
            f"got {url.get_backend_name()!r}"
        )
    if url.get_backend_name() == "postgresql" and url.drivername != "postgresql+psycopg":
        # psycopg 3 is the driver we install and test; psycopg2 URLs would fail later.
        raw = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return raw


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    raw = env.get(PREFIX + "SECRET_KEY")
    if raw is not None and raw.strip():
        if len(raw.strip()) < 32:
            raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters long")
        return raw.strip()
    key_file = instance_path / "secret_key"
    if key_file.exists():
        key = key_file.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Owner-only permissions (whoever reads it can forge sessions), and O_EXCL: when
    # several workers start at once, one writes the key and the others read it.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            existing = key_file.read_text(encoding="utf-8").strip()
            if len(existing) >= 32:
                return existing
            time.sleep(0.02)
        raise SettingsError(f"{key_file} exists but holds no usable key: delete it or set "
                            f"{PREFIX}SECRET_KEY") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    raw_instance = env.get(PREFIX + "INSTANCE_PATH", "").strip()
    instance_path = Path(raw_instance).resolve() if raw_instance else DEFAULT_INSTANCE_PATH
    if instance_path.exists() and not instance_path.is_dir():
        raise SettingsError(f"{PREFIX}INSTANCE_PATH is not a folder: {instance_path}")
    timezone = env.get(PREFIX + "TIMEZONE", "").strip() or "Europe/Paris"
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception:  # noqa: BLE001 - ZoneInfo raises several unrelated types
        raise SettingsError(
            f"{PREFIX}TIMEZONE is not a known time zone, got {timezone!r}") from None
    return Settings(
        instance_path=instance_path,
        database_url=_database_url(env, instance_path),
        secret_key=_secret_key(env, instance_path),
        cookie_secure=_bool(env, "COOKIE_SECURE", False),
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_max_hours=_int(env, "SESSION_MAX_HOURS", 12, 1, 24 * 7),
        login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 10, 3, 100),
        login_lock_minutes=_int(env, "LOGIN_LOCK_MINUTES", 15, 1, 24 * 60),
        api_token_hours=_int(env, "API_TOKEN_HOURS", 12, 1, 24 * 30),
        api_token_rate_limit=_int(env, "API_TOKEN_RATE_LIMIT", 30, 1, 10_000),
        trusted_proxies=_int(env, "TRUSTED_PROXIES", 0, 0, 5),
        log_level=_choice(env, "LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"}),
        timezone=timezone,
        smtp_host=env.get(PREFIX + "SMTP_HOST", "").strip() or None,
        smtp_port=_int(env, "SMTP_PORT", 25, 1, 65535),
        smtp_sender=_email(env, "SMTP_SENDER", "coordination@localhost"),
        smtp_username=env.get(PREFIX + "SMTP_USERNAME", "").strip() or None,
        smtp_password=env.get(PREFIX + "SMTP_PASSWORD") or None,
        smtp_starttls=_bool(env, "SMTP_STARTTLS", False),
        public_url=_public_url(env),
        suppression_threshold=_int(env, "SUPPRESSION_THRESHOLD", 11, 1, 1000),
        require_mfa=_bool(env, "REQUIRE_MFA", False),
        audit_retention_months=_int(env, "AUDIT_RETENTION_MONTHS", 12, 1, 120),
        retention_months=_int(env, "RETENTION_MONTHS", 24, 1, 240),
        max_request_mb=_int(env, "MAX_REQUEST_MB", 4, 1, 100),
        observatory_cache_seconds=_int(env, "OBSERVATORY_CACHE_SECONDS", 300, 0, 86400),
    )


def _email(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return default
    if "@" not in raw or any(c.isspace() for c in raw):
        raise SettingsError(f"{PREFIX}{name} must be an e-mail address, got {raw!r}")
    return raw


def _public_url(env: Mapping[str, str]) -> str:
    raw = env.get(PREFIX + "PUBLIC_URL", "").strip().rstrip("/")
    if not raw:
        return "http://127.0.0.1:5000"
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{PREFIX}PUBLIC_URL must start with http:// or https://, "
                            f"got {raw!r}")
    return raw
