"""Persons (usagers), their identity history, information/consent records and merges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, enum_column, utcnow
from coordination.domain.consent import ConsentKind
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex


class Person(Base):
    __tablename__ = "persons"
    __audited__ = True
    __table_args__ = (
        Index("ix_persons_birth_date", "birth_date"),
        Index("ix_persons_name_keys", "name_key", "first_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # strict traits (RNIV)
    birth_name: Mapped[str] = mapped_column(String(100))
    birth_first_names: Mapped[str] = mapped_column(String(200))
    first_birth_first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    birth_place_insee: Mapped[str | None] = mapped_column(String(5))
    birth_country_insee: Mapped[str | None] = mapped_column(String(5))
    # usual traits
    used_name: Mapped[str | None] = mapped_column(String(100))
    used_first_name: Mapped[str | None] = mapped_column(String(100))
    identity_status: Mapped[IdentityStatus] = mapped_column(
        enum_column(IdentityStatus, "identity_status"), default=IdentityStatus.PROVISIONAL)
    ins: Mapped[str | None] = mapped_column(String(15), index=True)
    # contact and circle
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(30))
    gp_name: Mapped[str | None] = mapped_column(String(200))
    gp_phone: Mapped[str | None] = mapped_column(String(30))
    gp_directory_service_id: Mapped[int | None]
    caregiver_name: Mapped[str | None] = mapped_column(String(200))
    caregiver_relation: Mapped[str | None] = mapped_column(String(100))
    caregiver_phone: Mapped[str | None] = mapped_column(String(30))
    legal_protection: Mapped[LegalProtection] = mapped_column(
        enum_column(LegalProtection, "legal_protection"), default=LegalProtection.NONE)
    legal_protection_holder: Mapped[str | None] = mapped_column(String(200))
    # derived keys for duplicate detection and accent-insensitive search
    name_key: Mapped[str] = mapped_column(String(120))
    used_name_key: Mapped[str | None] = mapped_column(String(120))
    first_name_key: Mapped[str] = mapped_column(String(120))
    search_text: Mapped[str] = mapped_column(String(400))
    # lifecycle
    duplicate_override_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # retention: identity traits replaced
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="person", order_by="ConsentRecord.id",
        foreign_keys="ConsentRecord.person_id")
    status_changes: Mapped[list[IdentityStatusChange]] = relationship(
        order_by="IdentityStatusChange.id")

    @property
    def display_name(self) -> str:
        used = f" (usage : {self.used_name})" if self.used_name else ""
        first = self.used_first_name or self.first_birth_first_name
        return f"{self.birth_name.upper()}{used} {first}"

    @property
    def is_tombstone(self) -> bool:
        return self.merged_into_id is not None


class IdentityStatusChange(Base):
    __tablename__ = "identity_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    from_status: Mapped[IdentityStatus | None] = mapped_column(
        enum_column(IdentityStatus, "identity_status"))
    to_status: Mapped[IdentityStatus] = mapped_column(
        enum_column(IdentityStatus, "identity_status"))
    reason: Mapped[str] = mapped_column(String(500))
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentRecord(Base):
    """Information given to the person, their opposition to sharing, or their consent to
    share with one named non-health organisation; revocable, never deleted."""

    __tablename__ = "consent_records"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind, "consent_kind"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    scope: Mapped[str | None] = mapped_column(String(200))
    # A consent naming a non-health organisation may include the health details of the
    # intake (psychiatric, addiction…); without it that organisation sees the rest only.
    covers_health_details: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str | None] = mapped_column(String(40))
    recorded_on: Mapped[date]
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    revoked_on: Mapped[date | None]
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="consents", foreign_keys=[person_id])
    organisation = relationship("Organisation", lazy="joined")
    recorded_by = relationship("User", foreign_keys=[recorded_by_user_id], lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.revoked_on is None


class PersonMerge(Base):
    """One merge: which references moved from `merged` to `survivor`, so an admin can
    undo it exactly."""

    __tablename__ = "person_merges"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    moved: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    performed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    performed_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    survivor = relationship("Person", foreign_keys=[survivor_id], lazy="joined")
    merged = relationship("Person", foreign_keys=[merged_id], lazy="joined")
