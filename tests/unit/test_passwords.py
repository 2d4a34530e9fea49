"""Password policy and argon2id hashing."""

import pytest

from coordination.domain.passwords import hash_password, password_problems, verify_password


def test_hashes_are_argon2id_with_at_least_the_owasp_parameters():
    encoded = hash_password("une phrase assez longue")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_verifies_its_password_and_nothing_else():
    encoded = hash_password("une phrase assez longue")
    assert verify_password(encoded, "une phrase assez longue")
    assert not verify_password(encoded, "une phrase assez longuE")
    assert not verify_password("not a hash", "une phrase assez longue")


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("une phrase assez longue") != hash_password("une phrase assez longue")


@pytest.mark.parametrize(("password", "reason"), [
    ("court", "au moins 12 caractères"),
    ("azerty123456", "les plus courants"),
    ("Motdepasse2024!", "les plus courants"),
    ("password1234", "les plus courants"),
    ("aaaaaaaaaaaaaa", "les plus courants"),
    ("marie.dupont1976", "votre nom"),
    ("abcdefghijklmnop", "facile à deviner"),
])
def test_weak_passwords_are_refused_with_their_reason(password, reason):
    problems = password_problems(password, ("Marie Dupont", "marie.dupont@dac11.example"))
    assert any(reason in problem for problem in problems), problems


@pytest.mark.parametrize("password", [
    "Une phrase de passe pour les tests",
    "Le chat de Limoux mange des figues",
    "tK7#vq2!Lm9@zR",
])
def test_long_unusual_passwords_are_accepted(password):
    assert password_problems(password, ("Marie Dupont", "marie.dupont@dac11.example")) == []
