"""FHIR R4 export of a situation (DESIGN §8): one `collection` Bundle.

What the export holds is exactly what the situation page shows its reader (the same
services and visibility rules: actions visible to the reader, ruptures for the care
team, meeting discussions with a decision). The mapping is documented in docs/fhir.md.
Resources are plain dicts; the tests validate them with fhir.resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain.identity import IdentityStatus, Sex
from coordination.domain.ruptures import load_taxonomy
from coordination.models import Action, AgendaItem, Organisation, Rupture, Situation, User
from coordination.services import actions, meetings, policy, ruptures, situations
from coordination.workflows.action import ActionType, BlockReason, CompletionOutcome
from directory import services as directory_services

# Identifier systems (ANS): INS-NIR and FINESS (entité géographique / juridique).
INS_NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
FINESS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
IDENTIFIER_TYPE_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
# This product's own code systems (workflow states, rupture taxonomy, organisation types).
LOCAL = "urn:coordination:fhir:CodeSystem:"
# …and its extensions (an extension is a StructureDefinition, not a code system).
EXTENSION = "urn:coordination:fhir:StructureDefinition:"

CAREPLAN_STATUS = {"draft": "draft", "closed": "completed", "in_rupture": "on-hold"}
TASK_STATUS = {"open": "requested", "in_progress": "in-progress", "done": "completed",
               "cancelled": "cancelled", "blocked": "on-hold"}
GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.UNDETERMINED: "unknown"}


def situation_bundle(session: Session, actor: User, situation_id: int) -> dict[str, Any]:
    """The situation as FHIR, for a reader allowed to see its page (else NotFound)."""
    situation = situations.get_situation(session, actor, situation_id, detail="fhir")
    visible_actions = actions.situation_actions(session, actor, situation)
    discussions = meetings.situation_discussions(session, situation)
    found_ruptures = ruptures.list_for_situation(session, actor, situation)
    health = policy.sees_health_details(session, actor, situation)
    details = ruptures.readable_details(actor, found_ruptures, health)
    shares, _ = situations.readable_shares(actor, situation, health)
    organisations = _involved_organisations(
        session, situation, shares, visible_actions,
        [r for r in found_ruptures if r.id in details], discussions)

    commune = situation.person.commune_insee
    resources: list[dict[str, Any]] = [patient(situation, directory_services.commune_names(
        session, [commune]).get(commune) if commune else None)]
    resources += [organisation(o) for o in organisations]
    resources.append(care_team(situation, organisations, shares))
    encounters = {item.id: encounter(item) for item in discussions}
    resources += encounters.values()
    resources += [task(a, situation, encounters) for a in visible_actions]
    resources += [detected_issue(r, r.id in details) for r in found_ruptures]
    resources.append(care_plan(situation, visible_actions, discussions, found_ruptures,
                               with_discussions=health))
    return {
        "resourceType": "Bundle",
        "id": f"situation-{situation.id}-v{situation.version}",
        "meta": {"lastUpdated": _instant(situation.updated_at)},
        "type": "collection",
        "timestamp": _instant(utcnow()),
        "entry": [{"fullUrl": f"urn:uuid:{_uuid(r)}", "resource": r} for r in resources],
    }


def _uuid(resource: dict[str, Any]) -> str:
    return _uuid_of(resource["resourceType"], resource["id"])


def _uuid_of(kind: str, key: Any) -> str:
    """A stable UUID per resource, so two exports of the same data are comparable; entries
    are named by it and references point to it (a `collection` Bundle has no server base
    against which `Patient/…` could resolve)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"coordination:{kind}/{key}"))


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _ref(kind: str, key: Any) -> dict[str, str]:
    return {"reference": f"urn:uuid:{_uuid_of(kind, key)}"}


def _patient_ref(situation: Situation) -> dict[str, str]:
    return _ref("Patient", f"person-{situation.person_id}")


def _org_ref(organisation_id: int, display: str | None = None) -> dict[str, str]:
    ref = _ref("Organization", f"organisation-{organisation_id}")
    if display:
        ref["display"] = display
    return ref


def _local(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": LOCAL + system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": display or code}


# --- resources -----------------------------------------------------------------------------

def patient(situation: Situation, commune_name: str | None = None) -> dict[str, Any]:
    person = situation.person
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": f"person-{person.id}",
        "meta": {"tag": [{"system": LOCAL + "identity-status",
                          "code": person.identity_status.value,
                          "display": person.identity_status.label}]},
        "name": [{"use": "official", "family": person.birth_name,
                  "given": person.birth_first_names.split()}],
        "gender": GENDER[person.sex], "birthDate": person.birth_date.isoformat(),
    }
    # RNIV: the INS may be used for exchange only once the identity is qualified.
    if person.identity_status is IdentityStatus.QUALIFIED and person.ins:
        resource["identifier"] = [{
            "use": "official",
            "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "INS-NIR"}]},
            "system": INS_NIR_SYSTEM, "value": person.ins}]
    if person.used_name or person.used_first_name:
        usual: dict[str, Any] = {"use": "usual"}
        if person.used_name:
            usual["family"] = person.used_name
        if person.used_first_name:
            usual["given"] = [person.used_first_name]
        resource["name"].append(usual)
    if person.phone:
        resource["telecom"] = [{"system": "phone", "value": person.phone}]
    if person.address or person.commune_insee:
        address: dict[str, Any] = {"use": "home", "country": "FR"}
        if person.address:
            address["text"] = person.address
        if commune_name:
            address["city"] = commune_name
        if person.commune_insee:
            address["extension"] = [{"url": EXTENSION + "commune-insee",
                                     "valueCode": person.commune_insee}]
        resource["address"] = [address]
    if person.gp_name:
        resource["generalPractitioner"] = [{"display": person.gp_name}]
    if person.caregiver_name:
        contact: dict[str, Any] = {"name": {"text": person.caregiver_name},
                                   "relationship": [{"text": person.caregiver_relation
                                                     or "aidant"}]}
        if person.caregiver_phone:
            contact["telecom"] = [{"system": "phone", "value": person.caregiver_phone}]
        resource["contact"] = [contact]
    return resource


def organisation(org: Organisation) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization", "id": f"organisation-{org.id}", "active": True,
        "name": org.name, "type": [_local("organisation-type", org.type.value,
                                           org.type.label)],
    }
    if org.finess:
        resource["identifier"] = [{"system": FINESS_SYSTEM, "value": org.finess}]
    return resource


def care_team(situation: Situation, organisations: list[Organisation],
              shares: list[Any]) -> dict[str, Any]:
    """`shares`: those the reader may see (situations.readable_shares)."""
    shared = {s.organisation_id for s in shares}
    referent = situation.referent
    participants = []
    for org in organisations:
        role = "referent" if referent and referent.organisation_id == org.id else (
            "partner" if org.id in shared else "contributor")
        participants.append({"role": [_local("care-team-role", role, {
            "referent": "Coordination (référente)", "partner": "Partenaire (partage)",
            "contributor": "Intervenant"}[role])], "member": _org_ref(org.id, org.name)})
    resource: dict[str, Any] = {
        "resourceType": "CareTeam", "id": f"situation-{situation.id}-team",
        "status": "inactive" if situation.state == "closed" else "active",
        "name": "Équipe de coordination", "subject": _patient_ref(situation),
        "participant": participants,
    }
    if referent is not None:
        resource["managingOrganization"] = [_org_ref(referent.organisation_id)]
    return resource


def encounter(item: AgendaItem) -> dict[str, Any]:
    meeting = item.meeting
    reasons = [r.get("label") or r.get("code") for r in item.reasons or []
               if isinstance(r, dict)]
    resource: dict[str, Any] = {
        "resourceType": "Encounter", "id": f"agenda-item-{item.id}", "status": "finished",
        # A case discussion between professionals, without the person: no HL7 class fits
        # exactly; AMB with an explicit type (docs/fhir.md).
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                  "code": "AMB", "display": "ambulatory"},
        "type": [_local("encounter-type", "partner-meeting",
                        "Réunion de concertation pluri-partenariale")],
        "subject": _patient_ref(item.situation),
        "period": {"start": _instant(meeting.starts_at), "end": _instant(meeting.ends_at)},
        "serviceProvider": _org_ref(meeting.organisation_id),
    }
    if reasons:
        resource["reasonCode"] = [{"text": str(text)} for text in reasons if text]
    return resource


def task(action: Action, situation: Situation,
         encounters: dict[int, dict[str, Any]]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Task", "id": f"action-{action.id}",
        "status": TASK_STATUS.get(action.state, "requested"), "intent": "order",
        "code": _local("action-type", action.type, _enum_label(ActionType, action.type)),
        "description": action.title,
        "basedOn": [_ref("CarePlan", f"situation-{situation.id}")],
        "for": _patient_ref(situation), "authoredOn": _instant(action.created_at),
        "lastModified": _instant(action.updated_at),
        "owner": _org_ref(action.assignee_organisation_id, action.assignee_organisation.name),
    }
    if action.due_on:
        resource["restriction"] = {"period": {"end": action.due_on.isoformat()}}
    if action.origin_item_id in encounters:
        resource["encounter"] = _ref("Encounter", f"agenda-item-{action.origin_item_id}")
    if action.block_reason:
        resource["statusReason"] = _local("action-block-reason", action.block_reason,
                                          _enum_label(BlockReason, action.block_reason))
    if action.outcome:
        resource["businessStatus"] = _local("action-outcome", action.outcome,
                                            _enum_label(CompletionOutcome, action.outcome))
    if action.completion_note:
        resource["note"] = [{"text": action.completion_note}]
    return resource


def _enum_label(kind: Any, code: str) -> str | None:
    return kind(code).label if code in set(kind) else None


def detected_issue(rupture: Rupture, details: bool = True) -> dict[str, Any]:
    """`details`: whether the reader may read the rupture's nature and free texts
    (ruptures.readable_details); without, the issue says only that the pathway broke,
    when, and when it was repaired."""
    taxonomy = load_taxonomy()

    def coded(section: str, system: str, code: str) -> dict[str, Any]:
        return _local(system, code, taxonomy.label(section, code) or code)

    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue", "id": f"rupture-{rupture.id}",
        "status": "final", "patient": _patient_ref(rupture.situation),
        "identifiedDateTime": rupture.occurred_on.isoformat(),
    }
    if rupture.resolved_on:
        resource["mitigation"] = [{"action": {"text": (rupture.resolution if details
                                                       else None) or "Résolue"},
                                   "date": rupture.resolved_on.isoformat()}]
    if not details:
        resource["detail"] = "Rupture de parcours (nature réservée à l'équipe de soins)"
        return resource
    resource["code"] = coded("types", "rupture-type", rupture.type)
    detail = [part for part in (
        rupture.description,
        rupture.cause and "Cause : " + (taxonomy.label("causes", rupture.cause)
                                        or rupture.cause),
        rupture.consequence and "Conséquence : " + (
            taxonomy.label("consequences", rupture.consequence) or rupture.consequence),
        rupture.transition_point and "Point de transition : " + (
            taxonomy.label("transition_points", rupture.transition_point)
            or rupture.transition_point),
        rupture.service and "Service : " + rupture.service.name) if part]
    if rupture.cause:
        resource["extension"] = [{"url": EXTENSION + "rupture-cause",
                                  "valueCodeableConcept": coded("causes", "rupture-cause",
                                                                rupture.cause)}]
    if detail:
        resource["detail"] = "\n".join(detail)
    if rupture.organisation_id:
        resource["implicated"] = [_org_ref(rupture.organisation_id,
                                           rupture.organisation.name)]
    return resource


def care_plan(situation: Situation, visible_actions: list[Action],
              discussions: list[AgendaItem], found_ruptures: list[Rupture],
              with_discussions: bool = True) -> dict[str, Any]:
    """`with_discussions`: whether the reader may read what the meetings said and decided
    (free text under the field-level rule, meetings.readable_discussions)."""
    from coordination.workflows.complex_case import COMPLEX_CASE

    resource: dict[str, Any] = {
        "resourceType": "CarePlan", "id": f"situation-{situation.id}",
        "identifier": [{"system": LOCAL + "situation", "value": str(situation.id)}],
        "status": CAREPLAN_STATUS.get(situation.state, "active"), "intent": "plan",
        "category": [_local("workflow-state", situation.state,
                            COMPLEX_CASE.state(situation.state).label)],
        "title": "Plan de coordination", "subject": _patient_ref(situation),
        "period": {"start": _instant(situation.created_at)},
        "created": _instant(situation.created_at),
        "careTeam": [_ref("CareTeam", f"situation-{situation.id}-team")],
        "activity": [{"reference": _ref("Task", f"action-{a.id}")} for a in visible_actions],
    }
    if situation.closed_at:
        resource["period"]["end"] = _instant(situation.closed_at)
    if situation.referent is not None:
        resource["author"] = _org_ref(situation.referent.organisation_id)
    if found_ruptures:
        resource["supportingInfo"] = [_ref("DetectedIssue", f"rupture-{r.id}")
                                      for r in found_ruptures]
    notes = [{"time": _instant(item.decided_at), "text": _decision_text(item, with_discussions)}
             for item in discussions if item.decided_at]
    if situation.next_review_on:
        notes.append({"text": "Prochaine révision : " + situation.next_review_on.isoformat()})
    if notes:
        resource["note"] = notes
    if not resource["activity"]:
        del resource["activity"]
    return resource


def _decision_text(item: AgendaItem, with_discussions: bool) -> str:
    parts = [f"Réunion du {item.meeting.starts_at.date().isoformat()}"]
    if not with_discussions:
        parts.append("Décision réservée à l'équipe de soins")
    else:
        parts += [f"{label} : {text}" for label, text in (
            ("Décision", item.decision), ("Notes", item.discussion_notes)) if text]
    return "\n".join(parts)


def _involved_organisations(session: Session, situation: Situation, shares: Iterable[Any],
                            visible_actions: Iterable[Action],
                            found_ruptures: Iterable[Rupture],
                            discussions: Iterable[AgendaItem]) -> list[Organisation]:
    """The referent's organisation, those the situation is shared with, the assignees of
    its actions, the organisations implicated in its ruptures and the meetings' hosts —
    as far as the reader may see them (`shares`, `found_ruptures` already filtered)."""
    found: dict[int, Organisation] = {}
    if situation.referent is not None:
        found[situation.referent.organisation_id] = situation.referent.organisation
    for share in shares:
        found.setdefault(share.organisation_id, share.organisation)
    for action in visible_actions:
        found.setdefault(action.assignee_organisation_id, action.assignee_organisation)
    for rupture in found_ruptures:
        if rupture.organisation is not None:
            found.setdefault(rupture.organisation_id, rupture.organisation)
    for item in discussions:
        if item.meeting.organisation_id not in found:
            host = session.get(Organisation, item.meeting.organisation_id)
            if host is not None:
                found[host.id] = host
    return sorted(found.values(), key=lambda o: o.id)
