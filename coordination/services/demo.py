"""The demo territory: the Aude partnership (DAC 11, COM360, USSAP, CSAPA, ORU, SIAO…) and
one account per role. Idempotent: loading twice creates nothing twice. Later modules add
their demo data here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordination.domain.accounts import OrganisationType, Role
from coordination.models import MeetingStatus, Organisation, User
from coordination.services import accounts, observatory

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


# Invented persons (no real identity), with the situations a DAC meets: an existing
# record that a caller will mistype (LEFEVRE Jean Pierre), a married name, a protected
# adult, a person who opposed sharing.
DEMO_PERSONS: list[dict[str, object]] = [
    {"birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre", "birth_date": "1971-03-04",
     "sex": "M", "commune_insee": "11069", "phone": "06 11 22 33 44",
     "gp_name": "Dr Anne Pujol, Carcassonne", "identity_status": "validee"},
    {"birth_name": "GARCIA", "birth_first_names": "Sandrine Marie", "used_name": "BOUSQUET",
     "birth_date": "1984-11-27", "sex": "F", "commune_insee": "11262",
     "caregiver_name": "Paul Bousquet", "caregiver_relation": "conjoint"},
    {"birth_name": "BENALI", "birth_first_names": "Karim", "birth_date": "1992-06-15",
     "sex": "M", "commune_insee": "11069", "legal_protection": "curatelle_renforcee",
     "legal_protection_holder": "ATDI de l'Aude (mandataire judiciaire)"},
    {"birth_name": "MARTY", "birth_first_names": "Josiane", "birth_date": "1958-02-09",
     "sex": "F", "commune_insee": "11203"},
    {"birth_name": "ROUQUETTE", "birth_first_names": "Théo Louis", "birth_date": "2004-09-30",
     "sex": "M", "commune_insee": "11076"},
]


def _load_demo_persons(session: Session, coordinator: User) -> None:
    from coordination.domain.consent import ConsentKind
    from coordination.models import Person
    from coordination.services import persons

    if session.scalar(select(Person.id).limit(1)) is not None:
        return
    siao = accounts.find_organisation(session, "SIAO 11")
    for data in DEMO_PERSONS:
        person = persons.create_person(session, coordinator, data)
        if person.birth_name == "MARTY":
            persons.record_consent(session, coordinator, person,
                                   {"kind": ConsentKind.OPPOSITION.value,
                                    "note": "Ne souhaite pas que ses informations circulent."})
            continue
        persons.record_consent(session, coordinator, person,
                               {"kind": ConsentKind.INFORMATION.value, "method": "oral"})
        if person.birth_name in {"LEFEVRE", "BENALI"}:
            persons.record_consent(session, coordinator, person,
                                   {"kind": ConsentKind.CONSENT.value,
                                    "organisation_id": siao.id,
                                    "scope": "Demande d'hébergement"})


DEMO_INTAKE = {
    "requester_name": "Dr Anne Pujol", "requester_role": "gp",
    "requester_organisation": "Cabinet médical de la Bastide, Carcassonne",
    "request_reason": "Consommation d'alcool et troubles psychotiques, expulsion annoncée, "
                      "sortie d'hospitalisation sans suivi organisé.",
    "living_situation": "own_home", "lives_alone": True, "hospitalised": False,
    "recent_discharge_without_follow_up": True,
    "domains": ["psychiatric", "addiction", "housing"], "psychiatric_disorder": "diagnosed",
    "substances": ["alcohol", "tobacco"], "housing_status": "threatened",
    "rights_status": "open", "imminent_danger": False, "suicide_risk": "moderate",
}


# (days ago, hour, minute, caller, role, organisation, phone, type, motives, person, outcome,
#  services searched for the orientation, callback in hours from the call, notes)
DEMO_CALLS: list[tuple[Any, ...]] = [
    (9, 9, 12, "Dr Anne Pujol", "Médecin généraliste", "Cabinet médical de la Bastide",
     "04 68 25 11 20", "professional", ["complex_situation", "hospital_discharge"],
     "LEFEVRE", "information", [], None,
     "Patient sorti du CH sans rendez-vous de suivi, alcool, expulsion annoncée."),
    (9, 10, 40, "Sylvie Roques", "Fille", None, "06 12 45 78 90", "family",
     ["caregiver_support", "psychiatric_care"], None, "orientation", ["CMP"], None,
     "Mère de 74 ans, idées délirantes depuis un mois, refuse de consulter."),
    (8, 14, 5, "Karim Haddad", "Assistant de service social", "CCAS de Narbonne",
     "04 68 90 30 30", "professional", ["housing", "addiction"], None, "orientation",
     ["CHRS", "CSAPA"], None, "Homme de 45 ans à la rue, alcool, demande d'hébergement."),
    (7, 11, 30, "anonyme", None, None, None, "person", ["addiction"], None, "orientation",
     ["CAARUD"], None, "Cherche un lieu pour du matériel de réduction des risques."),
    (6, 16, 20, "Dr Paul Sabatier", "Psychiatre", "Centre hospitalier de Carcassonne",
     "04 68 24 24 24", "professional", ["hospital_discharge"], "BENALI", "information", [],
     None, "Sortie prévue sous 8 jours, demande d'un relais CSAPA."),
    (5, 9, 45, "Marion Cathala", "Infirmière", "CSAPA de l'Aude", "04 68 47 33 90",
     "professional", ["ongoing_follow_up"], None, "information", [], 48,
     "Point sur une situation suivie : rappeler après la réunion d'équipe."),
    (4, 15, 0, "Jean Bonnafous", "Voisin", None, "06 70 11 22 33", "family", ["crisis"],
     None, "emergency_redirect", [], None, "Menaces suicidaires : orienté vers le 15."),
    (3, 10, 15, "Dr Anne Pujol", "Médecin généraliste", "Cabinet médical de la Bastide",
     "04 68 25 11 20", "professional", ["orientation"], None, "orientation", ["CMP"], None,
     "Adolescent de 16 ans, repli et cannabis : quel CMP ?"),
    (2, 11, 50, "Nadia Ferrand", "Mandataire judiciaire", "ATDI de l'Aude",
     "04 68 11 50 50", "professional", ["rights_resources", "housing"], None, "information",
     [], None, "Droits AAH suspendus, question sur la domiciliation."),
    (1, 9, 5, "Sylvie Roques", "Fille", None, "06 12 45 78 90", "family",
     ["caregiver_support"], None, "information", [], 4,
     "Le rendez-vous CMP est dans trois semaines, la fille est épuisée."),
    (0, 8, 50, "Fabien Escande", "Éducateur", "SIAO 11", "04 68 72 40 00", "professional",
     ["housing", "complex_situation"], "GARCIA", "information", [], 6,
     "Hébergée chez un tiers, rupture de droits : veut une réunion de concertation."),
    (0, 9, 35, "Dr Claire Vidal", "Médecin généraliste", "Maison de santé de Limoux",
     "04 68 31 02 02", "professional", ["psychiatric_care", "addiction"], None,
     "orientation", ["CSAPA", "CMP"], None,
     "Double diagnostic, patient ambivalent : coordonnées CSAPA et CMP envoyées."),
]


def _load_demo_calls(session: Session, coordinator: User) -> dict[str, int]:
    """A fortnight of calls on the single number; returns the origin call of each demo
    situation (by person)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from coordination.models import Call, Person
    from coordination.services import calls
    from directory import services as directory_services

    if session.scalar(select(Call.id).limit(1)) is not None:
        return {}
    zone = ZoneInfo("Europe/Paris")
    people = {p.birth_name: p for p in session.scalars(select(Person))}
    today = datetime.now(zone).date()
    origins: dict[str, int] = {}
    for (days_ago, hour, minute, name, role, organisation, phone, caller_type, motives,
         person, outcome, searched, callback_hours, notes) in DEMO_CALLS:
        received = datetime.combine(today - timedelta(days=days_ago), time(hour, minute),
                                    tzinfo=zone)
        if received > datetime.now(zone):
            received = datetime.now(zone) - timedelta(minutes=5)
        services = [hit.service.id for word in searched for hit in directory_services.search(
            session, directory_services.SearchQuery(q=word, per_page=1)).items]
        call = calls.log_call(session, coordinator, {
            "received_at": received, "caller_name": name, "caller_role": role,
            "caller_organisation": organisation, "caller_phone": phone,
            "caller_type": caller_type, "motives": motives,
            "person_id": people[person].id if person else None, "outcome": outcome,
            "service_ids": services, "notes": notes,
            "duration_seconds": 120 + (hour * 37 + minute * 11) % 600,
            "callback_due_at": received + timedelta(hours=callback_hours)
            if callback_hours else None}, zone=zone)
        if person and person not in origins:
            origins[person] = call.id
    return origins


def _load_demo_situations(session: Session, coordinator: User,
                          origin_calls: dict[str, int]) -> None:
    from coordination.models import Person, Situation
    from coordination.services import situations

    if session.scalar(select(Situation.id).limit(1)) is not None:
        return
    people = {p.birth_name: p for p in session.scalars(select(Person))}
    requester = {"name": "Dr Anne Pujol", "role": "médecin généraliste"}
    # Mr Lefevre: the main journey, opened from the GP's call, triaged to the next meeting.
    lefevre = situations.open_situation(session, coordinator, people["LEFEVRE"].id, requester,
                                        call_id=origin_calls.get("LEFEVRE"))
    situations.save_intake(session, coordinator, lefevre, DEMO_INTAKE, None)
    situations.fire_event(session, coordinator, lefevre, "submit_for_triage")
    situations.run_triage(session, coordinator, lefevre)
    # Mrs Garcia (Bousquet): intake started, not finished (a draft).
    garcia = situations.open_situation(session, coordinator, people["GARCIA"].id,
                                       {"name": "SIAO 11", "role": "travailleur social"})
    situations.save_intake(session, coordinator, garcia, {
        "requester_name": "SIAO 11", "requester_role": "social_worker",
        "request_reason": "Hébergée chez un tiers, rupture de droits, épuisement du conjoint",
        "living_situation": "hosted"}, None)
    # Mr Benali: in coordination, shared with the CSAPA (he is informed and agreed).
    benali = situations.open_situation(session, coordinator, people["BENALI"].id,
                                       {"name": "CSAPA de l'Aude", "role": "infirmier"})
    situations.save_intake(session, coordinator, benali, {
        **DEMO_INTAKE, "requester_name": "CSAPA de l'Aude", "requester_role": "nurse",
        "requester_organisation": "CSAPA de l'Aude, Carcassonne",
        "request_reason": "Mésusage d'opioïdes et de benzodiazépines depuis la perte de son "
                          "AAH, logement menacé, refus d'admission en post-cure.",
        "domains": ["addiction", "rights_resources", "isolation"],
        "substances": ["opioids", "benzodiazepines"], "psychiatric_disorder": "suspected"},
        None)
    situations.fire_event(session, coordinator, benali, "submit_for_triage")
    situations.run_triage(session, coordinator, benali)
    situations.share_situation(session, coordinator, benali,
                               accounts.find_organisation(session, "CSAPA de l'Aude").id)
    # His housing is threatened: shared with the SIAO too, under his consent naming it, which
    # does not cover health details (the SIAO sees the situation without them).
    situations.share_situation(session, coordinator, benali,
                               accounts.find_organisation(session, "SIAO 11").id)
    # Théo Rouquette, 22: cannabis and a first psychotic episode, followed since the
    # summer; his review falls before the next meeting.
    rouquette = situations.open_situation(session, coordinator, people["ROUQUETTE"].id,
                                          {"name": "Mme Rouquette", "role": "mère"})
    situations.save_intake(session, coordinator, rouquette, {
        **DEMO_INTAKE, "requester_name": "Mme Rouquette", "requester_role": "family",
        "request_reason": "Repli depuis six mois, consommation de cannabis quotidienne, "
                          "premier épisode délirant, arrêt de ses études.",
        "living_situation": "own_home", "lives_alone": False,
        "recent_discharge_without_follow_up": False,
        "domains": ["psychiatric", "addiction", "isolation"],
        "substances": ["cannabis"], "housing_status": "stable", "suicide_risk": "moderate"},
        None)
    situations.fire_event(session, coordinator, rouquette, "submit_for_triage")
    situations.run_triage(session, coordinator, rouquette)
    if rouquette.state == "in_assessment":
        situations.fire_event(session, coordinator, rouquette, "start_coordination")
    rouquette.next_review_on = date.today() + timedelta(days=1)
    session.commit()


def _load_demo_meetings(session: Session, coordinator: User) -> None:
    """The partnership's fortnightly meeting: past meetings with their minutes (one
    decided two actions for Mr Benali), and the next one with its agenda built."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from coordination.models import Meeting, MeetingSeries, Person, Situation
    from coordination.services import meetings

    if session.scalar(select(MeetingSeries.id).limit(1)) is not None:
        return
    zone = ZoneInfo("Europe/Paris")
    today = datetime.now(zone).date()
    invited = [accounts.find_organisation(session, name).id for name in (
        "Communauté 360 Aude", "USSAP – pôle psychiatrie adulte (CMP)", "CSAPA de l'Aude",
        "ORU Occitanie", "SIAO 11", "CH Carcassonne")]
    series = meetings.create_series(session, coordinator, {
        "name": "Réunion de concertation partenariale", "place": "DAC 11, Carcassonne",
        "video_link": "https://visio.example/dac11-concertation",
        "invited_organisation_ids": invited,
        "recurrence": {"weekday": "tuesday", "positions": "2,4", "time": "14:00",
                       "duration_minutes": 120, "holiday_policy": "skip",
                       "agenda_cap": 12, "freeze_days_before": 3}}, today=today)
    meetings.ensure_meetings(session, today - timedelta(days=42), horizon_days=42,
                             series_ids=[series.id])
    past = list(session.scalars(select(Meeting).where(
        Meeting.series_id == series.id, Meeting.ends_at < datetime.now(zone))
        .order_by(Meeting.starts_at)))
    benali = session.scalar(select(Situation).join(Person).where(
        Person.birth_name == "BENALI"))
    csapa = accounts.find_organisation(session, "CSAPA de l'Aude")
    ussap = accounts.find_organisation(session, "USSAP – pôle psychiatrie adulte (CMP)")
    for number, meeting in enumerate(past):
        last = number == len(past) - 1
        meetings.record_attendance(session, coordinator, meeting, [
            (meeting.organisation_id, True, "Camille Roux, Julien Marty"),
            (csapa.id, True, "Nadia Benali"), (ussap.id, True, "Claire Fabre"),
            (invited[-1], False, None)])
        if last and benali is not None:
            item = meetings.add_item(session, coordinator, meeting, benali.id,
                                     "Relais CSAPA et suivi psychiatrique à organiser")
            meetings.record_decision(session, coordinator, meeting, item.id, {
                "notes": "Consommations en hausse depuis la perte de l'AAH ; ambivalent "
                         "mais d'accord pour un rendez-vous au CSAPA.",
                "decision": "Coordination : rendez-vous CSAPA, évaluation au CMP, "
                            "point sur les droits avec l'assistante sociale.",
                "next_review_on": (today + timedelta(days=21)).isoformat(),
                "actions": [
                    {"title": "Premier rendez-vous au CSAPA", "type": "csapa_appointment",
                     "assignee_organisation_id": csapa.id,
                     "due_on": (today + timedelta(days=5)).isoformat()},
                    {"title": "Évaluation psychiatrique au CMP", "type": "cmp_appointment",
                     "assignee_organisation_id": ussap.id,
                     "due_on": (today - timedelta(days=3)).isoformat(),
                     "confirm_past_due": True}]}, zone=zone)
        meetings.close_meeting(session, coordinator, meeting,
                               "Point sur la convention avec le CAARUD (à renouveler)."
                               if last else None)
        meetings.publish_minutes(session, coordinator, meeting)
    upcoming = meetings.next_meeting_for(session, coordinator.organisation_id)
    if upcoming is not None:
        meetings.build_agenda(session, coordinator, upcoming, zone)


# (weight, type, cause, consequence, transition point, directory category involved): the
# shapes of rupture the Aude partnership meets most, for 18 months of history.
DEMO_RUPTURE_PROFILES: list[tuple[int, str, str | None, str | None, str | None, str | None]] = [
    (9, "hospital_discharge_without_follow_up", "discharge_not_prepared", "rehospitalisation",
     "psychiatric_hospital_to_home", "psychiatric_hospital"),
    (6, "hospital_discharge_without_follow_up", "information_not_transmitted",
     "emergency_visit", "general_hospital_to_home", "general_hospital"),
    (7, "admission_refused_too_psychiatric", "admission_criteria", "lost_to_follow_up",
     "addiction_inpatient_to_csapa", "csapa"),
    (5, "admission_refused_too_addiction", "admission_criteria", "psychiatric_decompensation",
     "csapa_to_cmp", "cmp"),
    (7, "excessive_waiting_time", "waiting_time", "emergency_visit", "primary_care_to_cmp",
     "cmp"),
    (6, "lost_contact", "person_refusal", "lost_to_follow_up", None, None),
    (5, "no_housing_at_discharge", "capacity_full", "street", "hospital_to_street", "siao"),
    (3, "treatment_interruption_opioid_substitution", "prescription_not_renewed", "relapse",
     "prison_to_community", "csapa"),
    (2, "loss_of_rights_or_resources", "domiciliation", "rights_loss", None, None),
    (2, "caregiver_exhaustion", "caregiver_unavailable", "rehospitalisation", None, None),
    (1, "prison_release_without_follow_up", "no_referent", "street", "prison_to_street", None),
    (1, "exclusion_after_incident", "house_rules", "street", "shelter_to_housing", "chrs"),
]
DEMO_HISTORY_NAMES = ["ALBERT", "BARTHES", "CAZALS", "DELPECH", "ESPINASSE", "FOURCADE",
                      "GALY", "HUC", "IZARD", "JALABERT", "LAFFONT", "MAUREL", "NOGUES",
                      "OURLIAC", "PAGES", "RIVALS", "SABATIER", "TEISSEIRE", "VERDIER",
                      "ANDRIEU", "BOYER", "COMBES", "DURAND", "ESTEVE"]
DEMO_HISTORY_FIRST = ["Marc", "Nathalie", "Sébastien", "Aurélie", "Laurent", "Sylvie"]


def _load_demo_ruptures(session: Session, coordinator: User) -> None:
    """Ruptures on the demo situations (one open on Mr Lefevre's, one resolved on Mr
    Benali's) and 18 months of closed situations with their ruptures, so that the
    observatory has something true to show. Deterministic (a seeded generator)."""
    import random
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from coordination.domain.ruptures import CURRENT_VERSION as TAXONOMY_VERSION
    from coordination.models import (
        Commune,
        DirectoryService,
        Person,
        Rupture,
        Situation,
        TransitionRecord,
    )
    from coordination.services import persons, ruptures
    from coordination.workflows.intake import CURRENT_VERSION as INTAKE_VERSION

    if session.scalar(select(Rupture.id).limit(1)) is not None:
        return
    today = date.today()
    people = {p.birth_name: p for p in session.scalars(select(Person))}
    by_person = {s.person_id: s for s in session.scalars(select(Situation))}
    csapa = accounts.find_organisation(session, "CSAPA de l'Aude")
    lefevre = by_person.get(people["LEFEVRE"].id) if "LEFEVRE" in people else None
    if lefevre is not None and lefevre.state != "draft":
        ruptures.declare_rupture(session, coordinator, lefevre.id, {
            "occurred_on": (today - timedelta(days=12)).isoformat(),
            "type": "hospital_discharge_without_follow_up", "cause": "discharge_not_prepared",
            "consequence": "emergency_visit", "transition_point": "psychiatric_hospital_to_home",
            "description": "Sorti du CH sans rendez-vous CMP ni relais addictologie."},
            today=today)
    benali = by_person.get(people["BENALI"].id) if "BENALI" in people else None
    if benali is not None and benali.state != "draft":
        done = ruptures.declare_rupture(session, coordinator, benali.id, {
            "occurred_on": (today - timedelta(days=40)).isoformat(),
            "type": "admission_refused_too_psychiatric", "cause": "admission_criteria",
            "consequence": "lost_to_follow_up", "transition_point": "addiction_inpatient_to_csapa",
            "organisation_id": csapa.id,
            "description": "Admission en post-cure refusée : troubles psychiques jugés "
                           "trop importants."}, today=today)
        ruptures.resolve_rupture(session, coordinator, done.id, {
            "resolved_on": (today - timedelta(days=19)).isoformat(),
            "resolution": "Suivi conjoint CMP–CSAPA organisé en réunion partenariale."},
            today=today)
    generator = random.Random(2026)
    communes = list(session.scalars(select(Commune.insee).where(Commune.departement == "11")
                                    .order_by(Commune.population.desc().nulls_last(),
                                              Commune.insee).limit(10)))
    services: dict[str, list[int]] = {}
    for category in {p[5] for p in DEMO_RUPTURE_PROFILES if p[5]}:
        services[category] = list(session.scalars(
            select(DirectoryService.id).where(DirectoryService.category == category)
            .order_by(DirectoryService.id).limit(3)))
    weights = [p[0] for p in DEMO_RUPTURE_PROFILES]
    zone = ZoneInfo("Europe/Paris")
    start = today - timedelta(days=548)
    for index in range(144):
        name = DEMO_HISTORY_NAMES[index % len(DEMO_HISTORY_NAMES)]
        first = DEMO_HISTORY_FIRST[index // len(DEMO_HISTORY_NAMES)]
        person = persons.create_person(session, coordinator, {
            "birth_name": name, "birth_first_names": first,
            "birth_date": date(1950 + (index * 7) % 55, 1 + index % 12, 1 + index % 28)
            .isoformat(), "sex": "F" if index % 2 else "M",
            "commune_insee": communes[generator.randrange(len(communes))] if communes
            else None}, force=True, force_reason="Personne fictive du jeu de démonstration")
        opened_on = start + timedelta(days=generator.randrange(480))
        opened = datetime.combine(opened_on, time(10), tzinfo=zone)
        closed = opened + timedelta(days=60 + generator.randrange(120))
        situation = Situation(person_id=person.id, requester={"name": "Historique"},
                              state="closed", intake_version=INTAKE_VERSION, intake_answers={},
                              referent_user_id=coordinator.id,
                              created_by_user_id=coordinator.id, created_at=opened,
                              closure_reason="resolved", closed_at=closed)
        session.add(situation)
        session.flush()
        session.add_all([
            TransitionRecord(situation_id=situation.id, event="open", from_state="",
                             to_state="draft", occurred_at=opened, user_id=coordinator.id),
            TransitionRecord(situation_id=situation.id, event="close", from_state="draft",
                             to_state="closed", occurred_at=closed, user_id=coordinator.id,
                             reason="Historique de démonstration",
                             fields={"closure_reason": "resolved"})])
        # most people meet one rupture, some two or three (recurrence)
        for _ in range(generator.choice((1, 1, 1, 2, 2, 3, 4))):
            _, kind, cause, consequence, point, category = generator.choices(
                DEMO_RUPTURE_PROFILES, weights)[0]
            occurred = min(opened_on + timedelta(days=generator.randrange(90)), today)
            repair = generator.choice((3, 7, 12, 20, 35, 60, 95, None))
            resolved = occurred + timedelta(days=repair) if repair is not None else None
            pool = services.get(category or "", [])
            session.add(Rupture(
                situation_id=situation.id, occurred_on=occurred,
                commune_insee=situation.person.commune_insee,
                taxonomy_version=TAXONOMY_VERSION, type=kind, cause=cause,
                consequence=consequence, transition_point=point,
                service_id=pool[generator.randrange(len(pool))] if pool else None,
                declared_by_user_id=coordinator.id, declared_at=opened,
                resolved_on=resolved if resolved and resolved <= today else None,
                resolution="Relais organisé en réunion partenariale."
                if resolved and resolved <= today else None,
                resolved_by_user_id=coordinator.id if resolved and resolved <= today else None))
    session.commit()


def load_demo(session: Session, size: str | None = None, seed: int = 2026,
              progress: Any = None) -> list[DemoAccount]:
    """Create what is missing of the demo territory; return the demo accounts. With a
    `size` (services/generator.py), generated history is added on top."""
    from directory import reference

    if reference.load_communes(session):
        observatory.rebuild_month_counts(session)  # ruptures may name the added communes
        session.commit()
    reference.load_sae_hospitals(session)
    reference.load_demo_services(session)
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
    coordinator = session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0].email))
    _load_demo_persons(session, coordinator)
    _load_demo_situations(session, coordinator, _load_demo_calls(session, coordinator))
    _load_demo_ruptures(session, coordinator)
    _load_demo_meetings(session, coordinator)
    if size is not None:
        from coordination.services import generator

        generator.generate(session, size, seed=seed, progress=progress)
        _keep_story_on_next_agenda(session, coordinator)
        _discuss_history_in_past_meetings(session, coordinator, seed)
    return list(DEMO_ACCOUNTS)


# The hand-written story's situations and why the coordinator adds them by hand.
STORY_AGENDA = {"LEFEVRE": "Sortie du CH sans relais : à organiser avec le CMP et le CSAPA",
                "ROUQUETTE": "Revue : premier épisode délirant, cannabis quotidien"}


def _keep_story_on_next_agenda(session: Session, coordinator: User) -> None:
    """Generated history fills the next agenda with its own situations; the story a new user
    follows (Mr Lefevre, Théo Rouquette) is added by hand, as a coordinator would, raising
    the cap when it is reached rather than pushing another situation out."""
    from coordination.models import Person, Situation
    from coordination.services import meetings

    upcoming = meetings.next_meeting_for(session, coordinator.organisation_id)
    if upcoming is None or upcoming.status is not MeetingStatus.SCHEDULED:
        return
    born = {str(p["birth_name"]): date.fromisoformat(str(p["birth_date"]))
            for p in DEMO_PERSONS}
    for name, note in STORY_AGENDA.items():
        situation = session.scalar(select(Situation).join(Person).where(
            Person.birth_name == name, Person.birth_date == born[name],
            Situation.state != "closed").order_by(Situation.id))
        if situation is None:
            continue
        item = next((i for i in upcoming.items if i.situation_id == situation.id
                     and i.position), None)
        if item is not None and item.manual:
            continue
        if item is not None:  # there by the builder's choice: made a hand addition
            meetings.remove_item(session, coordinator, upcoming, item.id)
        on_agenda = [i for i in upcoming.items if i.position]
        if len(on_agenda) >= upcoming.agenda_cap:
            meetings.set_agenda_cap(session, coordinator, upcoming, len(on_agenda) + 1)
        meetings.add_item(session, coordinator, upcoming, situation.id, note)


# What a partner meeting decides for a situation it reviews (the generated history's).
PAST_DECISIONS = [
    "Poursuite de la coordination ; point avec le CMP dans un mois.",
    "Relais CSAPA confirmé ; revoir l'hébergement avec le SIAO.",
    "Situation stabilisée : prochaine revue dans six semaines.",
    "Visite à domicile à organiser par la coordination avec l'infirmier libéral.",
    "Dossier de droits à relancer (AAH) ; la coordination prévient le médecin traitant.",
    "Rendez-vous CMP manqué deux fois : proposer un accompagnement physique.",
]


def _discuss_history_in_past_meetings(session: Session, coordinator: User, seed: int) -> None:
    """The generated history names no meeting: the demo's past meetings then each review a
    few of its situations (their review had come), so that the minutes, the situation
    pages and the activity figures have something true to show. Idempotent: a meeting
    that already discussed three situations is left as it is."""
    import random
    from datetime import datetime

    from coordination.domain.agenda import AgendaReason
    from coordination.models import AgendaItem, Meeting, MeetingSeries, Situation

    rng = random.Random(seed)
    series = session.scalar(select(MeetingSeries.id).where(
        MeetingSeries.organisation_id == coordinator.organisation_id).order_by(MeetingSeries.id))
    referents = select(User.id).where(User.organisation_id == coordinator.organisation_id)
    for meeting in session.scalars(select(Meeting).where(
            Meeting.series_id == series,
            Meeting.status == MeetingStatus.MINUTES_PUBLISHED).order_by(Meeting.starts_at)):
        if len(meeting.items) >= 3:
            continue
        taken = {item.situation_id for item in meeting.items}
        candidates = [sid for sid in session.scalars(select(Situation.id).where(
            Situation.referent_user_id.in_(referents),
            Situation.state.in_(("in_coordination", "in_rupture")),
            Situation.created_at < meeting.starts_at - timedelta(days=14))
            .order_by(Situation.id)) if sid not in taken]
        position = max((item.position or 0 for item in meeting.items), default=0)
        built = meeting.starts_at - timedelta(days=3)
        meeting.agenda_built_at = meeting.agenda_built_at or built
        meeting.agenda_frozen_at = meeting.agenda_frozen_at or built
        for situation_id in rng.sample(candidates, min(5, len(candidates))):
            position += 1
            due = meeting.starts_at.date() - timedelta(days=rng.randint(0, 6))
            decided: datetime = meeting.starts_at + timedelta(minutes=12 * position)
            session.add(AgendaItem(
                meeting_id=meeting.id, situation_id=situation_id, position=position,
                reasons=[{"code": AgendaReason.REVIEW_DUE.value,
                          "label": AgendaReason.REVIEW_DUE.label,
                          "detail": f"revue prévue le {due:%d/%m/%Y}"}],
                explanation="Revue prévue", added_at=built,
                added_by_user_id=coordinator.id, decision=rng.choice(PAST_DECISIONS),
                next_review_on=meeting.starts_at.date() + timedelta(days=rng.choice((
                    14, 28, 42))), decided_at=decided, decided_by_user_id=coordinator.id))
    session.commit()
