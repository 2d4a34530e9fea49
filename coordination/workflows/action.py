"""The lifecycle of an action decided for a situation (DESIGN §3, §4 point 2; issue 7).

open → in_progress → done; open or in_progress → blocked (coded reason) → back where it
was; open, in_progress or blocked → cancelled (coordination, with a reason); done or
cancelled → open again (coordination, with a reason: closed by mistake, or the
appointment did not happen after all). Overdue is computed, not a state: an action is
late whatever its state, until it is done or cancelled.

Partners move only the actions assigned to their own organisation; the service says so
in the fact `user_in_assignee_organisation`.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from coordination.workflows.definition import (
    Guard,
    GuardContext,
    State,
    Transition,
    WorkflowDefinition,
)

STATES = (
    State("open", "À faire"),
    State("in_progress", "En cours"),
    State("blocked", "Bloquée"),
    State("done", "Réalisée", active=False, final=True),
    State("cancelled", "Annulée", active=False, final=True),
)
FINAL_STATES = tuple(s.name for s in STATES if s.final)
OPEN_STATES = tuple(s.name for s in STATES if not s.final)


class ActionType(StrEnum):
    CMP_APPOINTMENT = "cmp_appointment"
    CSAPA_APPOINTMENT = "csapa_appointment"
    SIAO_REQUEST = "siao_request"
    HOUSING = "housing"
    RIGHTS = "rights"
    HOME_VISIT = "home_visit"
    GP_CONTACT = "gp_contact"
    HOSPITALISATION = "hospitalisation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "cmp_appointment": "Rendez-vous au CMP",
            "csapa_appointment": "Rendez-vous au CSAPA",
            "siao_request": "Demande SIAO",
            "housing": "Logement",
            "rights": "Accès aux droits",
            "home_visit": "Visite à domicile",
            "gp_contact": "Contact avec le médecin traitant",
            "hospitalisation": "Hospitalisation",
            "other": "Autre",
        }[self.value]


class BlockReason(StrEnum):
    PERSON_ABSENT = "person_absent"
    REFUSED_ADMISSION = "refused_admission"
    NO_PLACE = "no_place"
    CRITERIA_NOT_MET = "criteria_not_met"
    PERSON_REFUSED = "person_refused"
    WAITING_LIST = "waiting_list"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "person_absent": "Personne absente au rendez-vous",
            "refused_admission": "Refus d'admission",
            "no_place": "Pas de place disponible",
            "criteria_not_met": "Critères d'admission non remplis",
            "person_refused": "La personne refuse",
            "waiting_list": "Sur liste d'attente",
            "other": "Autre motif",
        }[self.value]


class CompletionOutcome(StrEnum):
    AS_PLANNED = "as_planned"
    PARTLY = "partly"
    OTHER_SOLUTION = "other_solution"

    @property
    def label(self) -> str:
        return {
            "as_planned": "Réalisée comme prévu",
            "partly": "Réalisée en partie",
            "other_solution": "Une autre solution a été trouvée",
        }[self.value]


def overdue(due_on: date | None, state: str, today: date) -> bool:
    """Late: still to be done (blocked included) and its due date has passed."""
    return due_on is not None and state not in FINAL_STATES and due_on < today


def due_soon(due_on: date | None, state: str, today: date, days: int = 2) -> bool:
    """Due within `days` days from today and not late yet: the reminder's rule."""
    return (due_on is not None and state not in FINAL_STATES
            and today <= due_on <= today + timedelta(days=days))


# --- guards: facts in, French refusal reason (or None) out -------------------------------------

def assignee_or_coordinator(context: GuardContext) -> str | None:
    if "coordinator" in context.user_roles or context.facts.get("user_in_assignee_organisation"):
        return None
    return ("Seule l'organisation à qui l'action est confiée, ou la coordination, peut la "
            "faire avancer.")


def known_outcome(context: GuardContext) -> str | None:
    # The outcome is optional, so it cannot be a required field; a value given must be known.
    outcome = context.fields.get("outcome")
    if outcome in (None, "") or outcome in set(CompletionOutcome):
        return None
    return f"Résultat non prévu : {outcome}."


def other_reason_explained(context: GuardContext) -> str | None:
    if context.fields.get("block_reason") == BlockReason.OTHER and not (
            context.reason or "").strip():
        return "Motif « Autre » : précisez-le en quelques mots."
    return None


def _was(state: str, also_unknown: bool) -> Guard:
    def guard(context: GuardContext) -> str | None:
        before = context.facts.get("state_before_block")
        if before == state or (also_unknown and before is None):
            return None
        return f"L'action n'était pas « {STATES_BY_NAME[state]} » avant son blocage."

    return guard


STATES_BY_NAME = {s.name: s.label for s in STATES}

GUARDS = {
    "assignee_or_coordinator": assignee_or_coordinator,
    "known_outcome": known_outcome,
    "other_reason_explained": other_reason_explained,
    # An action whose earlier state is not known goes back to "open": the safe guess.
    "was_open": _was("open", also_unknown=True),
    "was_in_progress": _was("in_progress", also_unknown=False),
}

COORDINATION = frozenset({"coordinator"})
CARE_TEAM = frozenset({"coordinator", "partner"})

TRANSITIONS = (
    Transition("start", ("open",), "in_progress", "Commencer",
               guards=("assignee_or_coordinator",), roles=CARE_TEAM),
    Transition("complete", ("open", "in_progress"), "done", "Marquer comme réalisée",
               guards=("assignee_or_coordinator", "known_outcome"), roles=CARE_TEAM,
               required_fields={"completion_note": ()}),
    Transition("block", ("open", "in_progress"), "blocked", "Signaler un blocage",
               guards=("assignee_or_coordinator", "other_reason_explained"), roles=CARE_TEAM,
               required_fields={"block_reason": tuple(r.value for r in BlockReason)}),
    Transition("unblock", ("blocked",), "open", "Débloquer",
               guards=("assignee_or_coordinator", "was_open"), roles=CARE_TEAM),
    Transition("unblock", ("blocked",), "in_progress", "Débloquer",
               guards=("assignee_or_coordinator", "was_in_progress"), roles=CARE_TEAM),
    Transition("cancel", OPEN_STATES, "cancelled", "Annuler", requires_reason=True),
    Transition("reopen", FINAL_STATES, "open", "Rouvrir", requires_reason=True),
)

GUARD_LABELS = {
    "assignee_or_coordinator": "organisation chargée de l'action ou coordination",
    "known_outcome": "résultat prévu par la liste",
    "other_reason_explained": "motif « Autre » précisé",
    "was_open": "retour à « À faire »",
    "was_in_progress": "retour à « En cours »",
}

ACTION = WorkflowDefinition(
    name="action", states=STATES, initial="open", transitions=TRANSITIONS, guards=GUARDS,
    field_labels={"completion_note": "ce qui a été fait (note de réalisation)",
                  "block_reason": "le motif du blocage", "outcome": "le résultat"},
    guard_labels=GUARD_LABELS)
