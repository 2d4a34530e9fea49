"""What each role's dashboard shows. Later modules add their sections here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.accounts import Role
from coordination.models import (
    AuditEvent,
    Call,
    LoginThrottle,
    Organisation,
    Situation,
    User,
    UserRole,
)
from coordination.services import audit, calls, policy
from coordination.workflows.complex_case import COMPLEX_CASE


@dataclass
class Dashboard:
    user: User
    partners: list[Organisation] = field(default_factory=list)
    agreements_ending: list[Organisation] = field(default_factory=list)
    organisations_by_type: list[tuple[str, int]] = field(default_factory=list)
    users_by_role: list[tuple[str, int]] = field(default_factory=list)
    locked_addresses: int = 0
    disabled_users: int = 0
    recent_audit: list[AuditEvent] = field(default_factory=list)
    situations_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    my_worklist: list[Situation] = field(default_factory=list)
    shared_with_me: list[Situation] = field(default_factory=list)
    callbacks: list[Call] = field(default_factory=list)
    calls_today: int = 0
    next_meetings: list[Any] = field(default_factory=list)


def for_user(session: Session, user: User, zone: tzinfo = calls.PARIS) -> Dashboard:
    board = Dashboard(user=user)
    today = date.today()
    if policy.can_take_calls(user):
        board.callbacks = calls.due_callbacks(session, user, zone=zone)
        board.calls_today = calls.count_today(session, user, zone=zone)
    if user.has_role(Role.COORDINATOR):
        counts = dict(session.execute(select(Situation.state, func.count())
                                      .where(policy.situation_visibility_clause(user))
                                      .group_by(Situation.state)).all())
        board.situations_by_state = [(s.name, s.label, counts.get(s.name, 0))
                                     for s in COMPLEX_CASE.states if s.name != "closed"]
        # What needs me: my drafts and situations to triage, and reviews that are due.
        board.my_worklist = list(session.scalars(
            select(Situation).where(
                Situation.referent_user_id == user.id,
                (Situation.state.in_(("draft", "reopened", "to_triage")))
                | ((Situation.next_review_on <= today) & (Situation.state != "closed")))
            .order_by(Situation.updated_at.desc()).limit(20)))
    elif user.has_role(Role.PARTNER):
        board.shared_with_me = list(session.scalars(
            select(Situation).where(policy.situation_visibility_clause(user),
                                    Situation.state != "closed")
            .order_by(Situation.updated_at.desc()).limit(20)))
    for situation in [*board.my_worklist, *board.shared_with_me]:
        audit.record_read(session, situation, detail="tableau de bord")
    if user.has_role(Role.COORDINATOR, Role.PARTNER):
        from coordination.services import meetings

        board.next_meetings = meetings.list_meetings(session, user, upcoming=True, limit=3)
    if user.has_role(Role.COORDINATOR, Role.PARTNER, Role.ADMIN):
        board.partners = list(session.scalars(select(Organisation).order_by(Organisation.name)))
        board.agreements_ending = [
            o for o in board.partners
            if o.agreement_ends_on and 0 <= (o.agreement_ends_on - today).days <= 90
        ]
    if user.has_role(Role.MANAGER, Role.ADMIN):
        board.organisations_by_type = [
            (kind.label, count) for kind, count in session.execute(
                select(Organisation.type, func.count()).group_by(Organisation.type)
                .order_by(func.count().desc()))
        ]
        board.users_by_role = [
            (role.label, count) for role, count in session.execute(
                select(UserRole.role, func.count()).join(User)
                .where(User.is_enabled.is_(True)).group_by(UserRole.role))
        ]
    if user.has_role(Role.ADMIN):
        board.locked_addresses = session.scalar(
            select(func.count()).select_from(LoginThrottle)
            .where(LoginThrottle.locked_until > utcnow())) or 0
        board.disabled_users = session.scalar(
            select(func.count()).select_from(User).where(User.is_enabled.is_(False))) or 0
        board.recent_audit = audit.recent(session, limit=10)
    return board
