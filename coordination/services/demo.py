"""The demo territory: the Aude partnership (DAC 11, COM360, USSAP, CSAPA, ORU, SIAO…) and
one account per role. Idempotent: loading twice creates nothing twice. Later modules add
their demo data here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordination.domain.accounts import OrganisationType, Role
from coordination.models import Organisation, User
from coordination.services import accounts

# Shown on the console by `make run`; demo databases only.
DEMO_PASSWORD = "Aude-partenariat-2026"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    type: OrganisationType
    finess: str | None = None
    signed: date | None = date(2024, 3, 1)
    ends: date | None = date(2027, 2, 28)
    # Real structures (FINESS numbers from DREES SAE 2023) are not flagged as demo; the
    # invented ones are, and the UI says so.
    invented: bool = True


DEMO_ORGANISATIONS = [
    DemoOrganisation("DAC 11", OrganisationType.DAC, signed=date(2023, 1, 1), ends=None),
    DemoOrganisation("Communauté 360 Aude", OrganisationType.COM360),
    DemoOrganisation("USSAP – pôle psychiatrie adulte (CMP)", OrganisationType.CMP_USSAP,
                     finess="110786324", invented=False),
    DemoOrganisation("CSAPA de l'Aude", OrganisationType.CSAPA),
    DemoOrganisation("CAARUD de l'Aude", OrganisationType.CAARUD, ends=date(2027, 1, 15)),
    DemoOrganisation("ORU Occitanie", OrganisationType.ORU),
    DemoOrganisation("SIAO 11", OrganisationType.SIAO),
    DemoOrganisation("CHRS de Carcassonne", OrganisationType.CHRS, signed=None, ends=None),
    DemoOrganisation("CH Carcassonne", OrganisationType.HOSPITAL, finess="110000023",
                     invented=False),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    organisation: str
    roles: tuple[Role, ...]


DEMO_ACCOUNTS = [
    DemoAccount("camille.roux@dac11.example", "Camille Roux", "DAC 11", (Role.COORDINATOR,)),
    DemoAccount("julien.marty@dac11.example", "Julien Marty", "DAC 11", (Role.COORDINATOR,)),
    DemoAccount("nadia.benali@csapa11.example", "Nadia Benali", "CSAPA de l'Aude",
                (Role.PARTNER,)),
    DemoAccount("thomas.garcia@siao11.example", "Thomas Garcia", "SIAO 11", (Role.PARTNER,)),
    DemoAccount("claire.fabre@ussap.example", "Dr Claire Fabre",
                "USSAP – pôle psychiatrie adulte (CMP)", (Role.PARTNER,)),
    DemoAccount("helene.vidal@dac11.example", "Hélène Vidal", "DAC 11", (Role.MANAGER,)),
    DemoAccount("admin@dac11.example", "Sophie Martin", "DAC 11", (Role.ADMIN,)),
]


def load_demo(session: Session) -> list[DemoAccount]:
    """Create what is missing of the demo territory; return the demo accounts."""
    existing = {name for name in session.scalars(select(Organisation.name))}
    for spec in DEMO_ORGANISATIONS:
        if spec.name not in existing:
            accounts.create_organisation(
                session, name=spec.name, type=spec.type, finess=spec.finess,
                agreement_signed_on=spec.signed, agreement_ends_on=spec.ends,
                is_demo=spec.invented)
    known = set(session.scalars(select(User.email)))
    for spec in DEMO_ACCOUNTS:
        if spec.email not in known:
            accounts.create_user(
                session, email=spec.email, full_name=spec.full_name,
                organisation=accounts.find_organisation(session, spec.organisation),
                roles=spec.roles, password=DEMO_PASSWORD)
    return list(DEMO_ACCOUNTS)
