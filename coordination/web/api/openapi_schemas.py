"""JSON Schemas (OpenAPI 3.1 components) of what the API answers and accepts.

Kept next to the `*_json` functions they describe; `tests/integration/test_openapi.py`
validates real responses against them and Schemathesis checks every operation, so a
field added to a response without its schema here fails the suite.
"""

from __future__ import annotations

from typing import Any

from coordination.domain.calls import CallerType, CallOutcome, Channel
from coordination.workflows.action import ActionType, BlockReason
from coordination.workflows.complex_case import COMPLEX_CASE

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
DATE: Schema = {"type": "string", "format": "date"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}


def one_of(values: Any) -> Schema:
    """A code from a fixed list (an enumeration of the domain): the list is documented."""
    return {"type": "string", "enum": [getattr(v, "value", getattr(v, "name", v))
                                       for v in values]}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    widened = {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}
    if "enum" in schema:  # an enumeration admits null only if null is one of its values
        widened["enum"] = [*schema["enum"], None]
    return widened


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], required: bool | list[str] = True,
        description: str | None = None) -> Schema:
    """An object whose listed properties are all present in responses (required=True);
    fields beyond those named are free (DESIGN §8), so additional properties stay open."""
    schema: Schema = {"type": "object", "properties": properties}
    if required is True:
        schema["required"] = list(properties)
    elif required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def page_of(item: str) -> Schema:
    return obj({"items": array(ref(item)), "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0}},
               description="Liste paginée (DESIGN §8).")


N_STRING, N_INTEGER, N_DATE, N_DATETIME = (nullable(s) for s in (STRING, INTEGER, DATE,
                                                                 DATETIME))

ERROR = obj({"error": obj({
    "code": {"type": "string", "description": "Code stable, en anglais (ex. "
             "`validation_failed`, `not_found`, `stale_version`, `event_not_allowed`)."},
    "message": {"type": "string", "description": "Message en français pour l'utilisateur."},
    "details": {"description": "Précisions : pour une 422, les messages par champ "
                "(`{champ: [messages]}`) ; pour une 409, les événements permis ou les "
                "doublons probables."},
}, required=["code", "message", "details"])}, description="Format unique des erreurs.")

ORGANISATION = obj({
    "id": INTEGER, "name": STRING, "type": STRING, "type_label": STRING,
    "is_health_professional_team": BOOLEAN, "finess": N_STRING,
    "agreement_signed_on": N_DATE, "agreement_ends_on": N_DATE,
})

CONSENT = obj({
    "id": INTEGER, "kind": STRING, "organisation_id": N_INTEGER,
    "organisation_name": N_STRING, "scope": N_STRING, "covers_health_details": BOOLEAN,
    "method": N_STRING,
    "recorded_on": DATE, "recorded_by": N_STRING, "note": N_STRING, "active": BOOLEAN,
    "revoked_on": N_DATE, "revocation_reason": N_STRING,
})

PERSON = obj({
    "id": INTEGER, "version": INTEGER, "birth_name": STRING, "birth_first_names": STRING,
    "first_birth_first_name": N_STRING, "birth_date": DATE,
    "sex": {"type": "string", "enum": ["F", "M", "I"]},
    "birth_place_insee": N_STRING, "birth_country_insee": N_STRING, "used_name": N_STRING,
    "used_first_name": N_STRING,
    "identity_status": {"type": "string",
                        "enum": ["provisoire", "recuperee", "validee", "qualifiee"]},
    "ins": N_STRING, "commune_insee": N_STRING, "address": N_STRING, "phone": N_STRING,
    "gp_name": N_STRING, "gp_phone": N_STRING, "gp_directory_service_id": N_INTEGER,
    "caregiver_name": N_STRING, "caregiver_relation": N_STRING, "caregiver_phone": N_STRING,
    "legal_protection": N_STRING, "legal_protection_holder": N_STRING,
    "consents": array(ref("Consent")), "care_details_withheld": BOOLEAN,
    "identity_history": array(obj({"from": N_STRING, "to": STRING, "reason": N_STRING,
                                   "at": DATETIME})),
    "created_at": DATETIME,
    "merged_from": {"type": "integer", "description": "Présent quand l'identifiant demandé "
                    "a été fusionné dans cette fiche."},
}, required=["id", "version", "birth_name", "birth_date", "sex", "identity_status",
             "consents"])

PERSON_SUMMARY = obj({
    "id": INTEGER, "birth_name": STRING, "used_name": N_STRING, "birth_first_names": STRING,
    "birth_date": DATE, "sex": STRING, "commune_insee": N_STRING, "identity_status": STRING,
})

PERSON_INPUT = obj({
    "birth_name": STRING, "birth_first_names": STRING, "first_birth_first_name": STRING,
    "birth_date": DATE, "sex": {"type": "string", "enum": ["F", "M", "I"]},
    "birth_place_insee": STRING, "birth_country_insee": STRING, "used_name": STRING,
    "used_first_name": STRING, "identity_status": STRING, "ins": STRING,
    "commune_insee": STRING, "address": STRING, "phone": STRING, "gp_name": STRING,
    "gp_phone": STRING, "gp_directory_service_id": INTEGER, "caregiver_name": STRING,
    "caregiver_relation": STRING, "caregiver_phone": STRING, "legal_protection": STRING,
    "legal_protection_holder": STRING,
    "force": {"type": "boolean", "description": "Créer malgré un doublon probable "
              "(avec `reason`)."},
    "reason": STRING, "version": INTEGER,
}, required=False)

DUPLICATE_CANDIDATE = {"type": "object", "description": "Fiche existante proche, avec son "
                       "score et les traits qui concordent."}

MERGE = obj({"id": INTEGER, "survivor_id": INTEGER, "merged_id": INTEGER,
             "reason": N_STRING, "moved": ANY_OBJECT, "performed_at": DATETIME,
             "undone_at": N_DATETIME})

CALL = obj({
    "id": INTEGER, "received_at": DATETIME, "channel": one_of(Channel),
    "duration_seconds": N_INTEGER, "duration": N_STRING,
    "caller": obj({"name": N_STRING, "role": N_STRING, "organisation": N_STRING,
                   "organisation_id": N_INTEGER, "phone": N_STRING,
                   "type": one_of(CallerType)}),
    "motives": array(STRING), "person_id": N_INTEGER, "person_label": N_STRING,
    "outcome": one_of(CallOutcome), "service_ids": nullable(array(INTEGER)),
    "situation_id": N_INTEGER,
    "callback_due_at": N_DATETIME, "callback_done_at": N_DATETIME,
    "callback_note": N_STRING, "notes": N_STRING, "taken_by": STRING, "created_at": DATETIME,
})

CALL_INPUT = obj({
    "received_at": DATETIME, "channel": STRING, "duration_seconds": INTEGER,
    "caller_name": STRING, "caller_role": STRING, "caller_organisation": STRING,
    "caller_organisation_id": INTEGER, "caller_phone": STRING, "caller_type": STRING,
    "caller": obj({"name": STRING, "role": STRING, "organisation": STRING,
                   "organisation_id": INTEGER, "phone": STRING, "type": STRING},
                  required=False),
    "motives": array(STRING), "person_id": INTEGER, "person_label": STRING,
    "outcome": STRING, "service_ids": array(INTEGER), "callback_due_at": DATETIME,
    "notes": STRING,
}, required=False)

EVENT_OPTION = obj({"event": STRING, "label": STRING, "allowed": BOOLEAN,
                    "reasons": array(STRING), "requires_reason": BOOLEAN,
                    "required_fields": array(STRING)})

TRIAGE = obj({"id": INTEGER, "logigramme_version": {"type": ["integer", "string"]},
              "proposed_outcome": STRING, "outcome": STRING, "override_reason": N_STRING,
              "path": {"type": ["array", "object"]}, "answers": ANY_OBJECT,
              "at": DATETIME})

SITUATION_SUMMARY_FIELDS: dict[str, Schema] = {
    "id": INTEGER, "version": INTEGER, "state": one_of(COMPLEX_CASE.states),
    "state_label": STRING, "person_id": INTEGER, "person_name": STRING, "referent_id": N_INTEGER,
    "next_review_on": N_DATE, "closure_reason": N_STRING, "created_at": DATETIME,
    "updated_at": DATETIME,
}
SITUATION_SUMMARY = obj(SITUATION_SUMMARY_FIELDS)

SITUATION = obj({
    **SITUATION_SUMMARY_FIELDS,
    "origin_call_id": N_INTEGER, "requester": nullable(ANY_OBJECT),
    "intake_version": {"type": ["integer", "string", "null"]},
    "intake": nullable(ANY_OBJECT), "intake_missing_fields": array(STRING),
    "intake_withheld_fields": array(STRING),
    "allowed_events": array(STRING), "events": array(ref("EventOption")),
    "triage": nullable(ref("Triage")),
    "shared_with": array(obj({"organisation_id": INTEGER, "organisation_name": STRING,
                              "shared_at": DATETIME})),
    "shared_with_withheld": BOOLEAN,
    "history": array(obj({"event": STRING, "from": N_STRING, "to": STRING,
                          "reason": N_STRING, "fields": nullable(ANY_OBJECT),
                          "by": N_STRING, "at": DATETIME})),
})

TRIAGE_RESULT = obj({
    "outcome": STRING, "proposed_outcome": STRING, "outcome_label": STRING,
    "path": {"type": ["array", "object"]},
    "logigramme_version": {"type": ["integer", "string"]},
    "override_reason": N_STRING, "event": N_STRING, "state": STRING, "version": INTEGER,
})

SHARE = obj({"id": INTEGER, "organisation_id": INTEGER, "organisation_name": STRING,
             "shared_at": DATETIME})

MEETING = obj({
    "id": INTEGER, "title": STRING, "series_id": N_INTEGER, "starts_at": DATETIME,
    "ends_at": DATETIME, "moved_from": N_DATE, "holiday_name": N_STRING, "place": N_STRING,
    "video_link": N_STRING, "agenda_cap": INTEGER, "freeze_on": DATE, "status": STRING,
    "status_label": STRING, "version": INTEGER, "invited_organisation_ids": array(INTEGER),
    "agenda_built_at": N_DATETIME, "agenda_frozen_at": N_DATETIME,
})

AGENDA_ITEM = obj({
    "id": INTEGER, "position": INTEGER, "situation_id": INTEGER, "person_name": STRING,
    "reasons": {"type": ["array", "null"]}, "score": {"type": ["number", "null"]},
    "explanation": N_STRING, "manual": BOOLEAN, "note": N_STRING, "decision": N_STRING,
    "notes": N_STRING, "discussion_withheld": BOOLEAN, "next_review_on": N_DATE,
    "decided_at": N_DATETIME, "action_ids": array(INTEGER),
})

AGENDA = obj({"meeting": ref("Meeting"), "items": array(ref("AgendaItem")),
              "only_shared_situations": BOOLEAN})

BUILT_AGENDA = obj({
    "meeting": ref("Meeting"), "items": array(ref("AgendaItem")),
    "only_shared_situations": BOOLEAN, "notices": array(STRING),
    "overflow": array(obj({"situation_id": INTEGER, "reasons": array(STRING),
                           "explanation": N_STRING})),
})

ACTION = obj({
    "id": INTEGER, "situation_id": INTEGER, "title": STRING, "type": one_of(ActionType),
    "assignee_organisation_id": INTEGER, "assignee_user_id": N_INTEGER, "due_on": N_DATE,
    "status": {"type": "string",
               "enum": ["open", "in_progress", "done", "cancelled", "blocked"]},
    "overdue": BOOLEAN, "completion_note": N_STRING, "outcome": N_STRING,
    "block_reason": nullable(one_of(BlockReason)),
    "origin_item_id": N_INTEGER, "version": INTEGER,
    "created_at": DATETIME, "allowed_events": array(STRING),
})

ACTION_INPUT = obj({"title": STRING, "type": STRING, "assignee_organisation_id": INTEGER,
                    "assignee_user_id": INTEGER, "due_on": DATE,
                    "confirm_past_due": BOOLEAN}, required=["title",
                                                            "assignee_organisation_id"])

DECISION_INPUT = obj({
    "decision": STRING, "notes": STRING, "next_review_on": DATE,
    "event": {"type": "string", "description": "Événement du parcours à déclencher "
              "(ex. `start_coordination`)."},
    "event_fields": ANY_OBJECT, "actions": array(ref("ActionInput")),
}, required=False)

DECISION = obj({
    "item": ref("AgendaItem"), "actions": array(ref("Action")),
    "situation": obj({"id": INTEGER, "state": STRING, "event": N_STRING}),
})

MEETING_INPUT = obj({"title": STRING, "starts_at": DATETIME, "duration_minutes": INTEGER,
                     "agenda_cap": INTEGER, "place": STRING, "video_link": STRING,
                     "invited_organisation_ids": array(INTEGER)}, required=["starts_at"])

SERIES_INPUT = obj({"name": STRING, "recurrence": ANY_OBJECT,
                    "invited_organisation_ids": array(INTEGER)}, required=False)

SERIES = obj({"id": INTEGER, "name": STRING, "recurrence": ANY_OBJECT,
              "invited_organisation_ids": array(INTEGER)})

NOTIFICATION = obj({"id": INTEGER, "kind": STRING, "title": STRING, "link": N_STRING,
                    "created_at": DATETIME, "read_at": N_DATETIME})

RUPTURE = obj({
    "id": INTEGER, "situation_id": INTEGER, "situation_state": STRING, "occurred_on": DATE,
    "taxonomy_version": {"type": ["integer", "string", "null"]},
    "type": N_STRING, "type_label": N_STRING, "cause": N_STRING, "cause_label": N_STRING,
    "consequence": N_STRING, "consequence_label": N_STRING, "transition_point": N_STRING,
    "transition_point_label": N_STRING, "service_id": N_INTEGER, "service": N_STRING,
    "organisation_id": N_INTEGER, "organisation": N_STRING, "description": N_STRING,
    "declared_by": N_STRING, "declared_at": DATETIME, "resolved_on": N_DATE,
    "resolution": N_STRING, "resolved_by": N_STRING, "details_withheld": BOOLEAN,
})

RUPTURE_INPUT = obj({"occurred_on": DATE, "type": STRING, "cause": STRING,
                     "consequence": STRING, "transition_point": STRING, "service_id": INTEGER,
                     "organisation_id": INTEGER, "description": STRING,
                     "resolved_on": DATE, "resolution": STRING, "version": INTEGER},
                    required=["occurred_on", "type"])

CANDIDATE = obj({
    "id": INTEGER, "key": STRING, "rule": STRING, "rule_label": STRING,
    "situation_id": INTEGER, "action_id": N_INTEGER, "explanation": N_STRING,
    "occurred_on": DATE, "suggested_type": N_STRING, "suggested_cause": N_STRING,
    "status": STRING, "dismissed_reason": N_STRING, "rupture_id": N_INTEGER,
    "decided_at": N_DATETIME, "raised_at": DATETIME,
})

CELL = {"oneOf": [obj({"count": INTEGER}), obj({"suppressed": {"const": True}})],
        "description": "Effectif publié, ou `suppressed: true` (secret statistique)."}

OBSERVATORY_RUPTURES = obj({
    "from": DATE, "to": DATE, "group_by": array(STRING), "filters": ANY_OBJECT,
    "suppression_threshold": INTEGER, "rows": array(ANY_OBJECT), "total": CELL,
    "resolved_share": {"type": ["number", "object", "null"]},
    "median_repair_days": {"type": ["number", "object", "null"]},
    "repair_distribution": {"type": ["array", "object", "null"]},
    "recurrence": {"type": ["array", "object", "null"]},
    "transition_points": {"type": ["array", "object", "null"]},
})

OBSERVATORY_ACTIVITY = obj({
    "from": DATE, "to": DATE,
    "calls": obj({"total": INTEGER, "average_duration_seconds": {"type": ["number", "null"]},
                  "per_day": array(obj({"day": DATE, "count": INTEGER})),
                  "per_motive": array(obj({"motive": STRING, "count": INTEGER})),
                  "per_caller_type": array(obj({"caller_type": STRING, "count": INTEGER})),
                  "per_outcome": array(obj({"outcome": STRING, "label": STRING,
                                            "count": INTEGER}))}),
    "situations": obj({"opened": CELL, "closed": CELL, "closure_reasons": {}}),
    "triage": obj({"total": CELL, "outcomes": {}, "overrides": {}}),
    "delays": obj({"median_days_open_to_triage": {"type": ["number", "null"]},
                   "median_days_call_to_triage": {"type": ["number", "null"]}}),
})

DIRECTORY_SERVICE = obj({
    "id": INTEGER, "name": STRING, "category": STRING, "category_label": STRING,
    "organisation_name": N_STRING, "finess": N_STRING, "address": N_STRING,
    "postcode": N_STRING, "commune_insee": N_STRING, "commune_name": N_STRING,
    "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
    "phones": {"type": ["array", "null"]}, "email": N_STRING, "website": N_STRING,
    "opening_hours": {"type": ["string", "object", "array", "null"]},
    "eligibility": obj({"age_min": N_INTEGER, "age_max": N_INTEGER, "sector": N_STRING,
                        "conditions": N_STRING, "served_communes": array(STRING),
                        "accepts_dual_diagnosis": {"type": ["boolean", "null"]}}),
    "accepting_new": {"type": ["boolean", "null"]},
    "modalities": {"type": ["array", "null"]}, "care_level": {"type": ["integer", "null"]},
    "waiting": obj({"days": N_INTEGER, "reported_on": N_DATE}),
    "languages": {"type": ["array", "null"]}, "accessibility": {"type": ["string", "null"]},
    "source": STRING, "is_demo": BOOLEAN, "last_verified_on": N_DATE,
    "proximity": {"type": "string", "description": "Recherche avec `near` seulement."},
    "distance_km": {"type": ["number", "null"],
                    "description": "Recherche seulement : distance à la commune `near` en "
                                   "km, null si inconnue (coordonnées manquantes)."},
}, required=["id", "name", "category", "eligibility", "waiting"])

FHIR_BUNDLE = obj({"resourceType": {"const": "Bundle"}, "type": {"const": "collection"},
                   "timestamp": DATETIME, "entry": array(obj({
                       "fullUrl": STRING,
                       "resource": obj({"resourceType": STRING, "id": STRING},
                                       required=["resourceType"])}))},
                  required=["resourceType", "type", "entry"],
                  description="Bundle FHIR R4 (voir docs/fhir.md pour la correspondance).")

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR, "Organisation": ORGANISATION, "Consent": CONSENT, "Person": PERSON,
    "PersonSummary": PERSON_SUMMARY, "PersonInput": PERSON_INPUT,
    "DuplicateCandidate": DUPLICATE_CANDIDATE, "PersonMerge": MERGE, "Call": CALL,
    "CallInput": CALL_INPUT, "EventOption": EVENT_OPTION, "Triage": TRIAGE,
    "SituationSummary": SITUATION_SUMMARY, "Situation": SITUATION,
    "TriageResult": TRIAGE_RESULT, "Share": SHARE, "Meeting": MEETING,
    "MeetingInput": MEETING_INPUT, "MeetingSeriesInput": SERIES_INPUT,
    "MeetingSeries": SERIES, "AgendaItem": AGENDA_ITEM, "Agenda": AGENDA,
    "BuiltAgenda": BUILT_AGENDA, "Action": ACTION, "ActionInput": ACTION_INPUT,
    "DecisionInput": DECISION_INPUT, "Decision": DECISION, "Notification": NOTIFICATION,
    "Rupture": RUPTURE, "RuptureInput": RUPTURE_INPUT, "RuptureCandidate": CANDIDATE,
    "ObservatoryRuptures": OBSERVATORY_RUPTURES,
    "ObservatoryActivity": OBSERVATORY_ACTIVITY, "DirectoryService": DIRECTORY_SERVICE,
    "FhirBundle": FHIR_BUNDLE,
}
