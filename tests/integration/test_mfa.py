"""The TOTP second factor: enrolment with a locally drawn QR code, a code after the
password, recovery codes used once, replay refused, required by the deployment, reset by
an admin, and the API's `totp` field."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace

import pyotp
import pytest
from sqlalchemy import select

from coordination.app import create_app
from coordination.models import AuditEvent, RecoveryCode
from coordination.services import mfa
from tests.conftest import PASSWORD, Auth, csrf_token

SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')
CODE = re.compile(r"<li><code>([A-Z0-9-]+)</code></li>")
ENROL = "/mon-compte/double-authentification"


def _code(secret: str, offset: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // 30 + offset)


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get(ENROL).get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    response = client.post(ENROL, data={"code": _code(secret),
                                        "csrf_token": csrf_token(client, ENROL)})
    assert response.status_code == 200
    codes = CODE.findall(response.get_data(as_text=True))
    return secret, codes


def _second_step(client, code: str):
    return client.post("/connexion/code", data={
        "code": code, "csrf_token": csrf_token(client, "/connexion/code")})


@pytest.fixture
def enrolled(client, auth, personas):
    auth.login(personas["coordinator"].email)
    secret, codes = _enrol(client)
    auth.logout()
    return secret, codes


def test_enrolment_shows_a_locally_drawn_qr_code_and_ten_recovery_codes_once(
        client, auth, personas, db_session):
    auth.login(personas["coordinator"].email)
    page = client.get(ENROL).get_data(as_text=True)
    assert '<svg' in page and 'class="segno"' in page  # drawn by the server, no external URL
    assert "http" not in page.split('class="segno"')[1].split("</svg>")[0]
    secret, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    # the secret is stored encrypted, the codes only as hashes; neither is shown again
    user = personas["coordinator"]
    db_session.refresh(user)
    assert secret not in (user.totp_secret_encrypted or "")
    stored = db_session.scalars(select(RecoveryCode.code_hash)).all()
    assert not {c.replace("-", "") for c in codes} & set(stored)
    again = client.get(ENROL).get_data(as_text=True)
    assert secret not in again and codes[0] not in again
    assert "activée" in again


def test_a_wrong_first_code_does_not_turn_the_second_factor_on(client, auth, personas):
    auth.login(personas["coordinator"].email)
    client.get(ENROL)
    response = client.post(ENROL, data={"code": "000000",
                                        "csrf_token": csrf_token(client, ENROL)})
    assert response.status_code == 422
    assert "Code incorrect" in response.get_data(as_text=True)
    assert not personas["coordinator"].has_totp


def test_login_asks_the_code_after_the_password_and_gives_no_session_before_it(
        client, auth, enrolled):
    secret, _ = enrolled
    response = auth.login("alice@dac11.test")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion/code"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = _second_step(client, "123456" if _code(secret, 1) != "123456" else "654321")
    assert wrong.status_code == 401
    ok = _second_step(client, _code(secret, 1))
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_a_code_replayed_within_its_window_is_refused(client, auth, enrolled):
    secret, _ = enrolled
    auth.login("alice@dac11.test")
    code = _code(secret, 1)
    assert _second_step(client, code).status_code == 302
    auth.logout()
    auth.login("alice@dac11.test")
    assert _second_step(client, code).status_code == 401
    assert client.get("/").status_code == 302


def test_a_recovery_code_works_once(client, auth, enrolled):
    _, codes = enrolled
    auth.login("alice@dac11.test")
    assert _second_step(client, codes[0].lower()).status_code == 302
    auth.logout()
    auth.login("alice@dac11.test")
    assert _second_step(client, codes[0]).status_code == 401
    assert _second_step(client, codes[1]).status_code == 302


def test_wrong_codes_count_towards_the_account_lock_out(client, auth, enrolled, db_session):
    secret, _ = enrolled
    auth.login("alice@dac11.test")
    for _ in range(10):
        _second_step(client, "000001")
    # locked: even the right code is refused now, and the right password does not unlock
    assert _second_step(client, _code(secret, 1)).status_code == 401
    assert auth.login("alice@dac11.test").status_code == 401


def test_the_api_requires_the_totp_field_once_enrolled(client, enrolled):
    secret, codes = enrolled
    body = {"email": "alice@dac11.test", "password": PASSWORD}
    refused = client.post("/api/v1/auth/token", json=body)
    assert refused.status_code == 401
    assert client.post("/api/v1/auth/token",
                       json={**body, "totp": "000000"}).status_code == 401
    issued = client.post("/api/v1/auth/token", json={**body, "totp": _code(secret, 1)})
    assert issued.status_code == 200 and issued.get_json()["token"]
    assert client.post("/api/v1/auth/token",
                       json={**body, "totp": codes[2]}).status_code == 200
    assert client.post("/api/v1/auth/token",
                       json={**body, "totp": 123456}).status_code == 422


@pytest.fixture
def mfa_required_client(settings, session_factory):
    app = create_app(replace(settings, require_mfa=True), session_factory, TESTING=True)
    return app.test_client()


def test_when_required_an_account_without_totp_can_only_enrol(mfa_required_client, personas):
    client = mfa_required_client
    auth = Auth(client)
    response = auth.login("bob@csapa.test")
    assert response.status_code == 302
    for path in ("/", "/situations/", "/actions/", "/mon-compte"):
        refused = client.get(path)
        assert refused.status_code == 302 and refused.headers["Location"] == ENROL, path
    secret, _ = _enrol(client)
    assert client.get("/").status_code == 200
    # no API token either without a second factor
    assert client.post("/api/v1/auth/token", json={
        "email": "chloe@siao.test", "password": PASSWORD}).status_code == 401


def test_an_admin_resets_a_lost_second_factor_and_it_is_audited(
        client, auth, enrolled, personas, db_session):
    auth.login("farid@dac11.test")
    user = personas["coordinator"]
    response = client.post(f"/admin/utilisateurs/{user.id}/totp",
                           data={"csrf_token": csrf_token(client, "/admin/utilisateurs")})
    assert response.status_code == 302
    db_session.refresh(user)
    assert not user.has_totp and user.totp_secret_encrypted is None
    assert db_session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id)).all() == []
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "totp_reset", AuditEvent.object_id == str(user.id)))
    auth.logout()
    assert auth.login("alice@dac11.test").headers["Location"] == "/"


def test_other_roles_cannot_reset_a_second_factor(client, auth, enrolled, personas):
    auth.login("emma@dac11.test")
    user = personas["coordinator"]
    assert client.post(f"/admin/utilisateurs/{user.id}/totp",
                       data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_no_code_or_secret_reaches_the_logs(client, auth, personas, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login(personas["coordinator"].email)
    secret, codes = _enrol(client)
    auth.logout()
    auth.login("alice@dac11.test")
    _second_step(client, "999999")
    _second_step(client, codes[0])
    text = caplog.text
    assert secret not in text and codes[0] not in text and PASSWORD not in text
    assert "login" in text


def test_a_secret_encrypted_under_another_key_is_unusable(settings, db_session, personas):
    user = personas["csapa_partner"]
    enrolment = mfa.pending_enrolment(db_session, settings, user)
    other = replace(settings, secret_key="z" * 40)
    code = pyotp.TOTP(enrolment.secret).now()
    assert not mfa._accept_totp(other, user, code)
    assert mfa._accept_totp(settings, user, code)
