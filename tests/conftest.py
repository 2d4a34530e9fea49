"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
COORDINATION_TEST_DATABASE_URL is set), one rolled-back transaction per test, the app,
and the personas of the partnership."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from coordination.app import create_app
from coordination.db import make_engine
from coordination.domain.accounts import OrganisationType, Role
from coordination.migrate import upgrade_to_head
from coordination.models import Organisation, User
from coordination.services import accounts, audit
from coordination.settings import load_settings

PASSWORD = "Une phrase de passe pour les tests"
TEST_DATABASE_URL = os.environ.get("COORDINATION_TEST_DATABASE_URL", "").strip()


def _schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture(scope="session")
def database_backend() -> str:
    return make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, not yet migrated, for tests that need
    real commits (CLI, migrations)."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(TEST_DATABASE_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        reset = make_engine(url)
        with reset.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        reset.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade_to_head(url)  # the suite's schema is built by the migrations themselves
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions whose commits are savepoints inside one transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    yield factory
    transaction.rollback()
    connection.close()


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    audit.set_actor(session, audit.AuditActor(None, "test"))
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path):
    base = load_settings({"COORDINATION_INSTANCE_PATH": str(tmp_path / "instance"),
                          "COORDINATION_SECRET_KEY": "k" * 40,
                          "COORDINATION_DATABASE_URL": "sqlite:///unused.db",
                          # every test reads the figures of its own data
                          "COORDINATION_OBSERVATORY_CACHE_SECONDS": "0"})
    return replace(base, database_url=TEST_DATABASE_URL or base.database_url)


@pytest.fixture
def app(settings, session_factory):
    return create_app(settings, session_factory, TESTING=True)


@pytest.fixture
def client(app):
    return app.test_client()


# --- personas --------------------------------------------------------------------------------

@pytest.fixture
def make_organisation(db_session: Session):
    def make(name: str, kind: OrganisationType, **kwargs) -> Organisation:
        return accounts.create_organisation(db_session, name=name, type=kind, **kwargs)

    return make


@pytest.fixture
def make_user(db_session: Session):
    def make(email: str, organisation: Organisation, *roles: Role,
             full_name: str | None = None) -> User:
        return accounts.create_user(db_session, email=email, organisation=organisation,
                                    full_name=full_name or email.split("@")[0].title(),
                                    roles=roles, password=PASSWORD)

    return make


@pytest.fixture
def partnership(make_organisation):
    """The Aude partnership in miniature: who is who in the tests."""
    return {
        "dac": make_organisation("DAC 11", OrganisationType.DAC),
        "csapa": make_organisation("CSAPA de l'Aude", OrganisationType.CSAPA),
        "siao": make_organisation("SIAO 11", OrganisationType.SIAO),
        "unrelated": make_organisation("CPTS du Lauragais", OrganisationType.CPTS),
    }


@pytest.fixture
def personas(partnership, make_user):
    return {
        "coordinator": make_user("alice@dac11.test", partnership["dac"], Role.COORDINATOR),
        "csapa_partner": make_user("bob@csapa.test", partnership["csapa"], Role.PARTNER),
        "siao_partner": make_user("chloe@siao.test", partnership["siao"], Role.PARTNER),
        "unrelated_partner": make_user("david@cpts.test", partnership["unrelated"], Role.PARTNER),
        "manager": make_user("emma@dac11.test", partnership["dac"], Role.MANAGER),
        "admin": make_user("farid@dac11.test", partnership["dac"], Role.ADMIN),
    }


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/connexion") -> str:
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post("/connexion", data={
            "email": email, "password": password, "csrf_token": csrf_token(self.client)})

    def logout(self):
        return self.client.post("/deconnexion", data={"csrf_token": csrf_token(self.client, "/")})

    def token(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/api/v1/auth/token",
                                    json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


def pdf_text(data: bytes) -> str:
    """The page content streams of a ReportLab PDF (ASCII85 + Flate), decoded."""
    import base64
    import re
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            raw = base64.a85decode(stream.strip(), adobe=True) if stream.strip().endswith(
                b"~>") else stream
            chunks.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return "".join(chunks)
