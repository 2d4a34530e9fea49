"""Pathway ruptures (ruptures de parcours) and the candidates the scheduler raises."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, utcnow


class Rupture(Base):
    """A rupture declared on a situation (codes of the taxonomy version it was declared
    under); open while `resolved_on` is empty."""

    __tablename__ = "ruptures"
    __audited__ = True
    __table_args__ = (
        # the observatory reads a period, the situation page and the workflow guard one
        # situation's open ruptures
        # Covers the observatory's usual group-by (period × type × territory), its
        # transition points, its recurrence per person (through the situation) and its
        # repair delays on its own.
        Index("ix_ruptures_observatory", "occurred_on", "type", "commune_insee",
              "transition_point", "situation_id", "resolved_on"),
        Index("ix_ruptures_situation_open", "situation_id", "resolved_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"))
    occurred_on: Mapped[date]
    taxonomy_version: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(63))
    cause: Mapped[str | None] = mapped_column(String(63))
    consequence: Mapped[str | None] = mapped_column(String(63))
    transition_point: Mapped[str | None] = mapped_column(String(63))
    # Where the person lived when the pathway broke (their commune at declaration): the
    # observatory's territory, kept when they move and read without joining their file.
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("directory_services.id"),
                                                   index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    description: Mapped[str | None] = mapped_column(Text)
    declared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_on: Mapped[date | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]

    situation = relationship("Situation", lazy="joined")
    service = relationship("DirectoryService", lazy="joined")
    organisation = relationship("Organisation", lazy="joined")
    declared_by = relationship("User", foreign_keys=[declared_by_user_id], lazy="joined")
    resolved_by = relationship("User", foreign_keys=[resolved_by_user_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class RuptureMonthCount(Base):
    """How many ruptures occurred in a month, by département (of the rupture's commune;
    "" when unknown) and type: what the observatory's usual questions read instead of a
    region's ruptures. Kept exact by database triggers on `ruptures` (migration 0017),
    whatever writes them; a cell whose ruptures were all removed stays with n = 0. SQLite:
    a migration that batch-alters `ruptures` must create the triggers again."""

    __tablename__ = "rupture_month_counts"

    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    departement: Mapped[str] = mapped_column(String(3), primary_key=True)
    type: Mapped[str] = mapped_column(String(63), primary_key=True)
    n: Mapped[int]


class RuptureCandidate(Base):
    """A fact that suggests a rupture (coordination/domain/rupture_candidates.py), raised
    once per key, ever: a dismissed key is never raised again."""

    __tablename__ = "rupture_candidates"
    __audited__ = True
    __table_args__ = (Index("ix_rupture_candidates_status_raised", "status", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(40))
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    explanation: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date]
    suggested_type: Mapped[str | None] = mapped_column(String(63))
    suggested_cause: Mapped[str | None] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, confirmed, dismissed
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    rupture_id: Mapped[int | None] = mapped_column(ForeignKey("ruptures.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)

    situation = relationship("Situation", lazy="joined")
    decided_by = relationship("User", lazy="joined")
    action = relationship("Action", lazy="joined")
