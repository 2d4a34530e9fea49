"""Calls to the single number, their motives and the services the caller was oriented to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, enum_column, utcnow
from coordination.domain.calls import CallerType, CallOutcome, Channel


class CallMotive(Base):
    """The configurable list of call motives (admin page); a motive in use is retired,
    never deleted, so that past calls keep their meaning."""

    __tablename__ = "call_motives"
    __audited__ = True

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class Call(Base):
    __tablename__ = "calls"
    __audited__ = True
    __audit_ignore__ = frozenset({"version"})
    __table_args__ = (
        # the day's journal and the history are always read per receiving organisation
        Index("ix_calls_organisation_received", "organisation_id", "received_at"),
        # the history search reads caller names and numbers from the index alone
        Index("ix_calls_search", "organisation_id", "received_at", "caller_name_key",
              "caller_phone_key"),
        Index("ix_calls_callback_open", "organisation_id", "callback_done_at",
              "callback_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    received_at: Mapped[datetime]
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "call_channel"))
    duration_seconds: Mapped[int | None]
    caller_name: Mapped[str] = mapped_column(String(200))
    caller_name_key: Mapped[str] = mapped_column(String(200), index=True)
    caller_role: Mapped[str | None] = mapped_column(String(120))
    caller_organisation: Mapped[str | None] = mapped_column(String(200))
    caller_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True)
    caller_phone: Mapped[str | None] = mapped_column(String(30))
    caller_phone_key: Mapped[str | None] = mapped_column(String(30), index=True)
    caller_type: Mapped[CallerType] = mapped_column(enum_column(CallerType, "caller_type"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    person_label: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[CallOutcome] = mapped_column(enum_column(CallOutcome, "call_outcome"))
    situation_id: Mapped[int | None] = mapped_column(ForeignKey("situations.id"), index=True)
    callback_due_at: Mapped[datetime | None]
    callback_done_at: Mapped[datetime | None]
    callback_done_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    callback_note: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    taken_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two coordinators marking the same callback done: the second write finds a newer
    # version and fails instead of overwriting the first.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    motives: Mapped[list[CallMotiveChoice]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CallMotiveChoice.motive_code")
    orientations: Mapped[list[CallOrientation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CallOrientation.id")
    person = relationship("Person", lazy="joined")
    taken_by = relationship("User", foreign_keys=[taken_by_user_id], lazy="joined")
    caller_partner = relationship("Organisation", foreign_keys=[caller_organisation_id],
                                  lazy="joined")

    @property
    def motive_codes(self) -> list[str]:
        return [m.motive_code for m in self.motives]

    @property
    def service_ids(self) -> list[int]:
        return [o.service_id for o in self.orientations]

    @property
    def caller_organisation_name(self) -> str | None:
        return self.caller_partner.name if self.caller_partner else self.caller_organisation


class CallMotiveChoice(Base):
    __tablename__ = "call_motive_choices"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"),
                                         primary_key=True)
    motive_code: Mapped[str] = mapped_column(ForeignKey("call_motives.code"), primary_key=True,
                                             index=True)


class CallOrientation(Base):
    __tablename__ = "call_orientations"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id"), index=True)

    service = relationship("DirectoryService", lazy="joined")
