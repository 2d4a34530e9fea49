"""The demo and benchmark territory, generated: one seeded generator, two sizes.

`dac` adds 18 months of history to the hand-written demo DAC (services/demo.py); `region`
adds 15 DACs of Occitanie and five years of history (≈ 100,000 situations, 300,000 calls,
1,000,000 situation transitions, 300,000 actions, 150,000 ruptures, 50,000 directory
services). The same seed and the same `today` give the same rows.

Distributions are the field's: ≈ 60 % of requests end in coordination and 20 % in an
orientation; alcohol is the most frequent substance, with mood, anxiety and personality
disorders, cannabis goes with psychotic disorders; ruptures cluster at hospital discharge
and housing transitions. Timelines hold together: a call opens the situation, triage
follows, actions are decided, a rupture comes after the action it follows (the confirmed
rupture candidate names that action), then it is resolved and the situation moves on.

Organisations and accounts go through the services (audited). History is written with
SQLAlchemy Core inserts, on purpose: it is generated history, not work done by someone,
so it has no audit entries (the audit hook watches ORM flushes and refuses ORM bulk
updates of audited models; Core inserts of new rows do not go through it). Ids are
assigned here, from the current maximum, so that rows can point at each other without a
round trip.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.calls import CallerType, CallOutcome, Channel, phone_key
from coordination.domain.consent import ConsentKind
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex
from coordination.domain.identity_matching import first_name_key, phonetic_key
from coordination.domain.ruptures import CURRENT_VERSION as TAXONOMY_VERSION
from coordination.models import (
    Action,
    ActionTransition,
    Call,
    CallMotive,
    CallMotiveChoice,
    CallOrientation,
    Commune,
    ConsentRecord,
    DirectoryService,
    Organisation,
    Person,
    Rupture,
    RuptureCandidate,
    Situation,
    SituationShare,
    TransitionRecord,
    TriageRecord,
    User,
)
from coordination.services import accounts
from coordination.workflows.intake import CURRENT_VERSION as INTAKE_VERSION
from directory.categories import BY_CODE
from directory.text import fold

# `progress(label, length)` gives a context whose value is called with the number of
# situations just written (the CLI passes a click progress bar)
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class Size:
    name: str
    dacs: int
    months: int
    situations: int  # per size; calls, services are totals too
    calls: int
    services: int
    coordinators_per_dac: tuple[int, ...]  # numbers in the generated e-mail addresses


SIZES = {
    "dac": Size("dac", 1, 18, 2_000, 9_000, 0, (1, 2)),
    "region": Size("region", 15, 60, 100_000, 300_000, 50_000, (3, 4, 5, 6)),
}

# 15 DACs of Occitanie: one per département, two in Haute-Garonne and Hérault. The Aude
# one is the hand-written demo's "DAC 11".
DACS = [("11", "DAC 11"), ("09", "DAC 09 Ariège"), ("12", "DAC 12 Aveyron"),
        ("30", "DAC 30 Gard"), ("31", "DAC 31 Toulouse"), ("31", "DAC 31 Comminges"),
        ("32", "DAC 32 Gers"), ("34", "DAC 34 Montpellier"), ("34", "DAC 34 Béziers"),
        ("46", "DAC 46 Lot"), ("48", "DAC 48 Lozère"), ("65", "DAC 65 Hautes-Pyrénées"),
        ("66", "DAC 66 Pyrénées-Orientales"), ("81", "DAC 81 Tarn"),
        ("82", "DAC 82 Tarn-et-Garonne")]

SURNAMES = [
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER",
    "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT",
    "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
    "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOEL", "MEYER", "DUFOUR", "MEUNIER",
    "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIERE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER",
    "ARNAUD", "MARTINEZ", "GERARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN",
    "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS",
    "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOIT", "REY", "LECLERC",
    "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY",
    "GUILLOT", "HUBERT", "BERGER", "CARPENTIER", "SANCHEZ", "DUPUIS", "MOULIN", "LOUIS",
    "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER", "FLEURY", "ROYER", "KLEIN",
    "JACQUET", "ADAM", "PARIS", "POIRIER", "MARTY", "AUBRY", "GUYOT", "CARRE", "CHARLES",
    "RENAULT", "CHARPENTIER", "MENARD", "MAILLARD", "BARON", "BERTIN", "BAILLY", "HERVE",
    "SCHNEIDER", "FERNANDEZ", "LE GALL", "COLLET", "LEGER", "BOUVIER", "JULIEN", "PREVOST",
    "MILLET", "PERROT", "DANIEL", "CAZALS", "DELPECH", "ESPINASSE", "FOURCADE", "JALABERT",
    "LAFFONT", "MAUREL", "OURLIAC", "RIVALS", "SABATIER", "TEISSEIRE", "VERDIER", "ANDRIEU",
    "COMBES", "ESTEVE", "BOUSQUET", "CATHALA", "ROQUES", "ESCANDE", "BONNAFOUS", "PUJOL",
    "BENALI", "HADDAD", "BENSAID", "NGUYEN", "DIALLO", "TRAORE", "DA SILVA", "FERREIRA",
]
MALE_FIRST = [
    "Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Bernard", "Jacques",
    "Christophe", "Daniel", "Patrick", "Nicolas", "Frédéric", "Laurent", "Stéphane",
    "Éric", "Julien", "David", "Sébastien", "Thierry", "Olivier", "Pascal", "Franck",
    "Thomas", "Mathieu", "Kévin", "Romain", "Anthony", "Maxime", "Alexandre", "Karim",
    "Mohamed", "Yannick", "Guillaume", "Florian", "Théo", "Lucas", "Hugo", "Marc", "Serge",
]
FEMALE_FIRST = [
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Christine",
    "Monique", "Valérie", "Sandrine", "Véronique", "Stéphanie", "Céline", "Aurélie",
    "Julie", "Émilie", "Laetitia", "Caroline", "Sophie", "Camille", "Laura", "Sarah",
    "Manon", "Léa", "Chloé", "Josiane", "Martine", "Nadia", "Fatima", "Karine", "Élodie",
    "Pauline", "Mélanie", "Audrey", "Virginie", "Hélène", "Anne", "Claire", "Agnès", "Inès",
]
CALLER_ROLES = [("Médecin généraliste", "Cabinet médical"), ("Assistante sociale", "CCAS"),
                ("Infirmière", "CSAPA"), ("Psychiatre", "Centre hospitalier"),
                ("Éducateur", "SIAO"), ("Mandataire judiciaire", "UDAF"),
                ("Infirmier", "Équipe mobile psychiatrie précarité"),
                ("Cadre de santé", "Service d'addictologie")]

# (weight, disorder, how it is written in the request, psychiatric_disorder answer,
#  substance weights): alcohol with mood, anxiety and personality disorders; cannabis
#  with psychotic disorders.
CLINICAL_PROFILES: list[tuple[int, str, str, str, dict[str, int]]] = [
    (30, "mood", "troubles de l'humeur", "diagnosed",
     {"alcohol": 10, "tobacco": 6, "benzodiazepines": 3, "cannabis": 2, "cocaine_crack": 1}),
    (20, "anxiety", "troubles anxieux", "diagnosed",
     {"alcohol": 9, "benzodiazepines": 5, "tobacco": 5, "cannabis": 2}),
    (15, "personality", "trouble de la personnalité", "suspected",
     {"alcohol": 9, "cannabis": 4, "cocaine_crack": 3, "opioids": 2, "tobacco": 5}),
    (22, "psychotic", "troubles psychotiques", "diagnosed",
     {"cannabis": 10, "tobacco": 8, "alcohol": 4, "cocaine_crack": 1}),
    (13, "none", "sans trouble psychique connu", "none",
     {"alcohol": 10, "opioids": 4, "cannabis": 3, "cocaine_crack": 2, "tobacco": 4}),
]

# (weight, logigramme outcome, workflow event, state reached): 60 % coordination (with or
# without a meeting), 20 % orientation, the rest assessment and emergencies.
TRIAGE_OUTCOMES = [(25, "coordination", "start_coordination", "in_coordination"),
                   (35, "meeting", "schedule_meeting", "awaiting_meeting"),
                   (17, "information", "orient", "oriented"),
                   (3, "youth_handover", "orient", "oriented"),
                   (14, "assessment", "start_assessment", "in_assessment"),
                   (6, "emergency", "redirect_emergency", "emergency_redirected")]

# (weight, type, cause, consequence, transition point, directory category, action type
#  it follows): hospital discharges and housing transitions first.
# The partner organisation where a rupture happens, for the categories a DAC's partners run
# (the others — hospitals, shelters — are directory services only).
PARTNER_OF_CATEGORY = {"csapa": "csapa", "cmp": "cmp", "siao": "siao"}
RUPTURE_PROFILES: list[tuple[int, str, str, str, str | None, str | None, str]] = [
    (16, "hospital_discharge_without_follow_up", "discharge_not_prepared", "rehospitalisation",
     "psychiatric_hospital_to_home", "psychiatric_hospital", "hospitalisation"),
    (9, "hospital_discharge_without_follow_up", "information_not_transmitted",
     "emergency_visit", "general_hospital_to_home", "general_hospital", "hospitalisation"),
    (5, "premature_discharge", "house_rules", "relapse", "addiction_inpatient_to_csapa",
     "csapa", "hospitalisation"),
    (10, "no_housing_at_discharge", "capacity_full", "street", "hospital_to_street", "siao",
     "siao_request"),
    (6, "no_housing_at_discharge", "capacity_full", "street",
     "psychiatric_hospital_to_street", "siao", "siao_request"),
    (8, "loss_of_housing", "rights", "housing_loss", "shelter_to_housing", "chrs", "housing"),
    (4, "exclusion_after_incident", "house_rules", "street", "street_to_shelter", "chrs",
     "housing"),
    (7, "admission_refused_too_psychiatric", "admission_criteria", "lost_to_follow_up",
     "addiction_inpatient_to_csapa", "csapa", "csapa_appointment"),
    (5, "admission_refused_too_addiction", "admission_criteria",
     "psychiatric_decompensation", "csapa_to_cmp", "cmp", "cmp_appointment"),
    (7, "excessive_waiting_time", "waiting_time", "emergency_visit", "primary_care_to_cmp",
     "cmp", "cmp_appointment"),
    (6, "lost_contact", "person_refusal", "lost_to_follow_up", None, None, "home_visit"),
    (3, "treatment_interruption_opioid_substitution", "prescription_not_renewed", "relapse",
     "prison_to_community", "csapa", "csapa_appointment"),
    (4, "loss_of_rights_or_resources", "domiciliation", "rights_loss", None, None, "rights"),
    (2, "caregiver_exhaustion", "caregiver_unavailable", "rehospitalisation", None, None,
     "gp_contact"),
    (2, "prison_release_without_follow_up", "no_referent", "street", "prison_to_street",
     None, "gp_contact"),
]
ACTION_TITLES = {"cmp_appointment": "Rendez-vous au CMP", "hospitalisation":
                 "Préparer la sortie d'hospitalisation", "csapa_appointment":
                 "Premier rendez-vous au CSAPA", "siao_request": "Demande d'hébergement SIAO",
                 "housing": "Maintien dans le logement", "rights": "Ouverture des droits",
                 "home_visit": "Visite à domicile", "gp_contact": "Point avec le médecin traitant"}
# Where a person lives, given the housing status the intake records.
LIVING_BY_HOUSING = {"stable": ("own_home", "own_home", "own_home", "institution"),
                     "threatened": ("own_home", "hosted"),
                     "none": ("street", "shelter", "hosted")}
ACTION_OWNER = {"cmp_appointment": "cmp", "hospitalisation": "cmp", "csapa_appointment": "csapa",
                "siao_request": "siao", "housing": "siao", "rights": "dac",
                "home_visit": "dac", "gp_contact": "dac"}
CALL_OUTCOMES = [(40, CallOutcome.INFORMATION), (42, CallOutcome.ORIENTATION),
                 (12, CallOutcome.LINKED_SITUATION), (6, CallOutcome.EMERGENCY_REDIRECT)]
MOTIVE_WEIGHTS = {"complex_situation": 3, "orientation": 8, "information": 8,
                  "psychiatric_care": 7, "addiction": 7, "housing": 6, "hospital_discharge": 4,
                  "rights_resources": 4, "caregiver_support": 3, "ongoing_follow_up": 6,
                  "crisis": 1, "other": 1}
SERVICE_CATEGORIES = ["cmp", "csapa", "caarud", "siao", "chrs", "gem", "msp", "cpts",
                      "psychiatric_hospital", "general_hospital", "pension_famille", "elsa",
                      "samsah_savs", "mda", "cjc", "lhss", "act", "empp"]


@dataclass
class Counts:
    """What one run wrote (0 everywhere when the size was already loaded)."""

    situations: int = 0
    persons: int = 0
    calls: int = 0
    transitions: int = 0
    action_transitions: int = 0
    actions: int = 0
    ruptures: int = 0
    services: int = 0
    users: int = 0


def weighted(rng: random.Random, table: list[Any]) -> Any:
    """A row of `table` drawn by its first column (a weight)."""
    return rng.choices(table, cum_weights=list(accumulate(row[0] for row in table)))[0]


def clinical_profile(rng: random.Random) -> tuple[str, str, str, list[str]]:
    """(disorder, its words, psychiatric_disorder answer, substances), the main substance
    first."""
    _, disorder, words, answer, substance_weights = weighted(rng, CLINICAL_PROFILES)
    names, weights = list(substance_weights), list(substance_weights.values())
    substances = [rng.choices(names, weights)[0]]
    if rng.random() < 0.45:
        other = rng.choices(names, weights)[0]
        if other not in substances:
            substances.append(other)
    return disorder, words, answer, substances


@dataclass
class _Ids:
    """Next free id per table, read once."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, model: type) -> int:
        value = self.next[model.__tablename__]
        self.next[model.__tablename__] = value + 1
        return value


@dataclass
class _Dac:
    organisation: Organisation
    departement: str
    coordinators: list[int]
    partners: dict[str, int]  # "csapa", "cmp", "siao", "dac" → organisation id
    communes: list[str]
    populations: list[int]
    services: dict[str, list[int]]  # directory category → service ids of the département


@dataclass
class _Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type, row: dict[str, Any]) -> None:
        table = self.tables.setdefault(model.__tablename__, [])
        # one executemany per table takes its columns from the first row: a key missing
        # there would be dropped silently from every other row
        if table and table[0].keys() != row.keys():
            raise ValueError(f"{model.__tablename__}: rows with different columns")
        table.append(row)


def generate(session: Session, size: str = "dac", *, seed: int = 2026,
             today: date | None = None, scale: float = 1.0,
             progress: Progress | None = None) -> Counts:
    """Add the generated territory of `size` (SIZES) to the database; `scale` shrinks the
    volumes (tests). Idempotent: a size already loaded is not loaded again."""
    spec = SIZES[size]
    rng = random.Random(f"{seed}:{size}")
    today = today or date.today()
    counts = Counts()
    marker = _email(DACS[0][0], spec.coordinators_per_dac[0])
    if session.scalar(select(User.id).where(User.email == marker)) is not None:
        return counts
    from directory import reference

    reference.load_communes(session)
    dacs = [_dac(session, rng, code, name, spec, counts)
            for code, name in DACS[:spec.dacs]]
    ids = _Ids({model.__tablename__: (session.scalar(select(func.max(model.id))) or 0) + 1
                for model in _WITH_IDS})
    if spec.services:
        counts.services = _directory(session, rng, ids, dacs, round(spec.services * scale))
    for dac in dacs:
        dac.services = _services_by_category(session, dac.departement)
    motives = list(session.scalars(select(CallMotive.code).where(CallMotive.is_active)))
    per_dac = max(1, round(spec.situations * scale / spec.dacs))
    calls_per_dac = max(1, round(spec.calls * scale / spec.dacs))
    start = today - timedelta(days=round(spec.months * 30.44))
    bar = progress(f"{size}: {per_dac * len(dacs):,} situations", per_dac * len(dacs)) \
        if progress else nullcontext(lambda count: None)
    with bar as advance:
        for dac in dacs:
            rows = _Rows()
            history = _History(rng, ids, rows, dac, start, today, motives)
            for _ in range(per_dac):
                history.situation()
            history.calls(calls_per_dac - history.origin_calls)
            _write(session, rows, counts)
            advance(per_dac)
    _advance_sequences(session)
    for dac in dacs:
        _meetings(session, dac, today)
    return counts


_WITH_IDS = (Person, ConsentRecord, Situation, SituationShare, TriageRecord, TransitionRecord,
             Call, CallOrientation, Action, ActionTransition, Rupture, RuptureCandidate,
             DirectoryService)


def _advance_sequences(session: Session) -> None:
    """Ids were given here: on PostgreSQL, move each table's sequence past them, or the
    next row inserted by the application would collide with a generated one."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in _WITH_IDS:
        table = model.__tablename__
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
            f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    session.commit()


def _meetings(session: Session, dac: _Dac, today: date) -> None:
    """A fortnightly partner meeting for each DAC that has none, its next agenda built."""
    from zoneinfo import ZoneInfo

    from coordination.models import MeetingSeries
    from coordination.services import meetings

    if session.scalar(select(MeetingSeries.id).where(
            MeetingSeries.organisation_id == dac.organisation.id).limit(1)) is not None:
        return
    coordinator = session.get(User, dac.coordinators[0])
    series = meetings.create_series(session, coordinator, {
        "name": "Réunion de concertation partenariale", "place": dac.organisation.name,
        "invited_organisation_ids": [i for k, i in dac.partners.items() if k != "dac"],
        "recurrence": {"weekday": "thursday", "positions": "1,3", "time": "14:00",
                       "duration_minutes": 120, "holiday_policy": "skip",
                       "agenda_cap": 12, "freeze_days_before": 3}}, today=today)
    meetings.ensure_meetings(session, today, horizon_days=42, series_ids=[series.id])
    upcoming = meetings.next_meeting_for(session, dac.organisation.id)
    if upcoming is not None:
        meetings.build_agenda(session, coordinator, upcoming, ZoneInfo("Europe/Paris"))


def _email(departement: str, number: int, name: str | None = None) -> str:
    return f"coordination.{number}@dac{departement}{name or ''}.example"


def _dac(session: Session, rng: random.Random, code: str, name: str, spec: Size,
         counts: Counts) -> _Dac:
    """The DAC, its coordinators and three partners (CSAPA, CMP, SIAO): found or created."""
    from coordination.services.demo import DEMO_PASSWORD

    suffix = "" if name == "DAC 11" else "-" + fold(name.split(" ", 2)[-1]).replace(" ", "-")
    dac = _organisation(session, name, OrganisationType.DAC)
    partners = {"dac": dac.id}
    for key, partner_type, label in (("csapa", OrganisationType.CSAPA, "CSAPA"),
                                     ("cmp", OrganisationType.CMP_USSAP, "CMP"),
                                     ("siao", OrganisationType.SIAO, "SIAO")):
        existing = {"csapa": "CSAPA de l'Aude", "siao": "SIAO 11",
                    "cmp": "USSAP – pôle psychiatrie adulte (CMP)"}[key]
        partner = _organisation(session, existing if name == "DAC 11"
                                else f"{label} {name[4:]}", partner_type)
        partners[key] = partner.id
    coordinators = []
    if name == "DAC 11":  # the demo's coordinators take their share of the history
        coordinators = [user.id for user in session.scalars(
            select(User).where(User.organisation_id == dac.id).order_by(User.id))
            if Role.COORDINATOR in user.roles and not user.email.startswith("coordination.")]
    for number in spec.coordinators_per_dac:
        female = rng.random() < 0.8
        full = (f"{rng.choice(FEMALE_FIRST if female else MALE_FIRST)} "
                f"{rng.choice(SURNAMES).title()}")
        user = accounts.create_user(session, email=_email(code, number, suffix), full_name=full,
                                    organisation=dac, roles=[Role.COORDINATOR],
                                    password=DEMO_PASSWORD)
        coordinators.append(user.id)
        counts.users += 1
    communes = list(session.execute(select(Commune.insee, Commune.population).where(
        Commune.departement == code).order_by(Commune.insee)))
    return _Dac(dac, code, coordinators, partners, [c for c, _ in communes],
                list(accumulate(max(p or 1, 1) for _, p in communes)), {})


def _organisation(session: Session, name: str, kind: OrganisationType) -> Organisation:
    found = session.scalar(select(Organisation).where(
        Organisation.name_key == Organisation.key_for(name)))
    if found is not None:
        return found
    return accounts.create_organisation(session, name=name, type=kind, is_demo=True,
                                        agreement_signed_on=date(2023, 1, 1))


def _services_by_category(session: Session, departement: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for service_id, category in session.execute(
            select(DirectoryService.id, DirectoryService.category)
            .where(DirectoryService.commune_insee.like(f"{departement}%"))
            .order_by(DirectoryService.id)):
        found.setdefault(category, []).append(service_id)
    return found


def _directory(session: Session, rng: random.Random, ids: _Ids, dacs: list[_Dac],
               count: int) -> int:
    """Services spread over the communes of the DACs, more where more people live."""
    rows = []
    now = datetime.now(UTC)
    names = {insee: name for insee, name in session.execute(
        select(Commune.insee, Commune.name))}
    postcodes = {insee: codes for insee, codes in session.execute(
        select(Commune.insee, Commune.postcodes))}
    for index in range(count):
        dac = dacs[index % len(dacs)]
        insee = rng.choices(dac.communes, cum_weights=dac.populations)[0]
        category = BY_CODE[rng.choice(SERVICE_CATEGORIES)]
        name = f"{category.label.split(' (')[0]} {names[insee]}"
        if index >= len(SERVICE_CATEGORIES) * len(dacs):
            name += f" – antenne {index}"
        rows.append({
            "id": ids.take(DirectoryService), "source": "generated", "source_id": str(index),
            "name": name, "name_key": fold(name), "category": category.code,
            "commune_insee": insee, "postcode": (postcodes[insee] or "")[:5] or None,
            "phones": [{"number": f"05 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                        f"{rng.randint(10, 99)} {rng.randint(10, 99)}"}],
            "modalities": [], "languages": [], "extra": {}, "is_demo": True,
            "accepts_dual_diagnosis": rng.random() < 0.4,
            "accepting_new": rng.random() < 0.7, "waiting_days": rng.choice(
                (None, 7, 15, 30, 60, 90)), "created_at": now, "updated_at": now,
            "search_text": fold(f"{name} {category.label} {category.keywords} "
                                f"{names[insee]} {postcodes[insee]}")})
    for begin in range(0, len(rows), 5_000):
        session.execute(insert(DirectoryService), rows[begin:begin + 5_000])
    session.commit()
    return len(rows)


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 17) -> datetime:
    """A working-hours moment of `day`, in UTC (the hours are near enough to Paris's)."""
    return datetime.combine(day, time(rng.randint(first_hour, last_hour),
                                      rng.randrange(60)), tzinfo=UTC)


class _History:
    """The rows of one DAC's history, situation by situation, in time order."""

    def __init__(self, rng: random.Random, ids: _Ids, rows: _Rows, dac: _Dac, start: date,
                 today: date, motives: list[str]) -> None:
        self.rng, self.ids, self.rows, self.dac = rng, ids, rows, dac
        self.start, self.today, self.motives = start, today, motives
        self.now = datetime.now(UTC)
        self.days = max(1, (today - start).days)
        self.origin_calls = 0
        self.opened: list[tuple[date, int, int]] = []  # (day, situation id, person id)

    # --- people ------------------------------------------------------------------------
    def _person(self, created: datetime) -> tuple[int, str]:
        rng = self.rng
        sex = Sex.FEMALE if rng.random() < 0.42 else Sex.MALE
        first = rng.choice(FEMALE_FIRST if sex is Sex.FEMALE else MALE_FIRST)
        firsts = first if rng.random() < 0.6 else f"{first} {rng.choice(MALE_FIRST if sex is Sex.MALE else FEMALE_FIRST)}"  # noqa: E501
        name = rng.choice(SURNAMES)
        person_id = self.ids.take(Person)
        home = rng.choices(self.dac.communes, cum_weights=self.dac.populations)[0]
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))
        self.rows.add(Person, {
            "id": person_id, "birth_name": name, "birth_first_names": firsts,
            "first_birth_first_name": first, "birth_date": born, "sex": sex,
            "commune_insee": home,
            "phone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                     f"{rng.randint(10, 99)}" if rng.random() < 0.7 else None,
            "identity_status": IdentityStatus.PROVISIONAL,
            "legal_protection": LegalProtection.CURATORSHIP if rng.random() < 0.08
            else LegalProtection.NONE,
            "name_key": _phonetic(name), "first_name_key": _first_key(first),
            "search_text": fold(f"{name} {firsts}"), "created_at": created,
            "created_by_user_id": self.dac.coordinators[0], "updated_at": created, "version": 1})
        # every row of a table carries the same keys: the insert takes its columns from
        # the first row (_write)
        self.rows.add(ConsentRecord, {
            "id": self.ids.take(ConsentRecord), "person_id": person_id,
            "kind": ConsentKind.INFORMATION, "organisation_id": None, "scope": None,
            "method": "oral", "covers_health_details": False, "recorded_on": created.date(),
            "recorded_by_user_id": self.dac.coordinators[0], "created_at": created})
        return person_id, home

    # --- one situation -------------------------------------------------------------------
    def situation(self) -> None:
        rng, dac = self.rng, self.dac
        opened_on = self.start + timedelta(days=rng.randrange(self.days))
        opened = _at(opened_on, rng)
        if opened > self.now:
            opened = self.now - timedelta(hours=1)
        referent = rng.choice(dac.coordinators)
        person_id, home = self._person(opened)
        situation_id = self.ids.take(Situation)
        disorder, words, answer, substances = clinical_profile(rng)
        outcome, event, state = weighted(rng, TRIAGE_OUTCOMES)[1:]
        caller_role, caller_place = rng.choice(CALLER_ROLES)
        caller = f"{rng.choice(FEMALE_FIRST + MALE_FIRST)} {rng.choice(SURNAMES).title()}"
        products = _substances_fr(substances)
        reason = (f"Demande d'appui : {words}, consommation "
                  + ("d'" if products[0] in "aeiouyéèê" else "de ") + products
                  + (", logement menacé" if rng.random() < 0.35 else "")
                  + (", sortie d'hospitalisation sans relais" if rng.random() < 0.3 else "")
                  + ".")
        answers = {"requester_name": caller, "requester_role": "gp"
                   if caller_role.startswith("Médecin") else "social_worker",
                   "request_reason": reason, "hospitalised": rng.random() < 0.15,
                   "domains": ["psychiatric", "addiction"] if answer != "none"
                   else ["addiction"], "psychiatric_disorder": answer,
                   "substances": substances, "imminent_danger": outcome == "emergency",
                   "housing_status": rng.choice(("stable", "stable", "threatened", "none")),
                   "suicide_risk": "high" if outcome == "emergency" else rng.choices(
                       ("none", "moderate", "high"), (70, 25, 5))[0]}
        answers["living_situation"] = rng.choice(LIVING_BY_HOUSING[answers["housing_status"]])
        self.opened.append((opened_on, situation_id, person_id))
        # the call that opened it, a few minutes before
        call_at = opened - timedelta(minutes=rng.randint(5, 90))
        self._call(call_at, CallOutcome.SITUATION_OPENED, person_id, situation_id,
                   caller, caller_role, caller_place, referent,
                   ["complex_situation"] + (["hospital_discharge"] if rng.random() < 0.3
                                            else []))
        self.origin_calls += 1
        self.rows.add(SituationShare, {"id": self.ids.take(SituationShare),
                                       "situation_id": situation_id,
                                       "organisation_id": dac.organisation.id,
                                       "shared_at": opened, "shared_by_user_id": referent})
        steps = _Steps(self, situation_id, person_id, referent, home)
        steps.fire("open", "draft", opened)
        clock = opened + timedelta(hours=rng.randint(1, 72))
        steps.fire("submit_for_triage", "to_triage", clock)
        clock += timedelta(hours=rng.randint(1, 96))
        if clock < self.now:
            self.rows.add(TriageRecord, {
                "id": self.ids.take(TriageRecord), "situation_id": situation_id,
                "logigramme_version": "2026.1", "answers": answers, "path": [],
                "proposed_outcome": outcome, "final_outcome": outcome, "user_id": referent,
                "occurred_at": clock})
        steps.fire(event, state, clock)
        if state == "awaiting_meeting":
            clock += timedelta(days=rng.randint(5, 21))
            steps.fire("meeting_decision", "in_coordination", clock)
        if steps.state == "in_coordination":
            clock = steps.coordination(clock)
        elif rng.random() < 0.5:  # oriented or assessed: a rupture without an action
            clock = steps.rupture(clock + timedelta(days=rng.randint(10, 90)), None)
        if steps.state not in ("draft", "closed", "in_rupture"):
            closing = clock + timedelta(days=rng.randint(7, 120))
            steps.fire("close", "closed", closing,
                       fields={"closure_reason": rng.choice(("resolved", "resolved",
                                                             "handed_over", "declined",
                                                             "moved_out"))})
        self.rows.add(Situation, {
            "id": situation_id, "person_id": person_id, "origin_call_id": None,
            "requester": {"name": caller, "role": caller_role.lower()},
            "state": steps.state, "state_before_rupture": steps.before_rupture,
            "intake_version": INTAKE_VERSION, "intake_answers": answers,
            "intake_updated_at": opened, "referent_user_id": referent,
            "next_review_on": (steps.clock.date() + timedelta(days=rng.randint(0, 60)))
            if steps.state in ("in_coordination", "awaiting_meeting", "in_rupture") else None,
            "closure_reason": steps.closure_reason, "closed_at": steps.closed_at,
            "created_at": opened, "created_by_user_id": referent, "updated_at": steps.clock,
            "version": 1 + len(steps.history)})

    # --- calls ---------------------------------------------------------------------------
    def _call(self, received: datetime, outcome: CallOutcome, person_id: int | None,
              situation_id: int | None, caller: str, role: str | None, place: str | None,
              taken_by: int, motives: list[str]) -> int:
        rng = self.rng
        call_id = self.ids.take(Call)
        phone = (f"0{rng.choice('4567')} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                 f"{rng.randint(10, 99)} {rng.randint(10, 99)}")
        recent = self.now - received < timedelta(days=3)
        callback = received + timedelta(hours=rng.choice((2, 4, 24))) \
            if rng.random() < (0.3 if recent else 0.05) else None
        self.rows.add(Call, {
            "id": call_id, "organisation_id": self.dac.organisation.id, "received_at": received,
            "channel": Channel.PHONE if rng.random() < 0.9 else Channel.EMAIL,
            "duration_seconds": rng.randint(60, 1200), "caller_name": caller,
            "caller_name_key": fold(caller), "caller_role": role,
            "caller_organisation": place, "caller_phone": phone,
            "caller_phone_key": phone_key(phone),
            "caller_type": CallerType.PROFESSIONAL if role else rng.choice(
                (CallerType.FAMILY, CallerType.PERSON)),
            "person_id": person_id, "outcome": outcome, "situation_id": situation_id,
            "callback_due_at": callback,
            "callback_done_at": callback if callback and not recent else None,
            "callback_done_by_user_id": taken_by if callback and not recent else None,
            "taken_by_user_id": taken_by, "created_at": received, "version": 1})
        for code in dict.fromkeys(m for m in motives if m in self.motives):
            self.rows.add(CallMotiveChoice, {"call_id": call_id, "motive_code": code})
        return call_id

    def calls(self, count: int) -> None:
        """The other calls of the single number: information, orientation, follow-up."""
        rng, dac = self.rng, self.dac
        self.opened.sort()
        opened_days = [row[0] for row in self.opened]
        motive_codes = [m for m in MOTIVE_WEIGHTS if m in self.motives]
        motive_weights = [MOTIVE_WEIGHTS[m] for m in motive_codes]
        for _ in range(max(0, count)):
            day = self.start + timedelta(days=rng.randrange(self.days + 1))
            if day.weekday() >= 5:
                day -= timedelta(days=day.weekday() - 4)
            received = _at(day, rng)
            if received > self.now:
                received = self.now - timedelta(minutes=rng.randint(1, 240))
            outcome = weighted(rng, CALL_OUTCOMES)[1]
            person_id = situation_id = None
            if outcome is CallOutcome.LINKED_SITUATION:
                known = bisect.bisect_right(opened_days, received.date())
                if known:
                    _, situation_id, person_id = self.opened[rng.randrange(
                        max(0, known - 300), known)]
                else:
                    outcome = CallOutcome.INFORMATION
            professional = rng.random() < 0.65
            role, place = rng.choice(CALLER_ROLES) if professional else (None, None)
            caller = "anonyme" if not professional and rng.random() < 0.15 else (
                f"{rng.choice(FEMALE_FIRST + MALE_FIRST)} {rng.choice(SURNAMES).title()}")
            motives = rng.choices(motive_codes, motive_weights, k=rng.choice((1, 1, 2)))
            if outcome is CallOutcome.LINKED_SITUATION:
                motives = ["ongoing_follow_up", *motives]
            call_id = self._call(received, outcome, person_id, situation_id, caller, role,
                                 place, rng.choice(dac.coordinators), motives)
            if outcome is CallOutcome.ORIENTATION:
                for category in rng.sample(("cmp", "csapa", "siao", "caarud", "gem"),
                                           rng.choice((1, 1, 2))):
                    pool = dac.services.get(category)
                    if pool:
                        self.rows.add(CallOrientation, {
                            "id": self.ids.take(CallOrientation), "call_id": call_id,
                            "service_id": rng.choice(pool)})


class _Steps:
    """One situation's workflow, replayed forward in time; nothing after now is written."""

    def __init__(self, history: _History, situation_id: int, person_id: int, referent: int,
                 home: str) -> None:
        self.h, self.situation_id, self.referent = history, situation_id, referent
        self.person_id = person_id
        self.shared_with = {history.dac.organisation.id}
        self.home = home  # the person's commune: where their ruptures are counted
        self.state = ""
        self.before_rupture: str | None = None
        self.closure_reason: str | None = None
        self.closed_at: datetime | None = None
        self.clock = history.now
        self.history: list[str] = []

    def fire(self, event: str, to_state: str, at: datetime,
             fields: dict[str, Any] | None = None) -> bool:
        if at > self.h.now or self.state == "closed":
            return False
        h = self.h
        h.rows.add(TransitionRecord, {
            "id": h.ids.take(TransitionRecord), "situation_id": self.situation_id,
            "event": event, "from_state": self.state, "to_state": to_state,
            "fields": fields or {}, "user_id": self.referent, "occurred_at": at,
            "reason": "Accompagnement terminé" if event == "close" else None})
        self.history.append(event)
        if event == "declare_rupture":
            self.before_rupture = self.state
        elif event == "resolve_rupture":
            self.before_rupture = None
        elif event == "close":
            self.closure_reason, self.closed_at = (fields or {}).get("closure_reason"), at
        self.state, self.clock = to_state, at
        return True

    def coordination(self, clock: datetime) -> datetime:
        """Rounds of actions, each perhaps followed by a rupture, then a review."""
        rng = self.h.rng
        rounds = rng.choice((1, 2, 2, 3, 3, 4, 5, 6))
        for number in range(rounds):
            actions = [self.action(clock + timedelta(days=rng.randint(0, 6)))
                       for _ in range(rng.choice((1, 2, 2, 2, 3)))]
            clock += timedelta(days=rng.randint(20, 60))
            if rng.random() < 0.8:
                followed = rng.choice(actions)
                clock = self.rupture(max(clock, followed[1]) + timedelta(
                    days=rng.randint(1, 10)), followed)
            if self.state == "in_rupture" or clock > self.h.now:
                break
            if number < rounds - 1:
                self.fire("request_review", "awaiting_meeting", clock)
                clock += timedelta(days=rng.randint(5, 21))
                self.fire("meeting_decision", "in_coordination", clock)
        return clock

    def action(self, created: datetime) -> tuple[int, datetime, str]:
        """One action and its own transitions; returns (id, when it ended or fell due,
        type)."""
        h, rng = self.h, self.h.rng
        created = min(created, h.now)
        kind = weighted(rng, RUPTURE_PROFILES)[6] if rng.random() < 0.7 else rng.choice(
            list(ACTION_TITLES))
        action_id = h.ids.take(Action)
        due = created.date() + timedelta(days=rng.randint(7, 45))
        state, changes = "open", []
        moment = created + timedelta(days=rng.randint(1, 10))
        if moment < h.now:
            changes.append(("start", "open", "in_progress", moment))
            state = "in_progress"
            ending = datetime.combine(due, time(11), tzinfo=UTC) + timedelta(
                days=rng.randint(-5, 12))
            ending = max(ending, moment + timedelta(hours=2))
            if ending < h.now:
                roll = rng.random()
                event, final = (("complete", "done") if roll < 0.75 else
                                ("block", "blocked") if roll < 0.88 else ("cancel", "cancelled"))
                changes.append((event, state, final, ending))
                state, moment = final, ending
        owner = ACTION_OWNER[kind]
        self.share(h.dac.partners[owner], created)
        h.rows.add(Action, {
            "id": action_id, "situation_id": self.situation_id, "title": ACTION_TITLES[kind],
            "type": kind, "assignee_organisation_id": self.h.dac.partners[owner],
            "assignee_user_id": self.referent if owner == "dac" else None, "due_on": due,
            "state": state, "state_before_block": "in_progress" if state == "blocked" else None,
            "block_reason": rng.choice(("no_place", "waiting_list", "refused_admission",
                                        "person_absent")) if state == "blocked" else None,
            "completion_note": "Réalisé." if state == "done" else None,
            "created_at": created, "created_by_user_id": self.referent,
            "updated_at": moment if moment < h.now else created,
            "closed_at": moment if state in ("done", "cancelled") else None,
            "version": 1 + len(changes)})
        for event, before, after, at in changes:
            h.rows.add(ActionTransition, {
                "id": h.ids.take(ActionTransition), "action_id": action_id, "event": event,
                "from_state": before, "to_state": after, "fields": {},
                "user_id": self.referent, "occurred_at": at,
                "reason": "Annulée en réunion" if event == "cancel" else None})
        ended = changes[-1][3] if changes else created
        return action_id, max(ended, datetime.combine(due, time(9), tzinfo=UTC)), kind

    def share(self, organisation_id: int, at: datetime) -> None:
        """As confiding an action does (actions.create): the situation is shared with the
        assignee, a non-health organisation (the SIAO) under the person's consent."""
        h = self.h
        if organisation_id in self.shared_with:
            return
        if organisation_id == h.dac.partners["siao"]:
            h.rows.add(ConsentRecord, {
                "id": h.ids.take(ConsentRecord), "person_id": self.person_id,
                "kind": ConsentKind.CONSENT, "organisation_id": organisation_id,
                "scope": "Demande d'hébergement ou de logement", "method": "oral",
                "covers_health_details": False, "recorded_on": at.date(),
                "recorded_by_user_id": self.referent, "created_at": at})
        h.rows.add(SituationShare, {"id": h.ids.take(SituationShare),
                                    "situation_id": self.situation_id,
                                    "organisation_id": organisation_id, "shared_at": at,
                                    "shared_by_user_id": self.referent})
        self.shared_with.add(organisation_id)

    def rupture(self, occurred: datetime, followed: tuple[int, datetime, str] | None) -> datetime:
        """A rupture on `occurred` (after the action it follows), declared a few days
        later, resolved or still open."""
        h, rng = self.h, self.h.rng
        if occurred > h.now or self.state in ("closed", "in_rupture", "draft"):
            return occurred
        profile = weighted(rng, RUPTURE_PROFILES)
        if followed is not None:  # a profile that fits the action it follows, when one does
            fitting = [p for p in RUPTURE_PROFILES if p[6] == followed[2]]
            profile = weighted(rng, fitting) if fitting else profile
        _, kind, cause, consequence, point, category, _ = profile
        declared = min(occurred + timedelta(days=rng.randint(0, 4), hours=2), h.now)
        repair = rng.choice((3, 7, 12, 20, 35, 60, 95))
        resolved = declared + timedelta(days=repair)
        still_open = resolved > h.now
        pool = h.dac.services.get(category or "", [])
        rupture_id = h.ids.take(Rupture)
        h.rows.add(Rupture, {
            "id": rupture_id, "situation_id": self.situation_id, "occurred_on": occurred.date(),
            "taxonomy_version": TAXONOMY_VERSION, "type": kind, "cause": cause,
            "consequence": consequence, "transition_point": point,
            "service_id": rng.choice(pool) if pool else None, "commune_insee": self.home,
            "organisation_id": h.dac.partners.get(PARTNER_OF_CATEGORY.get(category or "", "")),
            "declared_by_user_id": self.referent,
            "declared_at": declared,
            "resolved_on": None if still_open else resolved.date(),
            "resolution": None if still_open else "Relais organisé avec les partenaires.",
            "resolved_by_user_id": None if still_open else self.referent,
            "resolved_at": None if still_open else resolved})
        if followed is not None:
            h.rows.add(RuptureCandidate, {
                "id": h.ids.take(RuptureCandidate),
                "key": f"generated:{followed[0]}:{rupture_id}", "rule": "action_blocked",
                "situation_id": self.situation_id, "action_id": followed[0],
                "explanation": "Action bloquée, suivie d'une rupture de parcours.",
                "occurred_on": occurred.date(), "suggested_type": kind,
                "suggested_cause": cause, "status": "confirmed",
                "decided_by_user_id": self.referent, "decided_at": declared,
                "rupture_id": rupture_id, "raised_at": declared})
        back = self.state
        self.fire("declare_rupture", "in_rupture", declared)
        if not still_open:
            self.fire("resolve_rupture", back, resolved)
        return resolved


_PHONETIC: dict[str, str] = {}
_FIRST: dict[str, str] = {}


def _phonetic(name: str) -> str:
    if name not in _PHONETIC:
        _PHONETIC[name] = phonetic_key(name)
    return _PHONETIC[name]


def _first_key(name: str) -> str:
    if name not in _FIRST:
        _FIRST[name] = first_name_key(name)
    return _FIRST[name]


def _substances_fr(codes: list[str]) -> str:
    words = {"alcohol": "alcool", "cannabis": "cannabis", "opioids": "opioïdes",
             "cocaine_crack": "cocaïne", "benzodiazepines": "benzodiazépines",
             "tobacco": "tabac", "other": "autres produits"}
    return " et ".join(words[c] for c in codes)


# Parents before children; situations before calls (calls point at them), the situations'
# origin call filled in afterwards (the two tables point at each other).
_ORDER = (Person, ConsentRecord, Situation, SituationShare, TriageRecord, TransitionRecord,
          Call, CallMotiveChoice, CallOrientation, Action, ActionTransition, Rupture,
          RuptureCandidate)


def _write(session: Session, rows: _Rows, counts: Counts) -> None:
    for model in _ORDER:
        table = rows.tables.get(model.__tablename__, [])
        for begin in range(0, len(table), 5_000):
            session.execute(insert(model.__table__), table[begin:begin + 5_000])
    origins = [{"call": row["id"], "situation": row["situation_id"]}
               for row in rows.tables.get(Call.__tablename__, [])
               if row["outcome"] is CallOutcome.SITUATION_OPENED]
    if origins:
        session.execute(update(Situation.__table__)
                        .where(Situation.__table__.c.id == bindparam("situation"))
                        .values(origin_call_id=bindparam("call")), origins)
    session.commit()
    size = {model: len(rows.tables.get(model.__tablename__, [])) for model in _ORDER}
    counts.situations += size[Situation]
    counts.persons += size[Person]
    counts.calls += size[Call]
    counts.transitions += size[TransitionRecord]
    counts.action_transitions += size[ActionTransition]
    counts.actions += size[Action]
    counts.ruptures += size[Rupture]
