"""The TOTP second factor (RFC 6238) and its single-use recovery codes (DESIGN §7).

The secret is encrypted at rest with AES-GCM under a key derived from the application's
secret key (HKDF, its own label): a database dump alone does not give the secrets. It is
shown (QR code, text) only while enrolment is unconfirmed, never after. Recovery codes are
random (60 bits), shown once, stored as SHA-256 digests salted with the account id — slow
hashing adds nothing against codes of that entropy. Neither codes nor secrets are logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.errors import Conflict, ValidationError
from coordination.models import RecoveryCode, User
from coordination.services import audit
from coordination.settings import Settings

ISSUER = "Coordination de parcours"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed
_CIPHER_LABEL = b"coordination/totp-secret/v1"
WRONG_CODE = "Code incorrect ou déjà utilisé."


# --- secret at rest ------------------------------------------------------------------------

def _key(settings: Settings) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_CIPHER_LABEL).derive(settings.secret_key.encode("utf-8"))


def _encrypt(settings: Settings, user_id: int, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(settings)).encrypt(nonce, secret.encode("ascii"), str(user_id).encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _decrypt(settings: Settings, user: User) -> str | None:
    stored = user.totp_secret_encrypted or ""
    if not stored.startswith("v1:"):
        return None
    raw = base64.urlsafe_b64decode(stored[3:])
    try:
        return AESGCM(_key(settings)).decrypt(raw[:12], raw[12:],
                                              str(user.id).encode()).decode("ascii")
    except InvalidTag:
        # the secret key changed since enrolment: the admin resets this account's TOTP
        return None


# --- enrolment -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Enrolment:
    secret: str  # for manual entry in the authenticator app
    uri: str
    qr_svg: str  # inline SVG, rendered here: no third-party QR service sees the secret


def pending_enrolment(session: Session, settings: Settings, user: User) -> Enrolment:
    """The enrolment in progress (started now if none): shown until confirmed."""
    if user.has_totp:
        raise Conflict("La double authentification est déjà activée pour ce compte.")
    secret = _decrypt(settings, user) if user.totp_secret_encrypted else None
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret_encrypted = _encrypt(settings, user.id, secret)
        user.totp_last_step = None
        session.commit()
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, light="#fff", title="QR code TOTP")
    return Enrolment(secret, uri, svg)


def confirm_enrolment(session: Session, settings: Settings, user: User, code: str) -> list[str]:
    """A first right code turns the second factor on; returns the recovery codes, which
    are shown this once."""
    if user.has_totp:
        raise Conflict("La double authentification est déjà activée pour ce compte.")
    if not _accept_totp(settings, user, code):
        session.commit()
        raise ValidationError({"code": [WRONG_CODE]})
    user.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(session, user)
    audit.record(session, "totp_enrolled", "users", user.id)
    session.commit()
    return codes


def reset(session: Session, actor: User | None, user: User) -> None:
    """An admin removes a lost second factor: the person enrols again at next login (and
    must, when the deployment requires it). Every session of the account ends."""
    from coordination.services.accounts import end_all_sessions

    user.totp_secret_encrypted = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(session, user, "totp_reset")
    audit.record(session, "totp_reset", "users", user.id,
                 detail=f"par le compte {actor.id}" if actor else None)
    session.commit()


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


# --- verification --------------------------------------------------------------------------

def verify_second_factor(session: Session, settings: Settings, user: User, code: str) -> bool:
    """A current TOTP code (not already used: replay within its window is refused) or an
    unused recovery code (then used up). The caller commits and counts failures."""
    if not user.has_totp:
        return False
    cleaned = "".join(code.split()).replace("-", "").upper()
    if cleaned.isdigit() and len(cleaned) == 6:
        return _accept_totp(settings, user, cleaned)
    row = session.scalar(select(RecoveryCode).where(
        RecoveryCode.code_hash == _recovery_digest(user.id, cleaned),
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    audit.record(session, "recovery_code_used", "users", user.id)
    return True


def _accept_totp(settings: Settings, user: User, code: str, now: float | None = None) -> bool:
    secret = _decrypt(settings, user)
    code = "".join(code.split())
    if secret is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((utcnow().timestamp() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # replayed (or older than the last accepted code)
            user.totp_last_step = step
            return True
    return False


def _recovery_digest(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(user.id, code)))
        codes.append(f"{code[:4]}-{code[4:8]}-{code[8:]}")
    return codes
