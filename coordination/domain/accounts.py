"""Roles and organisation types: the vocabulary of who uses the software (DESIGN §1, §3)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.COORDINATOR: "Coordinatrice / coordinateur de parcours",
    Role.PARTNER: "Partenaire",
    Role.MANAGER: "Pilotage",
    Role.ADMIN: "Administration",
}


class OrganisationType(StrEnum):
    DAC = "dac"
    CMP_USSAP = "cmp_ussap"
    CSAPA = "csapa"
    CAARUD = "caarud"
    SIAO = "siao"
    CHRS = "chrs"
    HOSPITAL = "hospital"
    ORU = "oru"
    COM360 = "com360"
    CPTS = "cpts"
    MSP = "msp"
    SOCIAL_SERVICES = "social_services"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ORGANISATION_TYPE_LABELS[self]

    @property
    def usually_health_team(self) -> bool:
        """Default for `is_health_professional_team` (CSP L1110-4 sharing rules).

        Housing, shelter and social services are not health teams: they see a situation
        only with the person's consent. An admin can override the default.
        """
        return self not in {
            OrganisationType.SIAO,
            OrganisationType.CHRS,
            OrganisationType.SOCIAL_SERVICES,
            OrganisationType.OTHER,
        }


ORGANISATION_TYPE_LABELS = {
    OrganisationType.DAC: "DAC (dispositif d'appui à la coordination)",
    OrganisationType.CMP_USSAP: "Psychiatrie (CMP / USSAP)",
    OrganisationType.CSAPA: "CSAPA",
    OrganisationType.CAARUD: "CAARUD",
    OrganisationType.SIAO: "SIAO (115)",
    OrganisationType.CHRS: "CHRS / hébergement",
    OrganisationType.HOSPITAL: "Établissement hospitalier",
    OrganisationType.ORU: "ORU (orientation régionale des urgences)",
    OrganisationType.COM360: "Communauté 360",
    OrganisationType.CPTS: "CPTS",
    OrganisationType.MSP: "Maison de santé pluriprofessionnelle",
    OrganisationType.SOCIAL_SERVICES: "Service social",
    OrganisationType.OTHER: "Autre",
}


def parse_role(value: str) -> Role:
    """The role named by `value` (code or French label, any case); ValueError otherwise."""
    needle = value.strip().lower()
    for role in Role:
        if needle in {role.value, role.label.lower()}:
            return role
    raise ValueError(f"unknown role {value!r}; expected one of: {', '.join(r.value for r in Role)}")


def parse_organisation_type(value: str) -> OrganisationType:
    needle = value.strip().lower().replace("-", "_").replace("/", "_").replace(" ", "_")
    aliases = {"cmp": OrganisationType.CMP_USSAP, "ussap": OrganisationType.CMP_USSAP,
               "cmp_ussap": OrganisationType.CMP_USSAP, "com_360": OrganisationType.COM360}
    if needle in aliases:
        return aliases[needle]
    for kind in OrganisationType:
        if needle == kind.value:
            return kind
    raise ValueError(
        f"unknown organisation type {value!r}; expected one of: "
        + ", ".join(k.value for k in OrganisationType)
    )
