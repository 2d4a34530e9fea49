"""The OpenAPI 3.1 document of /api/v1, maintained by hand next to the routes.

Hand-written rather than generated: the routes parse their input themselves (the house
style: 422 naming the field), so there is nothing to introspect. It cannot drift because
`tests/integration/test_openapi.py` walks `app.url_map` (every /api/v1 rule documented,
nothing documented that does not exist), validates real responses against these schemas,
and Schemathesis fuzzes every operation against it.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from coordination.domain.errors import MAX_ID
from coordination.web.access import public
from coordination.web.api import MAX_PER_PAGE, bp
from coordination.web.api.openapi_schemas import (
    BOOLEAN,
    DATE,
    INTEGER,
    SCHEMAS,
    STRING,
    Schema,
    array,
    obj,
    page_of,
    ref,
)

TITLE = "API de coordination de parcours (DAC)"
VERSION = "1.0.0"

ERROR_TEXT = {
    400: "Requête mal formée (JSON illisible, ou corps qui n'est pas un objet).",
    401: "Jeton absent, invalide ou expiré.",
    403: "Rôle insuffisant pour cette opération.",
    404: "Objet absent ou non visible pour vous (jamais 403 avec détails).",
    409: "Événement non permis maintenant, version périmée (If-Match) ou doublon probable.",
    415: "Le corps doit être du JSON (Content-Type: application/json).",
    422: "Validation : `details` donne les messages par champ.",
    429: "Trop de demandes : réessayez après `Retry-After` secondes.",
}

ROLE_LABELS = {"coordinator": "coordinatrice", "partner": "partenaire",
               "manager": "pilote", "admin": "administrateur"}


# --- building blocks -----------------------------------------------------------------------

def _param(name: str, where: str, schema: Schema, description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema}


def path_id(name: str, what: str) -> dict[str, Any]:
    return _param(name, "path", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                  f"Identifiant {what}.")


def query(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return _param(name, "query", schema or STRING, description)


PAGE = [query("page", "Numéro de page (à partir de 1).",
              {"type": "integer", "minimum": 1, "maximum": 10**6, "default": 1}),
        query("per_page", f"Éléments par page (au plus {MAX_PER_PAGE}).",
              {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE})]
FLAG = {"type": "string", "enum": ["true", "false", "1", "0"]}
IF_MATCH = _param("If-Match", "header", STRING,
                  'Version attendue, ex. `"3"` (valeur de l\'`ETag` lue). 409 si elle a '
                  "changé entre-temps ; `version` dans le corps a le même effet.")
ETAG = {"ETag": {"description": "Version de l'objet, à renvoyer dans `If-Match`.",
                 "schema": STRING}}


def json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def operation(summary: str, tag: str, roles: tuple[str, ...] | None, *,
              ok: Schema | None = None, status: int = 200, params: list | None = None,
              body: Schema | None = None, body_required: bool = True,
              errors: tuple[int, ...] = (), headers: dict | None = None,
              content_type: str = "application/json", description: str = "") -> dict:
    """One operation. `roles`: None for public, () for any signed-in user."""
    if roles is None:
        who = "Public (sans jeton)."
    elif not roles:
        who = "Tout utilisateur authentifié."
    else:
        who = "Rôles : " + ", ".join(ROLE_LABELS[r] for r in roles) + "."
    op: dict[str, Any] = {"summary": summary, "tags": [tag],
                          "description": (description + "\n\n" + who).strip()}
    op["operationId"] = None  # filled in by _document from the Flask endpoint
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": json_content(body)}
    response: dict[str, Any] = {"description": "Succès."}
    if status == 204:
        response = {"description": "Fait (pas de contenu)."}
    elif content_type.endswith("json"):
        response["content"] = {content_type: {"schema": ok or {"type": "object"}}}
    else:
        response["content"] = {content_type: {"schema": {"type": "string",
                                                         "format": "binary"}}}
    if headers:
        response["headers"] = headers
    codes = set(errors)
    if roles is not None:
        codes |= {401}
        if roles:
            codes |= {403}
    if body is not None:
        codes |= {400, 415, 422}
    if any(p["in"] == "query" for p in params or ()):
        codes |= {422}
    if any(p["in"] == "path" for p in params or ()):
        codes |= {404}
    responses: dict[str, Any] = {str(status): response}
    for code in sorted(codes):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    responses["default"] = {"$ref": "#/components/responses/Error"}
    op["responses"] = responses
    if roles is None:
        op["security"] = []
    return op


C, P, M, A = "coordinator", "partner", "manager", "admin"
CARE = (C, P)


def _paths() -> dict[tuple[str, str], dict[str, Any]]:
    """(Flask rule, method) -> operation. The rule is Flask's, so the drift test compares
    like with like; `_document` turns `<int:x>` into `{x}`."""
    sid, mid, aid = (path_id("situation_id", "de la situation"),
                     path_id("meeting_id", "de la réunion"),
                     path_id("action_id", "de l'action"))
    pid = path_id("person_id", "de la personne")
    event_param = _param("event", "path", STRING, "Nom de l'événement du parcours "
                         "(voir `allowed_events`).")
    reason_body = obj({"reason": STRING, "version": INTEGER}, required=False)
    return {
        # auth and reference data
        ("/api/v1/auth/token", "POST"): operation(
            "Obtenir un jeton d'accès", "Authentification", None,
            ok=obj({"token": STRING, "expires_at": {"type": "string",
                                                    "format": "date-time"}}),
            body=obj({"email": STRING, "password": STRING, "totp": STRING},
                     required=["email", "password"]),
            errors=(401, 429),
            description="Mêmes contrôles et verrouillage que la page de connexion ; "
                        "limité par adresse cliente (429 avec `Retry-After`). Le jeton "
                        "s'utilise ensuite en `Authorization: Bearer …`."),
        ("/api/v1/openapi.json", "GET"): operation(
            "Ce document OpenAPI", "Documentation", None, ok={"type": "object"}),
        ("/api/v1/organisations", "GET"): operation(
            "Organisations du partenariat", "Référentiels", (), ok=page_of("Organisation"),
            params=PAGE),
        ("/api/v1/intake/schema", "GET"): operation(
            "Schéma de la fiche de recueil (JSON Schema)", "Situations", CARE,
            ok={"type": "object"}),
        ("/api/v1/ruptures/taxonomy", "GET"): operation(
            "Nomenclature des ruptures de parcours", "Ruptures", (),
            ok=obj({"types": array({"type": "object"}), "causes": array({"type": "object"}),
                    "consequences": array({"type": "object"}),
                    "transition_points": array({"type": "object"})})),
        # directory
        ("/api/v1/directory/services", "GET"): operation(
            "Rechercher dans l'annuaire", "Annuaire", (), ok=page_of("DirectoryService"),
            params=[query("q", "Texte libre (sans accents ni casse)."),
                    query("category", "Catégories, séparées par des virgules (ex. cmp,csapa)."),
                    query("commune", "Commune du service : code INSEE ou nom (un nom que "
                          "plusieurs communes portent est refusé en les listant)."),
                    query("sector_of", "Services du secteur psychiatrique de cette commune "
                          "(code INSEE ou nom)."),
                    query("near", "Trier par proximité de cette commune (code INSEE ou nom) : même "
                          "commune, même EPCI, même arrondissement, même département, puis "
                          "kilomètres quand les deux côtés ont des coordonnées."),
                    query("radius_km", "Seulement les services à au plus tant de km de la "
                          "commune `near` (obligatoire avec ce paramètre) ; les services "
                          "sans coordonnées sont exclus, sauf ceux de la commune. 422 si la "
                          "distance depuis cette commune est inconnue.",
                          {"type": "number", "minimum": 0, "maximum": 1000}),
                    query("level", "Niveau de recours (1 à 3).",
                          {"type": "integer", "minimum": 1, "maximum": 3}),
                    query("dual_diagnosis", "Accepte le double diagnostic.", FLAG),
                    query("accepting", "Accueille de nouvelles personnes.", FLAG), *PAGE]),
        ("/api/v1/directory/services/<int:service_id>", "GET"): operation(
            "Un service de l'annuaire", "Annuaire", (), ok=ref("DirectoryService"),
            params=[path_id("service_id", "du service")]),
        ("/api/v1/directory/communes/<insee>/cmp", "GET"): operation(
            "Le ou les CMP qui desservent une commune", "Annuaire", (),
            ok=page_of("DirectoryService"),
            params=[_param("insee", "path", STRING, "Code INSEE de la commune."), *PAGE]),
        ("/api/v1/directory/export/hsds", "GET"): operation(
            "Export HSDS 3.0 de l'annuaire", "Annuaire", (),
            ok=array({"type": "object"}),
            description="Un tableau de services au format Open Referral HSDS 3.0 (pas "
                        "l'enveloppe paginée : c'est le format d'échange HSDS)."),
        # calls
        ("/api/v1/calls", "POST"): operation(
            "Enregistrer un appel au numéro unique", "Appels", (C,), ok=ref("Call"),
            status=201, body=ref("CallInput")),
        ("/api/v1/calls", "GET"): operation(
            "Journal des appels", "Appels", (C,), ok=page_of("Call"),
            params=[query("from", "Depuis ce jour (AAAA-MM-JJ).", DATE),
                    query("to", "Jusqu'à ce jour inclus (AAAA-MM-JJ).", DATE),
                    query("outcome", "Suite donnée."), query("caller_type", "Type d'appelant."),
                    query("caller", "Nom de l'appelant."),
                    query("organisation", "Organisation de l'appelant."),
                    query("motive", "Code de motif."), *PAGE]),
        ("/api/v1/calls/<int:call_id>", "GET"): operation(
            "Un appel", "Appels", (C,), ok=ref("Call"),
            params=[path_id("call_id", "de l'appel")]),
        ("/api/v1/calls/<int:call_id>/callback", "POST"): operation(
            "Marquer le rappel comme fait", "Appels", (C,), ok=ref("Call"),
            params=[path_id("call_id", "de l'appel")], body=obj({"note": STRING},
                                                                required=False),
            body_required=False, errors=(409,)),
        ("/api/v1/calls/motives", "GET"): operation(
            "Motifs d'appel", "Appels", (C, M),
            ok=page_of("CallMotive"), params=PAGE),
        # persons
        ("/api/v1/persons", "POST"): operation(
            "Créer une personne (contrôle des doublons)", "Personnes", (C,),
            ok=ref("Person"), status=201, body=ref("PersonInput"), errors=(409,),
            headers=ETAG,
            description="409 avec `candidates` quand un doublon probable existe, sauf "
                        "`force: true` avec `reason`."),
        ("/api/v1/persons", "GET"): operation(
            "Rechercher une personne", "Personnes", (C, A), ok=page_of("PersonSummary"),
            params=[query("q", "Nom, prénom ou INS."),
                    query("birth_date", "Date de naissance.", DATE), *PAGE]),
        ("/api/v1/persons/<int:person_id>", "GET"): operation(
            "Identité d'une personne", "Personnes", (C, A, P), ok=ref("Person"),
            params=[pid], headers=ETAG),
        ("/api/v1/persons/<int:person_id>", "PATCH"): operation(
            "Modifier l'identité ou les coordonnées", "Personnes", (C,), ok=ref("Person"),
            params=[pid, IF_MATCH], body=ref("PersonInput"), errors=(409,), headers=ETAG),
        ("/api/v1/persons/<int:person_id>/duplicates", "GET"): operation(
            "Doublons probables d'une personne", "Personnes", (C, A),
            ok=page_of("DuplicateCandidate"), params=[pid, *PAGE]),
        ("/api/v1/persons/<int:person_id>/consents", "POST"): operation(
            "Information, consentement ou opposition", "Personnes", (C,),
            ok=ref("Consent"), status=201, params=[pid],
            body=obj({"kind": STRING, "organisation_id": INTEGER, "recorded_on": DATE,
                      "method": STRING, "scope": STRING, "note": STRING,
                      "covers_health_details": BOOLEAN},
                     required=["kind"])),
        ("/api/v1/persons/<int:person_id>/consents/<int:record_id>/revoke", "POST"): operation(
            "Retirer un consentement", "Personnes", (C,), ok=ref("Consent"),
            params=[pid, path_id("record_id", "de l'enregistrement")],
            body=obj({"reason": STRING}, required=False), body_required=False,
            errors=(409,)),
        ("/api/v1/persons/<int:person_id>/merge", "POST"): operation(
            "Fusionner cette fiche dans une autre", "Personnes", (C, A),
            ok=ref("PersonMerge"), status=201, params=[pid],
            body=obj({"into": INTEGER, "reason": STRING}, required=["into"]),
            errors=(409,)),
        ("/api/v1/person-merges/<int:merge_id>/undo", "POST"): operation(
            "Annuler une fusion", "Personnes", (A,), ok=ref("PersonMerge"),
            params=[path_id("merge_id", "de la fusion")], errors=(409,)),
        # situations
        ("/api/v1/situations", "POST"): operation(
            "Ouvrir une situation", "Situations", (C,), ok=ref("Situation"), status=201,
            body=obj({"person_id": INTEGER, "call_id": INTEGER,
                      "requester": {"type": "object"}}, required=["person_id"]),
            headers=ETAG, errors=(404, 409)),
        ("/api/v1/situations", "GET"): operation(
            "Situations visibles", "Situations", CARE, ok=page_of("SituationSummary"),
            params=[query("state", "État du parcours."),
                    query("shared_with", "Partagées avec cette organisation (id).",
                          {"type": "integer", "minimum": 1}),
                    query("referent", "`me` ou l'identifiant de la référente."),
                    query("review_due", "Révision échue.", FLAG),
                    query("person_id", "Les situations de cette personne (id).",
                          {"type": "integer", "minimum": 1}),
                    query("q", "Mots des noms de la personne (accents et casse ignorés).",
                          {"type": "string", "maxLength": 200}), *PAGE]),
        ("/api/v1/situations/<int:situation_id>", "GET"): operation(
            "Une situation (état, version, événements permis, historique)", "Situations",
            CARE, ok=ref("Situation"), params=[sid], headers=ETAG),
        ("/api/v1/situations/<int:situation_id>/intake", "PUT"): operation(
            "Réponses de la fiche de recueil", "Situations", (C,), ok=ref("Situation"),
            params=[sid, IF_MATCH], headers=ETAG, errors=(409,),
            body=obj({"answers": {"type": "object"}, "version": INTEGER}, required=False),
            description="Les réponses dans `answers` (ou à la racine) ; 422 par champ."),
        ("/api/v1/situations/<int:situation_id>/triage", "POST"): operation(
            "Passer le logigramme", "Situations", (C,), ok=ref("TriageResult"),
            params=[sid, IF_MATCH], body=obj({"override": STRING, "reason": STRING,
                                              "version": INTEGER}, required=False),
            body_required=False, errors=(409,)),
        ("/api/v1/situations/<int:situation_id>/triages", "GET"): operation(
            "Orientations passées, rejouées", "Situations", (C,),
            ok=page_of("TriageReplay"), params=[sid, *PAGE]),
        ("/api/v1/situations/<int:situation_id>/events/<event>", "POST"): operation(
            "Déclencher un événement du parcours", "Situations", CARE,
            ok=ref("Situation"), params=[sid, event_param, IF_MATCH], headers=ETAG,
            body={**reason_body, "description": "`reason` et les champs de l'événement "
                  "(ex. `closure_reason`)."}, body_required=False, errors=(409,)),
        ("/api/v1/situations/<int:situation_id>/shares", "POST"): operation(
            "Partager avec une organisation", "Situations", (C,), ok=ref("Share"),
            status=201, params=[sid], body=obj({"organisation_id": INTEGER}),
            errors=(409,)),
        ("/api/v1/situations/<int:situation_id>/shares/<int:organisation_id>",
         "DELETE"): operation(
            "Retirer un partage", "Situations", (C,), status=204,
            params=[sid, path_id("organisation_id", "de l'organisation")], errors=(409,)),
        ("/api/v1/situations/<int:situation_id>/fhir", "GET"): operation(
            "Export FHIR R4 de la situation", "Interopérabilité", CARE,
            ok=ref("FhirBundle"), params=[sid], content_type="application/fhir+json",
            description="Bundle de type `collection` : Patient, Organization, CareTeam, "
                        "CarePlan, Task, Encounter, DetectedIssue (voir docs/fhir.md)."),
        # actions
        ("/api/v1/situations/<int:situation_id>/actions", "POST"): operation(
            "Confier une action à un partenaire", "Actions", (C,), ok=ref("Action"),
            status=201, params=[sid], body=ref("ActionInput"), errors=(409,),
            headers=ETAG),
        ("/api/v1/actions", "GET"): operation(
            "Actions", "Actions", CARE, ok=page_of("Action"),
            params=[query("assigned_to", "`me` ou `my_organisation`."),
                    query("status", "open, in_progress, done, cancelled ou blocked."),
                    query("overdue", "En retard.", FLAG),
                    query("situation_id", "D'une situation.",
                          {"type": "integer", "minimum": 1}), *PAGE]),
        ("/api/v1/actions/<int:action_id>", "GET"): operation(
            "Une action", "Actions", CARE, ok=ref("Action"), params=[aid], headers=ETAG),
        ("/api/v1/actions/<int:action_id>/events/<event>", "POST"): operation(
            "Démarrer, terminer, bloquer ou annuler une action", "Actions", CARE,
            ok=ref("Action"), params=[aid, _param("event", "path", STRING,
                                                  "start, complete, block, cancel…"),
                                      IF_MATCH],
            body=obj({"reason": STRING, "completion_note": STRING, "outcome": STRING,
                      "block_reason": STRING, "version": INTEGER}, required=False),
            body_required=False, errors=(409,), headers=ETAG),
        # meetings
        ("/api/v1/meetings", "GET"): operation(
            "Réunions", "Réunions", CARE, ok=page_of("Meeting"),
            params=[query("upcoming", "À venir (true) ou passées (false).", FLAG), *PAGE]),
        ("/api/v1/meetings", "POST"): operation(
            "Créer une réunion", "Réunions", (C,), ok=ref("Meeting"), status=201,
            body=ref("MeetingInput"), headers=ETAG),
        ("/api/v1/meeting-series", "POST"): operation(
            "Créer une série de réunions", "Réunions", (C,), ok=ref("MeetingSeries"),
            status=201, body=ref("MeetingSeriesInput")),
        ("/api/v1/meetings/<int:meeting_id>", "GET"): operation(
            "Une réunion", "Réunions", CARE, ok=ref("Meeting"), params=[mid],
            headers=ETAG),
        ("/api/v1/meetings/<int:meeting_id>/agenda", "GET"): operation(
            "Ordre du jour, dans l'ordre, avec les motifs", "Réunions", CARE,
            ok=ref("Agenda"), params=[mid]),
        ("/api/v1/meetings/<int:meeting_id>/agenda/build", "POST"): operation(
            "Construire l'ordre du jour", "Réunions", (C,), ok=ref("BuiltAgenda"),
            params=[mid], errors=(409,)),
        ("/api/v1/meetings/<int:meeting_id>/agenda/freeze", "POST"): operation(
            "Figer l'ordre du jour", "Réunions", (C,), ok=ref("Meeting"), params=[mid],
            errors=(409,), headers=ETAG),
        ("/api/v1/meetings/<int:meeting_id>/items/<int:item_id>/decision", "POST"): operation(
            "Décision sur un point de l'ordre du jour", "Réunions", (C,),
            ok=ref("Decision"), params=[mid, path_id("item_id", "du point")],
            body=ref("DecisionInput"), errors=(409,)),
        ("/api/v1/meetings/<int:meeting_id>/close", "POST"): operation(
            "Clore la séance", "Réunions", (C,), ok=ref("Meeting"), params=[mid],
            body=obj({"general_notes": STRING}, required=False), body_required=False,
            errors=(409,), headers=ETAG),
        ("/api/v1/meetings/<int:meeting_id>/minutes/publish", "POST"): operation(
            "Publier le compte rendu", "Réunions", (C,), ok=ref("Meeting"),
            params=[mid, IF_MATCH], errors=(409,), headers=ETAG),
        ("/api/v1/meetings/<int:meeting_id>/agenda.pdf", "GET"): operation(
            "Ordre du jour en PDF", "Réunions", CARE, params=[
                mid, query("pseudonymised", "Version pseudonymisée pour diffusion.", FLAG)],
            content_type="application/pdf"),
        ("/api/v1/meetings/<int:meeting_id>/minutes.pdf", "GET"): operation(
            "Compte rendu en PDF", "Réunions", CARE, params=[mid],
            content_type="application/pdf"),
        ("/api/v1/notifications", "GET"): operation(
            "Mes notifications (les 100 dernières)", "Notifications", (),
            ok={**page_of("Notification"),
                "properties": {**page_of("Notification")["properties"], "unread": INTEGER}},
            params=PAGE),
        # ruptures
        ("/api/v1/situations/<int:situation_id>/ruptures", "POST"): operation(
            "Déclarer une rupture de parcours", "Ruptures", CARE, ok=ref("Rupture"),
            status=201, params=[sid, IF_MATCH], body=ref("RuptureInput"), errors=(409,)),
        ("/api/v1/situations/<int:situation_id>/ruptures", "GET"): operation(
            "Ruptures d'une situation", "Ruptures", CARE, ok=page_of("Rupture"),
            params=[sid, *PAGE]),
        ("/api/v1/ruptures/<int:rupture_id>", "GET"): operation(
            "Une rupture", "Ruptures", CARE, ok=ref("Rupture"),
            params=[path_id("rupture_id", "de la rupture")]),
        ("/api/v1/ruptures/<int:rupture_id>/resolve", "POST"): operation(
            "Résoudre une rupture", "Ruptures", CARE, ok=ref("Rupture"),
            params=[path_id("rupture_id", "de la rupture"), IF_MATCH],
            body=obj({"resolved_on": DATE, "resolution": STRING, "version": INTEGER},
                     required=["resolution"]), errors=(409,)),
        ("/api/v1/rupture-candidates", "GET"): operation(
            "Ruptures présumées à examiner", "Ruptures", (C,),
            ok=page_of("RuptureCandidate"),
            params=[query("status", "open (défaut), confirmed, dismissed ou all."), *PAGE]),
        ("/api/v1/rupture-candidates/<int:candidate_id>/confirm", "POST"): operation(
            "Confirmer une rupture présumée", "Ruptures", (C,), ok=ref("Rupture"),
            status=201, params=[path_id("candidate_id", "de la rupture présumée")],
            body=ref("RuptureInput"), body_required=False, errors=(409,)),
        ("/api/v1/rupture-candidates/<int:candidate_id>/dismiss", "POST"): operation(
            "Écarter une rupture présumée", "Ruptures", (C,), ok=ref("RuptureCandidate"),
            params=[path_id("candidate_id", "de la rupture présumée")],
            body=obj({"reason": STRING}, required=["reason"]), errors=(409,)),
        # observatory
        ("/api/v1/observatory/ruptures", "GET"): operation(
            "Observatoire des ruptures (agrégats, petits effectifs masqués)",
            "Observatoire", (M, C), ok=ref("ObservatoryRuptures"),
            params=_observatory_params(grouping=True)),
        ("/api/v1/observatory/activity", "GET"): operation(
            "Suivi d'activité", "Observatoire", (M, C), ok=ref("ObservatoryActivity"),
            params=_observatory_params(grouping=False)),
    }


def _observatory_params(grouping: bool) -> list[dict[str, Any]]:
    params = [query("from", "Début de période (AAAA-MM-JJ).", DATE),
              query("to", "Fin de période (AAAA-MM-JJ).", DATE)]
    if grouping:
        params += [query("group_by", "Dimensions séparées par des virgules : type, cause, "
                         "service_category, territory, month, quarter."),
                   query("territory_level", "epci, commune ou departement."),
                   query("departement", "Code de département."),
                   query("type", "Code de type."), query("cause", "Code de cause."),
                   query("service_category", "Catégorie de service."),
                   query("organisation_type", "Type de la structure où la rupture survient "
                         "(dac, cmp_ussap, csapa, siao, chrs, hospital…).")]
    return params


EXTRA_SCHEMAS: dict[str, Schema] = {
    "CallMotive": obj({"code": STRING, "label": STRING, "active": BOOLEAN}),
    "TriageReplay": {"allOf": [ref("Triage"), obj({"replayed_outcome": STRING,
                                                   "replays_identically": BOOLEAN})]},
}


def openapi_path(rule: str) -> str:
    """Flask's `/x/<int:id>/<event>` as OpenAPI's `/x/{id}/{event}`."""
    import re

    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def build_document(endpoints: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """The whole document. `endpoints` maps (rule, method) to the Flask endpoint name,
    used as operationId."""
    paths: dict[str, dict[str, Any]] = {}
    for (rule, method), op in _paths().items():
        op = {**op, "operationId": (endpoints or {}).get((rule, method))
              or f"{method.lower()}_{openapi_path(rule)}"}
        paths.setdefault(openapi_path(rule), {})[method.lower()] = op
    responses = {f"E{code}": {"description": text,
                              "content": json_content(ref("Error"))}
                 for code, text in ERROR_TEXT.items()}
    responses["E429"]["headers"] = {"Retry-After": {
        "description": "Secondes à attendre.", "schema": INTEGER}}
    responses["Error"] = {"description": "Autre erreur, au même format.",
                          "content": json_content(ref("Error"))}
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "API JSON du dispositif d'appui à la coordination : "
                 "appels du numéro unique, personnes, situations complexes, réunions "
                 "pluri-partenariales, actions, ruptures de parcours, observatoire, "
                 "annuaire. Les listes répondent `{items, page, per_page, total}` ; les "
                 "dates sont en ISO 8601 ; les erreurs ont toutes la forme "
                 "`{\"error\": {code, message, details}}`.",
                 "license": {"name": "AGPL-3.0-or-later",
                             "identifier": "AGPL-3.0-or-later"}},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [{"name": name} for name in dict.fromkeys(
            op["tags"][0] for op in _paths().values())],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "Jeton obtenu par `POST /api/v1/auth/token`."}},
            "schemas": {**SCHEMAS, **EXTRA_SCHEMAS},
            "responses": responses,
        },
    }


def documented_operations() -> set[tuple[str, str]]:
    """(Flask rule, method) of every documented operation: the drift test's reference."""
    return set(_paths())


@bp.get("/openapi.json")
@public
def openapi_document() -> Any:
    from flask import current_app

    endpoints = {(rule.rule, method): rule.endpoint.removeprefix("api.")
                 for rule in current_app.url_map.iter_rules()
                 for method in rule.methods or ()}
    return jsonify(build_document(endpoints))
