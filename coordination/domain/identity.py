"""Identity of a person (usager) under French identitovigilance rules (RNIV, INS).

Strict traits are those printed on an identity document: birth name, birth first names
(the first one identified), birth date, sex, birth place. An identity is *provisoire*
until a document is checked (*validée*); with the INS retrieved from the national
teleservice it is *récupérée*, and *qualifiée* when both are true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class IdentityStatus(StrEnum):
    PROVISIONAL = "provisoire"
    RETRIEVED = "recuperee"
    VALIDATED = "validee"
    QUALIFIED = "qualifiee"

    @property
    def label(self) -> str:
        return {"provisoire": "Provisoire", "recuperee": "Récupérée", "validee": "Validée",
                "qualifiee": "Qualifiée"}[self.value]


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNDETERMINED = "I"  # RNIV: indéterminé

    @property
    def label(self) -> str:
        return {"F": "Féminin", "M": "Masculin", "I": "Indéterminé"}[self.value]


class LegalProtection(StrEnum):
    NONE = "none"
    SAFEGUARD = "sauvegarde_justice"
    CURATORSHIP = "curatelle"
    REINFORCED_CURATORSHIP = "curatelle_renforcee"
    GUARDIANSHIP = "tutelle"
    FAMILY_AUTHORISATION = "habilitation_familiale"
    FUTURE_PROTECTION_MANDATE = "mandat_protection_future"

    @property
    def label(self) -> str:
        return {
            "none": "Aucune", "sauvegarde_justice": "Sauvegarde de justice",
            "curatelle": "Curatelle", "curatelle_renforcee": "Curatelle renforcée",
            "tutelle": "Tutelle", "habilitation_familiale": "Habilitation familiale",
            "mandat_protection_future": "Mandat de protection future",
        }[self.value]


STRICT_TRAITS = ("birth_name", "birth_first_names", "first_birth_first_name", "birth_date",
                 "sex", "birth_place_insee", "birth_country_insee")
MAX_AGE_YEARS = 120

_COMMUNE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")  # 11069, 2A004, 97411
_COUNTRY = re.compile(r"^99\d{3}$")  # INSEE country codes: 99100 France, 99134 Espagne…


def is_commune_code(code: str) -> bool:
    return bool(_COMMUNE.match(code)) and not code.startswith("99") and code[:2] != "00"


def is_country_code(code: str) -> bool:
    return bool(_COUNTRY.match(code))


def birth_date_problem(value: date, today: date) -> str | None:
    if value > today:
        return "La date de naissance est dans le futur."
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value < oldest:
        return f"La date de naissance remonte à plus de {MAX_AGE_YEARS} ans."
    return None


def ins_problem(nir: str) -> str | None:
    """None when `nir` is a well-formed NIR/NIA with a valid key (15 characters)."""
    from stdnum.fr import nir as stdnum_nir

    compact = re.sub(r"\s", "", nir)
    if not re.fullmatch(r"[12378]\d{4}(?:\d{2}|2[AB])\d{8}", compact):
        return "Le matricule INS compte 15 caractères (13 + clé de contrôle)."
    if not stdnum_nir.is_valid(compact):
        return "Clé de contrôle du matricule INS invalide."
    return None


def compact_ins(nir: str) -> str:
    return re.sub(r"\s", "", nir).upper()


@dataclass(frozen=True)
class StatusChange:
    new_status: IdentityStatus
    reason: str


TRAIT_LABELS = {
    "birth_name": "nom de naissance", "birth_first_names": "prénoms de naissance",
    "first_birth_first_name": "premier prénom de naissance", "birth_date": "date de naissance",
    "sex": "sexe", "birth_place_insee": "lieu de naissance",
    "birth_country_insee": "pays de naissance", "ins": "matricule INS",
}


def status_after_strict_trait_edit(current: IdentityStatus,
                                   changed: set[str]) -> StatusChange | None:
    """Editing a strict trait (or the INS) of a checked identity voids the check: the
    identity goes back to provisional (RNIV), and the reason says which traits changed."""
    touched = changed & {*STRICT_TRAITS, "ins"}
    if not touched or current in (IdentityStatus.PROVISIONAL, IdentityStatus.RETRIEVED):
        return None
    return StatusChange(IdentityStatus.PROVISIONAL,
                        "Trait(s) strict(s) modifié(s) : "
                        + ", ".join(sorted(TRAIT_LABELS[name] for name in touched)))


def ins_mismatch(ins: str, sex: Sex | None, birth: date | None) -> str | None:
    """The NIR encodes sex (1 man, 2 woman), birth year and month: an INS that disagrees
    with the identity's traits belongs to someone else or was mistyped."""
    digit, year, month = ins[0], ins[1:3], ins[3:5]
    if sex is Sex.MALE and digit == "2" or sex is Sex.FEMALE and digit == "1":
        return "Le matricule INS ne correspond pas au sexe de la personne."
    if birth is not None:
        if year != f"{birth.year % 100:02d}":
            return "Le matricule INS ne correspond pas à l'année de naissance."
        if month.isdigit() and 1 <= int(month) <= 12 and int(month) != birth.month:
            return "Le matricule INS ne correspond pas au mois de naissance."
    return None


def status_problem(status: IdentityStatus, ins: str | None) -> str | None:
    if status in (IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED) and not ins:
        return "Une identité récupérée ou qualifiée porte son matricule INS."
    return None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def guess_names(text: str | None) -> tuple[str | None, str | None]:
    """(birth name, first names) from how a person was named on a call or in a search,
    to fill a new person's form for the coordinator to check: a word in capitals is the
    name (« HADDAD Karim »); otherwise the last word (« Karim Haddad »)."""
    words = (text or "").split()
    if not words:
        return None, None
    capitals = [w for w in words if w.isupper() and len(w) > 1]
    if capitals:
        rest = [w for w in words if w not in capitals]
        return " ".join(capitals), " ".join(rest) or None
    if len(words) == 1:
        return words[0], None
    return words[-1], " ".join(words[:-1])


def born_word(sex: Sex | str | None) -> str:
    """« né », « née », or « né·e » when the sex is undetermined."""
    return {"M": "né", "F": "née"}.get(getattr(sex, "value", sex) or "", "né·e")
