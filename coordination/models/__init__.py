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
from coordination.models.persons import ConsentRecord, IdentityStatusChange, Person, PersonMerge

__all__ = [
    "ApiToken",
    "AuditEvent",
    "ConsentRecord",
    "IdentityStatusChange",
    "LoginSession",
    "LoginThrottle",
    "Organisation",
    "Person",
    "PersonMerge",
    "User",
    "UserRole",
]
