"""Who may see a person's situation (CSP L1110-4, DESIGN §7), as a plain rule.

- Opposition recorded and not lifted: no organisation, whatever else is recorded.
- The person must have been informed (of the sharing and of the right to object) before
  anything is shared.
- A health professional team (DAC, CMP, CSAPA, hospital…) taking part in the care: yes.
- Any other organisation (SIAO, CHRS, social services): only with the person's consent
  naming that organisation, not revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ConsentKind(StrEnum):
    INFORMATION = "information"
    OPPOSITION = "opposition"
    CONSENT = "consent"

    @property
    def label(self) -> str:
        return {"information": "Information délivrée", "opposition": "Opposition au partage",
                "consent": "Consentement au partage"}[self.value]


INFORMATION_METHODS = {
    "oral": "Oralement",
    "written": "Document écrit remis",
    "through_caregiver": "Par l'intermédiaire de l'aidant ou du représentant légal",
    "phone": "Par téléphone",
}


@dataclass(frozen=True)
class SharingFacts:
    informed: bool
    opposition: bool
    organisation_is_health_team: bool
    consent_for_organisation: bool


@dataclass(frozen=True)
class SharingDecision:
    allowed: bool
    reason: str


def sharing_decision(facts: SharingFacts) -> SharingDecision:
    if facts.opposition:
        return SharingDecision(False, "La personne s'est opposée au partage de ses informations.")
    if not facts.informed:
        return SharingDecision(False, "L'information de la personne n'est pas enregistrée.")
    if facts.organisation_is_health_team:
        return SharingDecision(True, "Équipe de soins participant à la prise en charge, "
                                     "personne informée, sans opposition.")
    if facts.consent_for_organisation:
        return SharingDecision(True, "Consentement de la personne au partage avec cette "
                                     "organisation.")
    return SharingDecision(False, "Organisation hors équipe de soins : le consentement de la "
                                  "personne nommant cette organisation est nécessaire.")


def may_see_health_details(*, organisation_is_health_team: bool,
                           consent_covers_health_details: bool) -> bool:
    """Whether a reader allowed to see a situation also sees its health details
    (psychiatric disorder, substances, disability, trauma, suicide risk). A health
    professional team taking part in the care needs them (CSP L1110-4); any other
    organisation (a housing or social service) sees the situation for what it does, and the
    health details only when the person's consent naming it says they are included."""
    return organisation_is_health_team or consent_covers_health_details
