"""Persons: create (with duplicate check), read, edit, search, consents, merge."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify, request
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.domain.errors import ValidationError, is_id
from coordination.models import ConsentRecord, Person, PersonMerge
from coordination.services import persons, policy
from coordination.web.access import allow
from coordination.web.api import (
    bp,
    expected_version,
    json_body,
    page_args,
    paginated,
    paginated_list,
)
from coordination.web.context import db

PERSON_ROLES = (Role.COORDINATOR, Role.ADMIN)


def consent_json(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id, "kind": record.kind.value,
        "organisation_id": record.organisation_id,
        "organisation_name": record.organisation.name if record.organisation else None,
        "scope": record.scope, "covers_health_details": record.covers_health_details,
        "method": record.method,
        "recorded_on": record.recorded_on.isoformat(),
        "recorded_by": record.recorded_by.full_name if record.recorded_by else None,
        "note": record.note, "active": record.is_active,
        "revoked_on": record.revoked_on.isoformat() if record.revoked_on else None,
        "revocation_reason": record.revocation_reason,
    }


CARE_FIELDS = ("address", "phone", "gp_name", "gp_phone", "gp_directory_service_id",
               "caregiver_name", "caregiver_relation", "caregiver_phone",
               "legal_protection", "legal_protection_holder")


def person_json(person: Person, requested_id: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": person.id, "version": person.version,
        "birth_name": person.birth_name, "birth_first_names": person.birth_first_names,
        "first_birth_first_name": person.first_birth_first_name,
        "birth_date": person.birth_date.isoformat(), "sex": person.sex.value,
        "birth_place_insee": person.birth_place_insee,
        "birth_country_insee": person.birth_country_insee,
        "used_name": person.used_name, "used_first_name": person.used_first_name,
        "identity_status": person.identity_status.value, "ins": person.ins,
        "commune_insee": person.commune_insee, "address": person.address,
        "phone": person.phone, "gp_name": person.gp_name, "gp_phone": person.gp_phone,
        "gp_directory_service_id": person.gp_directory_service_id,
        "caregiver_name": person.caregiver_name,
        "caregiver_relation": person.caregiver_relation,
        "caregiver_phone": person.caregiver_phone,
        "legal_protection": person.legal_protection.value,
        "legal_protection_holder": person.legal_protection_holder,
        "consents": [consent_json(c) for c in person.consents],
        "identity_history": [{"from": c.from_status.value if c.from_status else None,
                              "to": c.to_status.value, "reason": c.reason,
                              "at": c.changed_at.isoformat()} for c in person.status_changes],
        "created_at": person.created_at.isoformat(),
    }
    if requested_id is not None and requested_id != person.id:
        body["merged_from"] = requested_id  # an old link, resolved to the surviving record
    body["care_details_withheld"] = not policy.reads_care_around_person(current_user)
    if body["care_details_withheld"]:  # an admin: the identity, not the care around it
        body.update({name: None for name in CARE_FIELDS}, consents=[])
    return body


def merge_json(record: PersonMerge) -> dict[str, Any]:
    return {"id": record.id, "survivor_id": record.survivor_id, "merged_id": record.merged_id,
            "reason": record.reason, "moved": record.moved,
            "performed_at": record.performed_at.isoformat(),
            "undone_at": record.undone_at.isoformat() if record.undone_at else None}


def _with_etag(response: Any, person: Person) -> Any:
    response.headers["ETag"] = f'"{person.version}"'
    return response


@bp.post("/persons")
@allow(Role.COORDINATOR)
def create_person() -> Any:
    body = json_body()
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ValidationError({"force": ["true ou false attendu."]})
    person = persons.create_person(db(), current_user, body, force=force,
                                   force_reason=_text(body, "reason"))
    return _with_etag(jsonify(person_json(person)), person), 201


@bp.get("/persons")
@allow(*PERSON_ROLES)
def search_persons() -> Any:
    page, per_page = page_args()
    born = None
    if request.args.get("birth_date"):
        try:
            born = date.fromisoformat(request.args["birth_date"])
        except ValueError:
            raise ValidationError({"birth_date": ["Date attendue au format AAAA-MM-JJ."]}) \
                from None
    result = persons.search_persons(db(), current_user, request.args.get("q"), born,
                                    page, per_page)
    items = [{"id": p.id, "birth_name": p.birth_name, "used_name": p.used_name,
              "birth_first_names": p.birth_first_names, "birth_date": p.birth_date.isoformat(),
              "sex": p.sex.value, "commune_insee": p.commune_insee,
              "identity_status": p.identity_status.value} for p in result.items]
    return paginated(items, page, per_page, result.total)


@bp.get("/persons/<int:person_id>")
@allow(*PERSON_ROLES, Role.PARTNER)
def get_person(person_id: int) -> Any:
    person = persons.get_person(db(), current_user, person_id, detail="api")
    return _with_etag(jsonify(person_json(person, person_id)), person)


@bp.patch("/persons/<int:person_id>")
@allow(Role.COORDINATOR)
def update_person(person_id: int) -> Any:
    body = json_body()
    person = persons.get_person(db(), current_user, person_id, follow_merge=False)
    person = persons.update_person(db(), current_user, person, body,
                                   expected_version(body.get("version")))
    return _with_etag(jsonify(person_json(person)), person)


@bp.get("/persons/<int:person_id>/duplicates")
@allow(*PERSON_ROLES)
def person_duplicates(person_id: int) -> Any:
    person = persons.get_person(db(), current_user, person_id, follow_merge=False)
    candidates = persons.find_duplicates(db(), persons.traits_of(person), exclude_id=person.id,
                                         visible_to=current_user)
    return paginated_list(candidates, persons.candidate_json)


@bp.post("/persons/<int:person_id>/consents")
@allow(Role.COORDINATOR)
def record_consent(person_id: int) -> Any:
    person = persons.get_person(db(), current_user, person_id, follow_merge=False)
    record = persons.record_consent(db(), current_user, person, json_body())
    return jsonify(consent_json(record)), 201


@bp.post("/persons/<int:person_id>/consents/<int:record_id>/revoke")
@allow(Role.COORDINATOR)
def revoke_consent(person_id: int, record_id: int) -> Any:
    body = json_body(required=False)
    person = persons.get_person(db(), current_user, person_id, follow_merge=False)
    record = persons.revoke_consent(db(), current_user, person, record_id, _text(body, "reason"))
    return jsonify(consent_json(record))


@bp.post("/persons/<int:person_id>/merge")
@allow(*PERSON_ROLES)
def merge_person(person_id: int) -> Any:
    """Merge this person into `into` (the surviving record)."""
    body = json_body()
    persons.get_person(db(), current_user, person_id, follow_merge=False,
                       detail="fusion")  # 404 first: absent and invisible look alike
    into = body.get("into")
    if not is_id(into):
        raise ValidationError({"into": ["Identifiant de la fiche à conserver attendu."]})
    record = persons.merge_persons(db(), current_user, into, person_id, _text(body, "reason"))
    return jsonify(merge_json(record)), 201


@bp.post("/person-merges/<int:merge_id>/undo")
@allow(Role.ADMIN)
def undo_merge(merge_id: int) -> Any:
    return jsonify(merge_json(persons.undo_merge(db(), current_user, merge_id)))


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError({name: ["Texte attendu."]})
    return value
