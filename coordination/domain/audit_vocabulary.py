"""The audit trail in the words of the person it is about.

The trail itself stays technical and stable (it is hash-chained: what was written is never
rewritten); a person's access history (RGPD art. 15) is read by the person, so each entry
is told in French here: the operation, the object, the fields, the detail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

OPERATIONS = {"read": "consultation", "create": "création", "update": "modification",
              "delete": "suppression", "export": "export", "transition": "étape du parcours",
              "triage": "logigramme", "intake_saved": "fiche de recueil enregistrée",
              "decision": "décision de réunion", "callback_done": "rappel effectué",
              "merge": "fusion de doublons", "merge_undone": "fusion annulée",
              "duplicate_override": "création malgré un doublon possible",
              "erased": "effacement", "agenda_built": "ordre du jour construit",
              "agenda_frozen": "ordre du jour arrêté", "agenda_cap": "maximum de l'ordre du jour",
              "login": "connexion", "login_failed": "connexion refusée",
              "login_password_ok": "mot de passe accepté", "logout": "déconnexion",
              "api_token_issued": "jeton d'API délivré", "totp_enrolled": "double "
              "authentification activée", "totp_reset": "double authentification retirée",
              "recovery_code_used": "code de secours utilisé",
              "mfa_not_enrolled": "double authentification à activer",
              "raise_candidates": "candidats de rupture relevés",
              "audit_purge": "purge du journal", "second_factor": "second facteur"}

OBJECTS = {"persons": "identité", "situations": "situation", "calls": "appel",
           "actions": "action", "ruptures": "rupture de parcours",
           "consent_records": "information, consentement ou opposition",
           "situation_shares": "partage de la situation", "agenda_items": "point de réunion",
           "users": "compte", "user_roles": "rôle d'un compte", "organisations": "organisation",
           "meetings": "réunion", "meeting_series": "série de réunions",
           "rupture_candidates": "candidat de rupture", "observatory": "observatoire",
           "audit_events": "journal d'audit", "notifications": "notification",
           "directory_services": "service de l'annuaire"}

FIELDS = {
    # identity
    "birth_name": "nom de naissance", "birth_first_names": "prénoms de naissance",
    "first_birth_first_name": "premier prénom", "birth_date": "date de naissance",
    "sex": "sexe", "birth_place_insee": "lieu de naissance",
    "birth_country_insee": "pays de naissance", "used_name": "nom utilisé",
    "used_first_name": "prénom utilisé", "identity_status": "statut de l'identité",
    "ins": "INS", "commune_insee": "commune", "address": "adresse", "phone": "téléphone",
    "gp_name": "médecin traitant", "gp_phone": "téléphone du médecin traitant",
    "gp_directory_service_id": "médecin traitant (annuaire)", "caregiver_name": "aidant",
    "caregiver_phone": "téléphone de l'aidant", "caregiver_relation": "lien de l'aidant",
    "legal_protection": "mesure de protection",
    "legal_protection_holder": "titulaire de la mesure", "merged_into_id": "fusion",
    "anonymised_at": "anonymisation",
    # situation
    "intake_answers": "fiche de recueil", "intake_version": "version de la fiche",
    "state": "étape", "state_before_rupture": "étape avant la rupture",
    "referent_user_id": "référent", "next_review_on": "prochaine revue",
    "closure_reason": "motif de clôture", "closed_at": "clôture", "requester": "demandeur",
    "origin_call_id": "appel d'origine",
    # call
    "caller_name": "appelant", "caller_role": "qualité de l'appelant",
    "caller_organisation": "structure de l'appelant", "caller_phone": "téléphone de l'appelant",
    "caller_type": "type d'appelant", "channel": "canal", "duration_seconds": "durée",
    "notes": "notes", "outcome": "suite donnée", "person_id": "personne concernée",
    "situation_id": "situation", "callback_due_at": "rappel prévu",
    "callback_done_at": "rappel effectué", "callback_note": "note de rappel",
    "received_at": "date de l'appel",
    # action
    "title": "intitulé", "type": "type", "assignee_organisation_id": "organisation chargée",
    "assignee_user_id": "personne chargée", "due_on": "échéance",
    "block_reason": "motif de blocage", "completion_note": "note de réalisation",
    # rupture
    "cause": "cause", "consequence": "conséquence", "transition_point": "point de transition",
    "occurred_on": "date de la rupture", "organisation_id": "organisation",
    "service_id": "service", "description": "description", "resolution": "résolution",
    "resolved_on": "date de résolution",
    # consent and share
    "kind": "nature", "scope": "portée", "method": "modalité",
    "covers_health_details": "détails de santé couverts", "revoked_on": "révocation",
    "revocation_reason": "motif de révocation", "note": "note", "revoked_at": "fin du partage",
    # agenda item
    "discussion_notes": "notes de discussion", "decision": "décision",
}

# Keys and bookkeeping derived from the fields above: nothing a person would call their data.
INTERNAL = frozenset({"id", "version", "created_at", "updated_at", "created_by_user_id",
                      "name_key", "first_name_key", "used_name_key", "search_text",
                      "caller_name_key", "caller_phone_key", "intake_updated_at"})

_TRANSITION = re.compile(r"^(\w+): (\w*) -> (\w+)(.*)$")
_TRIAGE = re.compile(r"^logigramme ([\w.]+): proposed (\w+), final (\w+)(.*)$")


def who(actor: str) -> str:
    """An account's e-mail as it is; the machine's own actors in words."""
    if actor == "anonymous":
        return "personne non connectée"
    kind, _, name = actor.partition(":")
    if kind == "cli":
        return f"commande d'exploitation ({name})"
    if kind == "scheduler":
        return f"planificateur ({name.replace('_', ' ')})"
    return actor


@dataclass(frozen=True)
class Told:
    operation: str
    object: str
    fields: str
    detail: str


def tell(action: str, object_type: str, object_id: str | None, fields: Iterable[str],
         detail: str | None, *, label: Callable[[str, str], str]) -> Told:
    """One audit entry in French. `label(kind, code)` names workflow codes ("event",
    "state", "outcome") in the reader's words; unknown codes stay as they are."""
    what = OBJECTS.get(object_type, object_type.replace("_", " "))
    return Told(
        operation=OPERATIONS.get(action, action.replace("_", " ")),
        object=f"{what} n° {object_id.replace(',', ', ')}" if object_id else what,
        fields=", ".join(dict.fromkeys(FIELDS.get(f, f.replace("_", " ")) for f in fields
                                       if f not in INTERNAL)),
        detail=_tell_detail(detail or "", label))


def _tell_detail(detail: str, label: Callable[[str, str], str]) -> str:
    transition = _TRANSITION.match(detail)
    if transition:
        event, source, dest, rest = transition.groups()
        return (f"{label('event', event)} : "
                + (f"{label('state', source)} → " if source else "")
                + label("state", dest) + rest)
    triage = _TRIAGE.match(detail)
    if triage:
        version, proposed, final, rest = triage.groups()
        return (f"logigramme {version} : issue proposée « {label('outcome', proposed)} », "
                f"retenue « {label('outcome', final)} »" + rest)
    return detail
