"""Partner meetings (series, meetings, agenda items, attendance), the actions decided for a
situation, and in-app notifications."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, enum_column, utcnow


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    AGENDA_FROZEN = "agenda_frozen"
    HELD = "held"
    MINUTES_PUBLISHED = "minutes_published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"scheduled": "Programmée", "agenda_frozen": "Ordre du jour arrêté",
                "held": "Tenue (compte rendu en préparation)",
                "minutes_published": "Compte rendu publié", "cancelled": "Annulée"}[self.value]

    @property
    def accepts_decisions(self) -> bool:
        return self in (MeetingStatus.SCHEDULED, MeetingStatus.AGENDA_FROZEN)


series_invitations = Table(
    "meeting_series_invitations", Base.metadata,
    Column("series_id", ForeignKey("meeting_series.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id"), primary_key=True),
)
meeting_invitations = Table(
    "meeting_invitations", Base.metadata,
    Column("meeting_id", ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id"), primary_key=True),
)


class MeetingSeries(Base):
    __tablename__ = "meeting_series"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    recurrence: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.meetings.as_mapping
    place: Mapped[str | None] = mapped_column(String(300))
    video_link: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invited = relationship("Organisation", secondary=series_invitations, lazy="selectin",
                           order_by="Organisation.name")


class Meeting(Base):
    __tablename__ = "meetings"
    __audited__ = True
    __audit_ignore__ = frozenset({"version"})
    __table_args__ = (
        # the scheduler creates each occurrence once: (series, date of the rule) is its key
        UniqueConstraint("series_id", "rule_date"),
        Index("ix_meetings_organisation_starts", "organisation_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(200))
    rule_date: Mapped[date | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    moved_from: Mapped[date | None]
    holiday_name: Mapped[str | None] = mapped_column(String(100))
    place: Mapped[str | None] = mapped_column(String(300))
    video_link: Mapped[str | None] = mapped_column(String(500))
    agenda_cap: Mapped[int] = mapped_column(default=12)
    freeze_on: Mapped[date]
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"), default=MeetingStatus.SCHEDULED)
    agenda_built_at: Mapped[datetime | None]
    agenda_edited_at: Mapped[datetime | None]  # last hand edit (move, add, remove, cap)
    agenda_frozen_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    minutes_published_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    general_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    series = relationship("MeetingSeries", lazy="joined")
    invited = relationship("Organisation", secondary=meeting_invitations, lazy="selectin",
                           order_by="Organisation.name")
    items: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", back_populates="meeting")
    attendance: Mapped[list[MeetingAttendance]] = relationship(
        order_by="MeetingAttendance.id", cascade="all, delete-orphan")


class AgendaItem(Base):
    """A situation on a meeting's agenda: why it is there, and what was decided."""

    __tablename__ = "agenda_items"
    __audited__ = True
    __audit_ignore__ = frozenset({"position", "score", "explanation", "reasons"})
    __table_args__ = (UniqueConstraint("meeting_id", "situation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"), index=True)
    position: Mapped[int | None]  # None while removed
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    score: Mapped[int] = mapped_column(default=0)
    explanation: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    pinned_position: Mapped[int | None]
    removed_at: Mapped[datetime | None]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the discussion
    discussion_notes: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    situation_event: Mapped[str | None] = mapped_column(String(40))
    next_review_on: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting = relationship("Meeting", back_populates="items")
    situation = relationship("Situation", lazy="joined")
    actions: Mapped[list[Action]] = relationship(back_populates="origin_item",
                                                 order_by="Action.id")


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"
    __audited__ = True
    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    present: Mapped[bool] = mapped_column(default=True)
    attendees: Mapped[str | None] = mapped_column(String(500))  # names, as said at the table

    organisation = relationship("Organisation", lazy="joined")


# The open states of workflows/action.py (a test checks they agree), as SQL for the partial
# index: an index's condition must be a constant.
OPEN_ACTIONS_SQL = "state IN ('open', 'in_progress', 'blocked')"


class Action(Base):
    __tablename__ = "actions"
    __audited__ = True
    __audit_ignore__ = frozenset({"state", "state_before_block", "version", "updated_at",
                                  "closed_at"})
    __table_args__ = (
        Index("ix_actions_assignee_state", "assignee_organisation_id", "state", "due_on"),
        # a situation's open actions; with the due date, "my actions" sorts from the index
        Index("ix_actions_situation_state_due", "situation_id", "state", "due_on"),
        # only the open ones (a region's few tens of thousands among hundreds of
        # thousands): "my actions" counts and sorts them from this index alone
        Index("ix_actions_open_situation", "situation_id", "due_on", "id",
              sqlite_where=text(OPEN_ACTIONS_SQL), postgresql_where=text(OPEN_ACTIONS_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"))
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(40))
    assignee_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(20), default="open")
    state_before_block: Mapped[str | None] = mapped_column(String(20))
    completion_note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    block_reason: Mapped[str | None] = mapped_column(String(40))
    origin_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"),
                                                       index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    situation = relationship("Situation", lazy="joined")
    assignee_organisation = relationship("Organisation", lazy="joined")
    assignee_user = relationship("User", foreign_keys=[assignee_user_id], lazy="joined")
    origin_item = relationship("AgendaItem", back_populates="actions")
    history: Mapped[list[ActionTransition]] = relationship(order_by="ActionTransition.id")


class ActionTransition(Base):
    __tablename__ = "action_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class Notification(Base):
    """An in-app notification (and its e-mail when SMTP is configured). `key` makes every
    sender idempotent: the same event never notifies the same person twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "key"),
                      Index("ix_notifications_user_unread", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # None: to be e-mailed; "sending" (claimed at email_claimed_at), "sent", "failed"
    # (retried a few times, see notifications.send_pending_emails).
    email_status: Mapped[str | None] = mapped_column(String(20))
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_claimed_at: Mapped[datetime | None]


class JobRun(Base):
    """When each scheduler job last completed: how a restart knows what it missed."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(Text)
