"""The one audit hook (DESIGN §7).

Writes to audited models (`__audited__ = True`) are collected automatically after each
flush; reads of personal data are declared with `record_read`. Both become entries of an
append-only, hash-chained table when the transaction commits, so that an audit entry
exists if and only if the change it describes was committed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, event, insert, inspect, select, text
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.models import AuditEvent, AuditTombstone
from coordination.models.audit import chained_content

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the PostgreSQL advisory lock that serialises chain appends.
_PG_CHAIN_LOCK = 0x4A5D17
_PENDING = "audit_pending"
# Access-log entries: purged after the retention period (the database's DELETE trigger
# accepts these actions only, and only once their tombstone exists — migration 0009).
PURGEABLE_ACTIONS = ("read", "export", "login", "login_failed", "logout", "api_token_issued")
_ACTOR = "audit_actor"


@dataclass(frozen=True)
class AuditActor:
    user_id: int | None
    label: str
    remote_addr: str | None = None

    @classmethod
    def command_line(cls) -> AuditActor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(user_id=None, label=f"cli:{who}")


@dataclass
class _Pending:
    occurred_at: datetime
    action: str
    object_type: str
    object_id: str | None
    changed_fields: list[str] = field(default_factory=list)
    detail: str | None = None


def set_actor(session: Session, actor: AuditActor) -> None:
    session.info[_ACTOR] = actor


def get_actor(session: Session) -> AuditActor | None:
    return session.info.get(_ACTOR)


def act_as(session: Session, user_id: int, label: str) -> None:
    """From now on in this session, `user_id` acts (e.g. right after a successful login),
    from the same address."""
    previous = get_actor(session)
    set_actor(session, AuditActor(user_id, label, previous.remote_addr if previous else None))


def record(session: Session, action: str, object_type: str, object_id: object = None,
           changed_fields: list[str] | tuple[str, ...] = (), detail: str | None = None) -> None:
    """Queue an audit entry; it is written when (and only if) the transaction commits."""
    session.info.setdefault(_PENDING, []).append(
        _Pending(utcnow(), action, object_type, None if object_id is None else str(object_id),
                 sorted(changed_fields), detail)
    )


def record_read(session: Session, obj: Any, detail: str | None = None) -> None:
    record(session, "read", _type_name(obj), _identity(obj), detail=detail)


def has_pending(session: Session) -> bool:
    return bool(session.info.get(_PENDING))


def rollback_keeping_reads(session: Session) -> None:
    """Undo the transaction's changes, but keep the reads it declared and write them: a
    page that refuses an input (422) may still have shown personal data."""
    reads = [p for p in session.info.get(_PENDING, []) if p.action == "read"]
    session.rollback()
    if reads:
        session.info[_PENDING] = reads
        session.commit()


def _type_name(obj: Any) -> str:
    return getattr(obj, "__tablename__", type(obj).__name__)


def _identity(obj: Any) -> str | None:
    # The mapper reads the key from the attributes: during `after_flush` new objects
    # have their primary key but not yet an identity.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _changed_columns(obj: Any) -> list[str]:
    state = inspect(obj)
    return [attr.key for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()]


@event.listens_for(Session, "after_flush")
def _collect_writes(session: Session, _flush_context: Any) -> None:
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            record(session, "create", _type_name(obj), _identity(obj), _changed_columns(obj))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj):
            ignored = getattr(obj, "__audit_ignore__", frozenset())
            changed = [name for name in _changed_columns(obj) if name not in ignored]
            if changed:
                record(session, "update", _type_name(obj), _identity(obj), changed)
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            record(session, "delete", _type_name(obj), _identity(obj))


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_writes(state: Any) -> None:
    """A bulk UPDATE/DELETE would change audited rows without passing through the flush
    that records them: change such rows one object at a time instead. (A workflow
    transition writes the state columns with a Core UPDATE on the connection: its own
    "transition" entry is their audit, see `situations._write_state`.)"""
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if getattr(mapper.class_, "__audited__", False):
            raise PermissionError(f"bulk {'update' if state.is_update else 'delete'} of "
                                  f"audited {mapper.class_.__tablename__}: change objects "
                                  "one by one so that the audit trail records them")


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    session.flush()  # collect (through after_flush) the writes this commit is about to make
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    actor = get_actor(session) or AuditActor(user_id=None, label="unknown")
    # Core statements on the session's connection, in the committing transaction: no
    # ORM object per entry and no second pass of the unit of work.
    connection = session.connection()
    previous = _lock_and_read_head(connection)
    rows = []
    for item in pending:
        row = {"occurred_at": item.occurred_at, "actor_user_id": actor.user_id,
               "actor_label": actor.label, "action": item.action,
               "object_type": item.object_type, "object_id": item.object_id,
               "changed_fields": item.changed_fields, "detail": item.detail,
               "remote_addr": actor.remote_addr, "prev_hash": previous}
        row["hash"] = previous = _hash(chained_content(row))
        rows.append(row)
    connection.execute(_INSERT_ENTRY, rows[0] if len(rows) == 1 else rows)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


_AUDIT_TABLE = AuditEvent.__table__
_INSERT_ENTRY = insert(_AUDIT_TABLE)
_READ_HEAD = select(_AUDIT_TABLE.c.hash).order_by(_AUDIT_TABLE.c.id.desc()).limit(1)
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_PG_CHAIN_LOCK)


def _lock_and_read_head(connection: Connection) -> str:
    """The hash of the last entry, read in this transaction (never remembered from an
    earlier one: another process may have appended since)."""
    if connection.dialect.name == "postgresql":
        # Held until commit: concurrent transactions append one after the other, so the
        # chain never forks. (SQLite transactions begin IMMEDIATE: already serialised.)
        connection.execute(_LOCK_CHAIN)
    return connection.scalar(_READ_HEAD) or GENESIS_HASH


def chain_hash(entry: AuditEvent) -> str:
    return _hash(entry.chained_content())


def _hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken: ChainBreak | None
    head_id: int | None  # last entry: record "id:hash" outside the database as an anchor
    head_hash: str

    @property
    def anchor(self) -> str:
        return f"{self.head_id or 0}:{self.head_hash}"


def verify_chain(session: Session, anchor: str | None = None,
                 batch_size: int = 5000) -> ChainReport:
    """Walk the whole trail and report the first break. Removing the newest entries leaves
    a valid shorter chain: an `anchor` ("id:hash", printed by an earlier verification and
    kept elsewhere) proves that entry is still there, unchanged."""
    expected = _parse_anchor(anchor) if anchor else None
    previous = GENESIS_HASH
    checked, head_id = 0, None
    anchor_seen = expected is None or expected == (0, GENESIS_HASH)
    for entry, tombstone in _iterate(session, batch_size):
        checked += 1
        entry_id = entry["id"]
        if entry["prev_hash"] != previous:
            return ChainReport(checked, ChainBreak(entry_id, "le lien vers l'entrée précédente "
                               "est rompu (entrée supprimée, insérée ou réordonnée)"),
                               head_id, previous)
        if not tombstone and _hash(chained_content(entry)) != entry["hash"]:
            return ChainReport(checked, ChainBreak(entry_id, "le contenu de l'entrée a été "
                               "modifié"), head_id, previous)
        if expected is not None and entry_id == expected[0]:
            if entry["hash"] != expected[1]:
                return ChainReport(checked, ChainBreak(entry_id, "l'entrée ne correspond plus "
                                   "à l'ancre enregistrée"), head_id, previous)
            anchor_seen = True
        previous, head_id = entry["hash"], entry_id
    if not anchor_seen:
        return ChainReport(checked, ChainBreak(expected[0], "l'entrée de l'ancre a disparu "
                           "(fin du journal supprimée)"), head_id, previous)
    return ChainReport(checked, None, head_id, previous)


def _parse_anchor(anchor: str) -> tuple[int, str]:
    entry_id, _, digest = anchor.partition(":")
    if not entry_id.isascii() or not entry_id.isdigit() or len(digest) != 64:
        raise ValueError(f"anchor must look like ID:SHA256, got {anchor!r}")
    return int(entry_id), digest


def _batches(session: Session, table: Any, tombstone: bool,
             batch_size: int) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Rows (column values, not ORM objects: a verification reads millions), in id order,
    a batch at a time: flat memory."""
    last_id = 0
    while True:
        batch = session.execute(select(table).where(table.c.id > last_id)
                                .order_by(table.c.id).limit(batch_size)).mappings().all()
        if not batch:
            return
        for row in batch:
            yield row, tombstone
        last_id = batch[-1]["id"]


def _iterate(session: Session, batch_size: int) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Entries and the tombstones of purged ones (flagged True), in chain order."""
    import heapq

    return heapq.merge(_batches(session, AuditEvent.__table__, False, batch_size),
                       _batches(session, AuditTombstone.__table__, True, batch_size),
                       key=lambda pair: pair[0]["id"])


def purge_access_logs(session: Session, before: datetime, batch_size: int = 2000) -> int:
    """Remove the access-log entries (reads, exports, logins) older than `before`. Each
    leaves a tombstone (id, links, no content) so that `verify_chain` still walks an
    unbroken chain; writes are kept. The purge itself is an audit entry."""
    purged = 0
    while True:
        rows = session.execute(select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
                               .where(AuditEvent.action.in_(PURGEABLE_ACTIONS),
                                      AuditEvent.occurred_at < before)
                               .order_by(AuditEvent.id).limit(batch_size)).all()
        if not rows:
            break
        now = utcnow()
        session.execute(insert(AuditTombstone), [
            {"id": r.id, "prev_hash": r.prev_hash, "hash": r.hash, "purged_at": now}
            for r in rows])
        session.execute(delete(AuditEvent).where(AuditEvent.id.in_([r.id for r in rows])))
        purged += len(rows)
    if purged:
        record(session, "audit_purge", "audit_events", None,
               detail=f"{purged} entrée(s) d'accès antérieures au {before:%Y-%m-%d}")
    session.commit()
    return purged


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(*_args: Any) -> None:
    raise PermissionError("the audit trail is append-only")


def recent(session: Session, limit: int = 100) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
