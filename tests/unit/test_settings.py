"""Settings come from the environment; a bad value names its variable."""

from pathlib import Path

import pytest

from coordination.settings import SettingsError, load_settings


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    base = {"COORDINATION_INSTANCE_PATH": str(tmp_path)}
    base.update({f"COORDINATION_{k}": v for k, v in values.items()})
    return base


def test_defaults_put_a_sqlite_database_in_the_instance_folder(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path / 'coordination.db'}"
    assert settings.session_idle_minutes == 30
    assert settings.login_max_failures == 10 and settings.login_lock_minutes == 15
    assert settings.cookie_secure is False


def test_a_missing_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_settings(env(tmp_path)).secret_key
    second = load_settings(env(tmp_path)).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("name", "value"), [
    ("SESSION_IDLE_MINUTES", "trente"),
    ("SESSION_IDLE_MINUTES", "0"),
    ("LOGIN_MAX_FAILURES", "-1"),
    ("COOKIE_SECURE", "peut-être"),
    ("DATABASE_URL", "not a url"),
    ("DATABASE_URL", "mysql://u@h/db"),
    ("SECRET_KEY", "short"),
    ("LOG_LEVEL", "LOUD"),
    ("TIMEZONE", "Europe/Atlantis"),
])
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=f"COORDINATION_{name}"):
        load_settings(env(tmp_path, **{name: value}))


def test_a_postgresql_url_is_given_the_driver_we_install(tmp_path):
    settings = load_settings(env(tmp_path, DATABASE_URL="postgresql://u:p@localhost/coord"))
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_a_file_where_the_instance_folder_should_be_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(SettingsError, match="COORDINATION_INSTANCE_PATH"):
        load_settings({"COORDINATION_INSTANCE_PATH": str(target)})


def test_workers_starting_together_share_one_secret_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_settings(env(tmp_path)).secret_key, range(16)))
    assert len(keys) == 1
