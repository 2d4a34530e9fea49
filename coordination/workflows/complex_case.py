"""The complex-case workflow of a DAC/COM360 situation (DESIGN §4).

draft → to_triage → (oriented | emergency_redirected | in_assessment | awaiting_meeting |
in_coordination); awaiting_meeting → in_coordination after a meeting decision;
in_coordination → awaiting_meeting for a review; any active state → in_rupture while a
confirmed rupture is open, back to where it was when resolved; any state → closed with a
closure reason; closed → reopened → to_triage.
"""

from __future__ import annotations

from enum import StrEnum

from coordination.workflows.definition import (
    GuardContext,
    State,
    Transition,
    WorkflowDefinition,
)

STATES = (
    State("draft", "Brouillon", active=False),
    State("to_triage", "À trier"),
    State("oriented", "Orientée"),
    State("emergency_redirected", "Réorientée vers l'urgence"),
    State("in_assessment", "En évaluation"),
    State("awaiting_meeting", "En attente de réunion"),
    State("in_coordination", "En coordination"),
    State("in_rupture", "En rupture de parcours", active=False),
    State("closed", "Clôturée", active=False, final=True),
    State("reopened", "Réouverte"),
)
ACTIVE_STATES = tuple(s.name for s in STATES if s.active)
STATE_LABELS = {s.name: s.label for s in STATES}


class ClosureReason(StrEnum):
    RESOLVED = "resolved"
    HANDED_OVER = "handed_over"
    DECLINED = "declined"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def label(self) -> str:
        return {
            "resolved": "Situation résolue ou stabilisée",
            "handed_over": "Relais pris par le droit commun",
            "declined": "La personne a refusé l'accompagnement",
            "moved_out": "Départ du territoire",
            "deceased": "Décès",
            "not_eligible": "Ne relève pas du dispositif",
        }[self.value]


# --- guards: facts in, French refusal reason (or None) out -------------------------------------

def intake_complete(context: GuardContext) -> str | None:
    missing = context.facts.get("intake_missing_fields") or []
    if missing:
        return "Fiche de recueil incomplète : " + ", ".join(missing) + "."
    return None


def person_informed(context: GuardContext) -> str | None:
    if not context.facts.get("person_informed"):
        return "L'information de la personne n'est pas enregistrée (fiche de la personne)."
    return None


def triaged(context: GuardContext) -> str | None:
    if not context.facts.get("has_triage"):
        return "Le logigramme n'a pas encore été passé."
    return None


def no_open_actions(context: GuardContext) -> str | None:
    open_actions = context.facts.get("open_actions", 0)
    if open_actions and not context.fields.get("cancel_open_actions"):
        return (f"{open_actions} action(s) encore ouverte(s) : cochez « Annuler les actions "
                "encore ouvertes » (cancel_open_actions dans l'API) ou attendez leur "
                "clôture.")
    return None


def open_rupture(context: GuardContext) -> str | None:
    if not context.facts.get("open_rupture"):
        return "Aucune rupture confirmée et ouverte sur cette situation."
    return None


def no_open_rupture(context: GuardContext) -> str | None:
    if context.facts.get("open_rupture"):
        return "Une rupture est encore ouverte : résolvez-la d'abord."
    return None


def _returns_to(state: str):  # type: ignore[no-untyped-def]
    def guard(context: GuardContext) -> str | None:
        if context.facts.get("state_before_rupture") != state:
            return ("La situation n'était pas « " + STATE_LABELS.get(state, state)
                    + " » avant la rupture.")
        return None

    return guard


GUARDS = {
    "intake_complete": intake_complete, "person_informed": person_informed,
    "triaged": triaged, "no_open_actions": no_open_actions, "open_rupture": open_rupture,
    "no_open_rupture": no_open_rupture,
    **{f"returns_to_{name}": _returns_to(name) for name in ACTIVE_STATES},
}

COORDINATION = frozenset({"coordinator"})
CARE_TEAM = frozenset({"coordinator", "partner"})

TRANSITIONS = (
    Transition("submit_for_triage", ("draft", "reopened"), "to_triage",
               "Soumettre au logigramme", guards=("intake_complete", "person_informed")),
    Transition("orient", ("to_triage", "in_assessment"), "oriented",
               "Orienter (information – orientation)", guards=("triaged",)),
    Transition("redirect_emergency", ("to_triage", "in_assessment", "in_coordination"),
               "emergency_redirected", "Réorienter vers l'urgence", requires_reason=True),
    Transition("start_assessment", ("to_triage",), "in_assessment",
               "Démarrer l'évaluation", guards=("triaged",)),
    Transition("schedule_meeting", ("to_triage", "in_assessment"), "awaiting_meeting",
               "Inscrire en réunion partenariale", guards=("triaged",)),
    Transition("start_coordination", ("to_triage", "in_assessment"), "in_coordination",
               "Démarrer la coordination", guards=("triaged",)),
    Transition("meeting_decision", ("awaiting_meeting",), "in_coordination",
               "Décision de réunion : coordination", requires_reason=True),
    Transition("request_review", ("in_coordination",), "awaiting_meeting",
               "Revoir en réunion", requires_reason=True),
    Transition("declare_rupture", ACTIVE_STATES, "in_rupture", "Rupture de parcours confirmée",
               guards=("open_rupture",), roles=CARE_TEAM),
    *(Transition("resolve_rupture", ("in_rupture",), name, "Rupture résolue",
                 guards=("no_open_rupture", f"returns_to_{name}"), roles=CARE_TEAM)
      for name in ACTIVE_STATES),
    Transition("close", tuple(s.name for s in STATES if s.name != "closed"), "closed",
               "Clôturer", guards=("no_open_actions",),
               required_fields={"closure_reason": tuple(r.value for r in ClosureReason)},
               offered_fields={"cancel_open_actions": True}),
    Transition("reopen", ("closed",), "reopened", "Rouvrir", requires_reason=True),
)

GUARD_LABELS = {
    "intake_complete": "fiche de recueil complète",
    "person_informed": "personne informée",
    "triaged": "logigramme passé",
    "no_open_actions": "aucune action ouverte (ou annulées en même temps)",
    "open_rupture": "rupture confirmée ouverte",
    "no_open_rupture": "plus de rupture ouverte",
    **{f"returns_to_{s.name}": f"retour à « {s.label} »" for s in STATES if s.active},
}

COMPLEX_CASE = WorkflowDefinition(
    name="complex_case", states=STATES, initial="draft", transitions=TRANSITIONS,
    guards=GUARDS, field_labels={"closure_reason": "le motif de clôture"},
    guard_labels=GUARD_LABELS)
