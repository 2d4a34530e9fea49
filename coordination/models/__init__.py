"""ORM models. Importing this package registers every table on `Base.metadata`."""

from coordination.models.accounts import (
    ApiToken,
    LoginSession,
    LoginThrottle,
    Organisation,
    User,
    UserRole,
)
from coordination.models.audit import AuditEvent

__all__ = [
    "ApiToken",
    "AuditEvent",
    "LoginSession",
    "LoginThrottle",
    "Organisation",
    "User",
    "UserRole",
]
