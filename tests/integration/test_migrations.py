"""The schema is built by Alembic and matches the models (no drift), on both engines."""

from alembic import command
from sqlalchemy import inspect

from coordination.db import make_engine
from coordination.migrate import alembic_config, current_revision, upgrade_to_head


def test_upgrade_head_then_check_finds_no_drift_between_models_and_migrations(fresh_database_url):
    upgrade_to_head(fresh_database_url)
    command.check(alembic_config(fresh_database_url))  # raises when autogenerate sees changes


def test_migrations_downgrade_to_base_and_upgrade_again(fresh_database_url):
    config = alembic_config(fresh_database_url)
    upgrade_to_head(fresh_database_url)
    command.downgrade(config, "base")
    engine = make_engine(fresh_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade_to_head(fresh_database_url)
    assert current_revision(fresh_database_url) is not None


def test_constraints_carry_names_from_the_naming_convention(engine):
    inspector = inspect(engine)
    foreign_keys = inspector.get_foreign_keys("users")
    assert [fk["name"] for fk in foreign_keys] == ["fk_users_organisation_id_organisations"]
    unique = {uc["name"] for uc in inspector.get_unique_constraints("users")}
    assert "uq_users_email" in unique


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragma.db'}")
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    engine.dispose()
