"""The audit trail: append-only, each entry chained to the previous one by its hash."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from coordination.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: outlives accounts
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(64))
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str | None] = mapped_column(String(500))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def chained_content(self) -> dict[str, Any]:
        return chained_content({name: getattr(self, name) for name in CHAINED_COLUMNS})


# What the hash covers: every column except `id` (assigned by the database after hashing)
# and `hash` itself. `prev_hash` keeps entries in order.
CHAINED_COLUMNS = ("occurred_at", "actor_user_id", "actor_label", "action", "object_type",
                   "object_id", "changed_fields", "detail", "remote_addr", "prev_hash")


def chained_content(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of an entry given as its column values: the audit hook hashes
    the row it is about to insert without building an ORM object for it."""
    return {
        "occurred_at": row["occurred_at"].isoformat(),
        "actor_user_id": row["actor_user_id"],
        "actor_label": row["actor_label"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "changed_fields": list(row["changed_fields"] or []),
        "detail": row["detail"],
        "remote_addr": row["remote_addr"],
        "prev_hash": row["prev_hash"],
    }


class AuditTombstone(Base):
    """What remains of a purged access-log entry: its place in the chain (id, links) and
    nothing about who read what. The next entry still links to `hash`, so the chain stays
    verifiable; the database lets an entry be deleted only once its tombstone exists."""

    __tablename__ = "audit_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    purged_at: Mapped[datetime]
