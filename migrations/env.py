"""Alembic environment; runs without Flask.

The database URL comes from the Alembic config (set by `coordination init-db` and the
tests), else from COORDINATION_DATABASE_URL through the project's settings.
"""

from __future__ import annotations

from alembic import context

import coordination.models  # noqa: F401  (registers every table)
from coordination.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """The full-text index (FTS5 tables on SQLite, a GIN expression index on PostgreSQL)
    is created by migration 0004 and unknown to the models: not drift."""
    if type_ == "table" and name and name.startswith("directory_fts"):
        return False
    return not (type_ == "index" and name == "ix_directory_services_fts")


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from coordination.settings import load_settings

    return load_settings().database_url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"), compare_type=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=connection.dialect.name == "sqlite",
                              compare_type=True, include_object=include_object)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
