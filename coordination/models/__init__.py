"""ORM models. Importing this package registers every table on `Base.metadata`."""

from coordination.models.accounts import (
    ApiToken,
    LoginSession,
    LoginThrottle,
    Organisation,
    RecoveryCode,
    User,
    UserRole,
)
from coordination.models.audit import AuditEvent, AuditTombstone
from coordination.models.calls import Call, CallMotive, CallMotiveChoice, CallOrientation
from coordination.models.meetings import (
    Action,
    ActionTransition,
    AgendaItem,
    JobRun,
    Meeting,
    MeetingAttendance,
    MeetingSeries,
    MeetingStatus,
    Notification,
)
from coordination.models.persons import ConsentRecord, IdentityStatusChange, Person, PersonMerge
from coordination.models.ruptures import Rupture, RuptureCandidate, RuptureMonthCount
from coordination.models.situations import (
    LogigrammeVersion,
    Situation,
    SituationShare,
    TransitionRecord,
    TriageRecord,
)
from directory.models import Commune, CurationTask, DirectoryService, ServedCommune

__all__ = [
    "AuditTombstone",
    "RecoveryCode",
    "Action",
    "ActionTransition",
    "AgendaItem",
    "JobRun",
    "Meeting",
    "MeetingAttendance",
    "MeetingSeries",
    "MeetingStatus",
    "Notification",
    "ApiToken",
    "AuditEvent",
    "Call",
    "CallMotive",
    "CallMotiveChoice",
    "CallOrientation",
    "Commune",
    "CurationTask",
    "DirectoryService",
    "ServedCommune",
    "ConsentRecord",
    "IdentityStatusChange",
    "LoginSession",
    "LoginThrottle",
    "LogigrammeVersion",
    "Organisation",
    "Person",
    "PersonMerge",
    "Rupture",
    "RuptureCandidate",
    "RuptureMonthCount",
    "Situation",
    "SituationShare",
    "TransitionRecord",
    "TriageRecord",
    "User",
    "UserRole",
]
