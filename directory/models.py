"""The directory's tables: communes (reference), services and the communes they serve."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.db import Base, utcnow


class Commune(Base):
    __tablename__ = "communes"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    departement: Mapped[str] = mapped_column(String(3), index=True)
    arrondissement: Mapped[str | None] = mapped_column(String(4))
    epci_siren: Mapped[str | None] = mapped_column(String(9), index=True)
    epci_name: Mapped[str | None] = mapped_column(String(200))
    postcodes: Mapped[str] = mapped_column(String(100), default="")
    population: Mapped[int | None]


class DirectoryService(Base):
    __tablename__ = "directory_services"
    __table_args__ = (UniqueConstraint("source", "source_id"),
                      Index("ix_directory_services_category_commune", "category",
                            "commune_insee"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # finess, sae, hsds, manual, demo
    source_id: Mapped[str] = mapped_column(String(100))
    finess: Mapped[str | None] = mapped_column(String(9), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # folded name: the same sort order on both engines, whatever their collation
    name_key: Mapped[str] = mapped_column(String(300), default="")
    organisation_name: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(5))
    # indexed alone too: the centre of a commune's services is its origin for distances
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    phones: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    opening_hours: Mapped[str | None] = mapped_column(Text)
    age_min: Mapped[int | None]
    age_max: Mapped[int | None]
    sector: Mapped[str | None] = mapped_column(String(40))
    conditions: Mapped[str | None] = mapped_column(Text)
    accepts_dual_diagnosis: Mapped[bool | None]
    accepting_new: Mapped[bool | None]
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    care_level: Mapped[int | None]
    waiting_days: Mapped[int | None]
    waiting_reported_on: Mapped[date | None]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(default=False)
    last_verified_on: Mapped[date | None]
    search_text: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune | None] = relationship(lazy="joined")
    served: Mapped[list[ServedCommune]] = relationship(cascade="all, delete-orphan",
                                                       lazy="selectin")


class ServedCommune(Base):
    """A commune a service serves (psychiatric sector, catchment area)."""

    __tablename__ = "directory_served_communes"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), primary_key=True,
                                               index=True)


class CurationTask(Base):
    """'This information is out of date': reported by any user, handled by an admin."""

    __tablename__ = "directory_curation_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text)
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    service: Mapped[DirectoryService] = relationship(lazy="joined")


class ServiceEdit(Base):
    """One field of a service changed by hand (an admin's correction), or an import that
    overwrote such a correction: the old and new values. The latest entry of a field
    says whether its value is an admin's, which a re-import keeps (directory/curation.py)."""

    __tablename__ = "directory_service_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    origin: Mapped[str] = mapped_column(String(20))  # admin, or the import's source
    edited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)

    edited_by: Mapped[Any] = relationship("User", lazy="joined")
