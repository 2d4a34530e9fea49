"""Open Referral HSDS 3.0 `service` objects (compiled form, with their organisation,
locations, phones, schedules and service areas inline): the export, and reading back the
attributes it writes (the import is directory/imports.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.categories import BY_CODE, BY_FINESS, CARE_LEVELS, MODALITIES
from directory.models import DirectoryService

# The taxonomies of the attributes this export writes and the import reads back: what HSDS
# has no field for.
CATEGORY = "coordination-categorie"
FINESS_CATEGORY = "FINESS-categorie"
CARE_LEVEL = "coordination-niveau-recours"
MODALITY = "coordination-modalite"
DUAL_DIAGNOSIS = "coordination-double-diagnostic"

# Stable ids: the same service always exports with the same UUID.
_NAMESPACE = uuid.UUID("6f1c1f1e-3d0a-4a8e-9a57-1c0d2e6c0b11")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def service_to_hsds(service: DirectoryService) -> dict[str, Any]:
    category = BY_CODE.get(service.category)
    organisation_name = service.organisation_name or service.name
    organisation_id = _id("organisation", organisation_name)
    location_id = _id("location", service.id)
    eligibility = []
    if service.conditions:
        eligibility.append(service.conditions)
    if service.accepts_dual_diagnosis is not None:
        eligibility.append("Double diagnostic accepté" if service.accepts_dual_diagnosis
                           else "Double diagnostic non accepté")
    location: dict[str, Any] = {
        "id": location_id, "location_type": "physical", "name": service.name,
        "latitude": service.latitude, "longitude": service.longitude,
        "addresses": [], "phones": [], "schedules": [], "languages": [], "contacts": [],
        "accessibility": [], "attributes": [],
    }
    if service.address and service.commune:
        location["addresses"].append({
            "id": _id("address", service.id), "location_id": location_id,
            "address_1": service.address, "city": service.commune.name,
            "state_province": service.commune.departement,
            "postal_code": service.postcode or "", "country": "FR",
            "address_type": "physical", "attributes": []})
    body: dict[str, Any] = {
        "id": _id("service", service.source, service.source_id),
        "organization_id": organisation_id,
        "name": service.name,
        # invented for the demo: said where a consumer of the export cannot miss it
        "description": ("Données de démonstration, service fictif. " if service.is_demo
                        else "") + (service.description or (category.label if category
                                                            else "")),
        "alert": "Données de démonstration : ce service n'existe pas." if service.is_demo
        else None,
        "email": service.email, "url": service.website,
        "status": "active",
        "eligibility_description": "; ".join(eligibility) or None,
        "minimum_age": service.age_min, "maximum_age": service.age_max,
        "wait_time": f"{service.waiting_days} jours" if service.waiting_days is not None
        else None,
        "assured_date": service.last_verified_on.isoformat()
        if service.last_verified_on else None,
        "last_modified": service.updated_at.isoformat() if service.updated_at else None,
        "phones": [{"id": _id("phone", service.id, i), "service_id": None,
                    "number": phone["number"], "description": phone.get("label"),
                    "languages": [], "attributes": []}
                   for i, phone in enumerate(service.phones)],
        "schedules": [{"id": _id("schedule", service.id), "description":
                       service.opening_hours, "attributes": []}]
        if service.opening_hours else [],
        "service_areas": [{"id": _id("area", service.id, s.commune_insee),
                           "name": s.commune_insee,
                           "description": "Commune desservie (code INSEE)",
                           "attributes": []} for s in service.served],
        "service_at_locations": [{"id": _id("sal", service.id), "location": location,
                                  "phones": [], "schedules": [], "contacts": [],
                                  "attributes": []}],
        "languages": [{"id": _id("language", service.id, code), "code": code,
                       "attributes": []} for code in service.languages],
        "organization": {"id": organisation_id, "name": organisation_name,
                         "description": organisation_name,
                         "organization_identifiers": [{
                             "id": _id("identifier", service.finess),
                             "identifier_type": "FINESS", "identifier": service.finess,
                             "identifier_scheme": "FR-FINESS", "attributes": []}]
                         if service.finess else [],
                         "attributes": []},
        "attributes": [], "contacts": [], "funding": [], "cost_options": [],
        "required_documents": [],
    }
    body["attributes"] = _attributes(body["id"], service)
    for phone in body["phones"]:
        phone["service_id"] = body["id"]
    return _without_none(body)


def _attributes(service_id: str, service: DirectoryService) -> list[dict[str, Any]]:
    """What HSDS has no field for, as taxonomy terms: the category (ours and FINESS's),
    the level of care, the modalities, whether dual diagnosis is accepted."""
    category = BY_CODE.get(service.category)
    terms: list[tuple[str, str, str]] = [  # (taxonomy, code, name)
        (CATEGORY, service.category,
         category.label if category else service.category)]
    terms += [(FINESS_CATEGORY, code, category.label if category else code)
              for code in (category.finess_codes if category else ())]
    if service.care_level is not None:
        terms.append((CARE_LEVEL, str(service.care_level),
                      CARE_LEVELS.get(service.care_level, str(service.care_level))))
    terms += [(MODALITY, code, MODALITIES.get(code, code))
              for code in service.modalities]
    if service.accepts_dual_diagnosis is not None:
        terms.append((DUAL_DIAGNOSIS,
                      "oui" if service.accepts_dual_diagnosis else "non",
                      "Double diagnostic accepté" if service.accepts_dual_diagnosis
                      else "Double diagnostic non accepté"))
    attributes = []
    for taxonomy, code, name in terms:
        term_id = _id("term", taxonomy, code)
        attributes.append({
            "id": _id("attribute", service_id, taxonomy, code), "link_id": service_id,
            "link_type": taxonomy, "link_entity": "service", "taxonomy_term_id": term_id,
            "taxonomy_term": {"id": term_id, "code": code, "name": name,
                              "description": name, "taxonomy": taxonomy,
                              "language": "fr"}})
    return attributes


def classification(attributes: Any, default_category: str) -> tuple[str | None, dict[str, Any]]:
    """Category, level, modalities and dual diagnosis from the HSDS attributes (the
    taxonomies of our export); the default category when the file says nothing."""
    terms: dict[str, list[str]] = {}
    for attribute in attributes or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        code = term.get("code") if isinstance(term, dict) else None
        if isinstance(code, str):
            terms.setdefault(str(attribute.get("link_type")), []).append(code)
    values: dict[str, Any] = {"category": default_category}
    ours = terms.get(CATEGORY, [])
    finess = [BY_FINESS[c].code for c in terms.get(FINESS_CATEGORY, []) if c in BY_FINESS]
    if ours and ours[0] not in BY_CODE:
        return f"catégorie inconnue « {ours[0][:40]} »", {}
    if ours or finess:
        values["category"] = (ours or finess)[0]
    levels = terms.get(CARE_LEVEL, [])
    if levels:
        if levels[0] not in {str(n) for n in CARE_LEVELS}:
            return f"niveau de recours inconnu « {levels[0][:10]} » (1, 2 ou 3)", {}
        values["care_level"] = int(levels[0])
    modalities = terms.get(MODALITY, [])
    if any(m not in MODALITIES for m in modalities):
        return "modalité inconnue (" + ", ".join(MODALITIES) + ")", {}
    if modalities:
        values["modalities"] = modalities
    dual = terms.get(DUAL_DIAGNOSIS, [])
    if dual:
        values["accepts_dual_diagnosis"] = dual[0] == "oui"
    return None, values


def _without_none(value: Any) -> Any:
    """HSDS types most fields as plain strings or numbers: leave absent ones out."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def export(session: Session) -> Iterator[dict[str, Any]]:
    for service in session.scalars(select(DirectoryService).order_by(DirectoryService.id)
                                   .execution_options(yield_per=500)):
        yield service_to_hsds(service)
