"""Password policy and hashing (argon2id, DESIGN §7).

The policy follows ANSSI/CNIL guidance for passwords used alone: long (12 characters at
least), not among commonly used passwords, not built from the person's own name or e-mail.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

MIN_LENGTH = 12
MAX_LENGTH = 256

# OWASP minimum for argon2id: m=19 MiB, t=2, p=1. We keep exactly that floor so that a
# login stays under ~50 ms on a plain laptop.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32,
                         salt_len=16, type=Type.ID)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


# A well-formed hash of a random password: verified against when an account does not
# exist, so that the response time does not reveal which e-mail addresses are known.
DUMMY_HASH = _HASHER.hash("dummy password never used for any account")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    french = resources.files("coordination.data").joinpath("common_passwords_fr.txt")
    extra = [
        line.strip()
        for line in french.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return frozenset(_fold(p) for p in [*FREQUENCY_LISTS["passwords"], *extra])


def _core(password: str) -> str:
    """The password without decoration: 'Azerty123456!' -> 'azerty'."""
    folded = _fold(password)
    return re.sub(r"[\d\W_]+$", "", re.sub(r"^[\d\W_]+", "", folded))


def password_problems(password: str, personal_words: tuple[str, ...] = ()) -> list[str]:
    """Every reason (in French, for the person choosing it) why `password` is refused."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères.")
    folded = _fold(password)
    common = _common_passwords()
    core = _core(password)
    if folded in common or (len(core) >= 4 and core in common) or _is_repetition(folded):
        problems.append(
            "Ce mot de passe fait partie des mots de passe les plus courants : "
            "choisissez une phrase de passe plus personnelle."
        )
    # The e-mail's domain is shared by a whole organisation: only its local part counts.
    words = {_fold(w) for raw in personal_words for w in re.split(r"[\s._-]+", raw.split("@")[0])
             if len(w) >= 4}
    if any(word in folded for word in words):
        problems.append("Le mot de passe ne doit pas contenir votre nom ni votre adresse e-mail.")
    if not problems and len(password) <= 64:
        from zxcvbn import zxcvbn

        if zxcvbn(password, user_inputs=list(personal_words))["score"] < 3:
            problems.append(
                "Ce mot de passe est trop facile à deviner (mots du dictionnaire, suites de "
                "clavier, dates) : ajoutez des mots inattendus."
            )
    return problems


def _is_repetition(folded: str) -> bool:
    """'aaaaaaaaaaaa', 'abcabcabcabc', '121212121212'."""
    return re.fullmatch(r"(.{1,4})\1+", folded) is not None
