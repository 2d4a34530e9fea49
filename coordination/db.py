"""Database engine, declarative base and session factory (no Flask here).

SQLite is the embedded default: WAL so readers never wait for the writer, foreign keys
on, a busy timeout, and every transaction opened with BEGIN IMMEDIATE so that a request
that reads then writes cannot fail halfway on a stale snapshot (SQLite serialises writers
anyway; nearly every request writes an audit entry). PostgreSQL is used as is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def enum_column(enum_cls: type, name: str) -> Enum:
    """A Python enum stored as its string values, without a native database enum type:
    adding a value needs no type migration, and both engines store the same thing."""
    return Enum(enum_cls, name=name, native_enum=False, length=32,
                values_callable=lambda kinds: [k.value for k in kinds], validate_strings=True)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _make_sqlite_engine(url: str, **kwargs: Any) -> Engine:
    if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
        raise ValueError("use a SQLite file: an in-memory database is not shared "
                         "between connections")
    # A small pool (SQLAlchemy's default for SQLite files): opening a connection and
    # setting its pragmas costs more than a short transaction. Each web worker builds its
    # own engine after the fork, so no handle crosses processes.
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                              "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for
        # BEGIN IMMEDIATE and for SAVEPOINT to work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False)


def refresh_statistics(session: Session) -> str:
    """Let the query planner know the tables' current sizes, so that it picks the right
    index as the data grows (SQLite: `PRAGMA optimize`, which analyses only what changed;
    PostgreSQL: VACUUM (ANALYZE), cheap on tables autovacuum keeps up; plain ANALYZE within
    a caller's transaction)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(text("PRAGMA optimize"))
        session.commit()
        return "PRAGMA optimize"
    session.commit()
    if isinstance(bind, Engine):
        # VACUUM too (outside any transaction): after a bulk load, the visibility map lets
        # the index-only scans of the lists skip the table (autovacuum would, later).
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
        return "VACUUM (ANALYZE)"
    session.execute(text("ANALYZE"))  # inside a caller's transaction (tests)
    session.commit()
    return "ANALYZE"
