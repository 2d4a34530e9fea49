"""Complex situations, their transition history, triage records, shares, and the published
logigramme versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, utcnow


class Situation(Base):
    __tablename__ = "situations"
    __audited__ = True
    # A state change has its own audit entry ("transition", with the event and reason).
    __audit_ignore__ = frozenset({"state", "state_before_rupture", "closure_reason",
                                  "closed_at", "version", "updated_at"})
    __table_args__ = (Index("ix_situations_state_review", "state", "next_review_on"),
                      # activity figures count the situations opened and closed in a period
                      Index("ix_situations_created_at", "created_at"),
                      Index("ix_situations_closed_at", "closed_at"),
                      # …of one organisation (its referents): one DAC of a region reads its
                      # own rows, not the region's period (also the referent's lookups)
                      Index("ix_situations_referent_created", "referent_user_id", "created_at"),
                      # the ids of an organisation's situations from the index alone (the
                      # visibility rule's referent lookup, read by every list)
                      Index("ix_situations_referent_id", "referent_user_id", "id"),
                      # lists sort by the last change: read backwards, not sorted
                      Index("ix_situations_updated", "updated_at", "id"),
                      Index("ix_situations_referent_closed", "referent_user_id", "closed_at",
                            "closure_reason"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    origin_call_id: Mapped[int | None] = mapped_column(
        # calls also point at situations: the cycle is broken by adding this one last
        ForeignKey("calls.id", use_alter=True), index=True)
    requester: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32), default="draft")
    state_before_rupture: Mapped[str | None] = mapped_column(String(32))
    intake_version: Mapped[str] = mapped_column(String(20))
    intake_answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    intake_updated_at: Mapped[datetime | None]
    referent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    next_review_on: Mapped[date | None]
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    # set by the retention job: identity and free texts replaced, counts kept
    anonymised_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    person = relationship("Person", lazy="joined")
    referent = relationship("User", foreign_keys=[referent_user_id], lazy="joined")
    history: Mapped[list[TransitionRecord]] = relationship(order_by="TransitionRecord.id")
    triages: Mapped[list[TriageRecord]] = relationship(order_by="TriageRecord.id")
    shares: Mapped[list[SituationShare]] = relationship(order_by="SituationShare.id")


class TransitionRecord(Base):
    """One state change: written in the same transaction as the change itself."""

    __tablename__ = "situation_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class TriageRecord(Base):
    """A logigramme run: the version, the answers it read, the path, the proposed outcome,
    and the final one when a coordinator overrode it (with the reason)."""

    __tablename__ = "triage_records"
    __table_args__ = (Index("ix_triage_records_occurred_at", "occurred_at"),
                      # a situation's triages, and its first one, without reading the rows
                      Index("ix_triage_records_situation_occurred", "situation_id",
                            "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"))
    logigramme_version: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    proposed_outcome: Mapped[str] = mapped_column(String(60))
    final_outcome: Mapped[str] = mapped_column(String(60))
    override_reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class SituationShare(Base):
    __tablename__ = "situation_shares"
    __audited__ = True
    __table_args__ = (UniqueConstraint("situation_id", "organisation_id"),
                      # an organisation's active shares, read by every coordinator's
                      # visibility rule: answered from the index alone
                      Index("ix_situation_shares_organisation_active", "organisation_id",
                            "revoked_at", "situation_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    organisation = relationship("Organisation", lazy="joined")


class LogigrammeVersion(Base):
    """A published logigramme; exactly one is current. Past versions stay for replay."""

    __tablename__ = "logigramme_versions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_current: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
