"""Rupture candidates: facts that suggest a pathway may have broken, raised by the
scheduler and confirmed (→ rupture) or dismissed by a coordinator (DESIGN §3, §5; issue 8).

Each rule is a pure function from small frozen facts (built by the service from the
database) and today's date to a `Candidate` or None. Thresholds are configurable.

The key: one underlying fact, one key, whatever the day the sweep runs. A key is
`<rule>:<object>:<id>:<date of the fact>`, where the date is what makes this occurrence
of the fact distinct from a later one:

- stale situation: the date of the last event. A sweep on day 46 and on day 90 of the
  same silence give the same key; a new event followed by another silence gives a new one.
- overdue action: the due date. Postponing the due date and missing it again is new.
- action refused or blocked: the day it was closed so (reopened and refused again: new).
- handed over with no receiving service: the day of the closure (reopened, closed again:
  new).
- discharge without a follow-up appointment: the discharge date (a later stay: new).

The service stores the key under a unique constraint: inserting a key that exists, even
one dismissed long ago, creates nothing, so the same fact never raises twice and running
the sweep twice is harmless. The keys carry no name, only ids and dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from coordination.workflows.complex_case import ACTIVE_STATES, ClosureReason

OPEN_ACTION_STATES = ("open", "in_progress")
REFUSED, BLOCKED = "refused", "blocked"


@dataclass(frozen=True)
class CandidateThresholds:
    stale_after_days: int = 45
    overdue_after_days: int = 14
    # Days after a discharge before its missing follow-up appointment raises a candidate
    # (0: at once; a team that records appointments a few days later may prefer 3).
    discharge_follow_up_days: int = 0

    def __post_init__(self) -> None:
        for name in ("stale_after_days", "overdue_after_days", "discharge_follow_up_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} doit être un nombre de jours positif ou nul")
        if self.stale_after_days < 1 or self.overdue_after_days < 1:
            raise ValueError("stale_after_days et overdue_after_days valent au moins 1 jour")


@dataclass(frozen=True)
class SituationFacts:
    id: int
    state: str
    last_event_at: datetime | date
    closure_reason: str | None = None
    closed_on: date | None = None
    receiving_service_known: bool = False
    discharged_on: date | None = None
    follow_up_appointment_recorded: bool = False


@dataclass(frozen=True)
class ActionFacts:
    id: int
    situation_id: int
    state: str
    due_on: date | None = None
    # "refused" (the service that was asked said no) or "blocked", with the day it happened; the
    # day is part of the candidate's key, so it is required with `closed_as`.
    closed_as: str | None = None
    closed_on: date | None = None

    def __post_init__(self) -> None:
        if self.closed_as not in (None, REFUSED, BLOCKED):
            raise ValueError(f"closed_as: {REFUSED!r}, {BLOCKED!r} ou None")
        if self.closed_as and self.closed_on is None:
            raise ValueError("closed_on est requis avec closed_as")


@dataclass(frozen=True)
class Candidate:
    key: str
    rule: str
    situation_id: int
    explanation: str
    occurred_on: date  # suggested rupture date: when the fact happened
    suggested_type: str | None = None
    suggested_cause: str | None = None
    action_id: int | None = None


# Rule code → (suggested type, suggested cause), all codes of the shipped taxonomy. None
# where the fact alone does not say (a long silence may be lost contact for any reason).
SUGGESTIONS: dict[str, tuple[str | None, str | None]] = {
    "stale_situation": ("lost_contact", None),
    "overdue_action": ("excessive_waiting_time", "waiting_time"),
    "action_refused": ("admission_refused_other", "admission_criteria"),
    "action_blocked": ("excessive_waiting_time", None),
    "handover_without_receiver": ("end_of_care_without_handover", "no_referent"),
    "discharge_without_follow_up": ("hospital_discharge_without_follow_up",
                                    "discharge_not_prepared"),
}


def _candidate(rule: str, kind: str, object_id: int, on: date, situation_id: int,
               explanation: str, action_id: int | None = None) -> Candidate:
    suggested_type, suggested_cause = SUGGESTIONS[rule]
    return Candidate(f"{rule}:{kind}:{object_id}:{on.isoformat()}", rule, situation_id,
                     explanation, on, suggested_type, suggested_cause, action_id)


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def stale_situation(s: SituationFacts, today: date,
                    thresholds: CandidateThresholds) -> Candidate | None:
    """An active situation with no event for `stale_after_days` days."""
    last = _day(s.last_event_at)
    silent = (today - last).days
    if s.state not in ACTIVE_STATES or silent < thresholds.stale_after_days:
        return None
    return _candidate("stale_situation", "situation", s.id, last, s.id,
                      f"Aucun événement depuis {silent} jours (dernier le {_fr(last)}).")


def overdue_action(a: ActionFacts, today: date,
                   thresholds: CandidateThresholds) -> Candidate | None:
    """An open action past its due date by `overdue_after_days` days or more."""
    if a.state not in OPEN_ACTION_STATES or a.due_on is None:
        return None
    late = (today - a.due_on).days
    if late < thresholds.overdue_after_days:
        return None
    return _candidate("overdue_action", "action", a.id, a.due_on, a.situation_id,
                      f"Action en retard de {late} jours (échéance le {_fr(a.due_on)}).",
                      action_id=a.id)


def refused_or_blocked_action(a: ActionFacts, today: date,
                              thresholds: CandidateThresholds) -> Candidate | None:
    """An action closed as refused (the service said no) or blocked."""
    if a.closed_as is None or a.closed_on is None:
        return None
    on = a.closed_on
    if a.closed_as == REFUSED:
        return _candidate("action_refused", "action", a.id, on, a.situation_id,
                          f"Action refusée par la structure sollicitée le {_fr(on)}.",
                          action_id=a.id)
    return _candidate("action_blocked", "action", a.id, on, a.situation_id,
                      f"Action bloquée le {_fr(on)}.", action_id=a.id)


def handover_without_receiver(s: SituationFacts, today: date,
                              thresholds: CandidateThresholds) -> Candidate | None:
    """A situation closed as handed over to common-law services, none of them named."""
    if (s.state != "closed" or s.closure_reason != ClosureReason.HANDED_OVER
            or s.receiving_service_known):
        return None
    on = s.closed_on or _day(s.last_event_at)  # the closure is the last event until reopened
    return _candidate("handover_without_receiver", "situation", s.id, on, s.id,
                      f"Clôturée le {_fr(on)} avec un relais au droit commun, sans service "
                      "qui prend le relais.")


def discharge_without_follow_up(s: SituationFacts, today: date,
                                thresholds: CandidateThresholds) -> Candidate | None:
    """A recorded discharge with no follow-up appointment, `discharge_follow_up_days`
    days after it."""
    if (s.discharged_on is None or s.follow_up_appointment_recorded
            or s.state in ("draft", "closed")
            or (today - s.discharged_on).days < thresholds.discharge_follow_up_days
            or s.discharged_on > today):
        return None
    return _candidate("discharge_without_follow_up", "situation", s.id, s.discharged_on, s.id,
                      f"Sortie d'hospitalisation le {_fr(s.discharged_on)} sans rendez-vous "
                      "de suivi enregistré.")


SITUATION_RULES = (stale_situation, handover_without_receiver, discharge_without_follow_up)
ACTION_RULES = (overdue_action, refused_or_blocked_action)


def detect_candidates(situations: Iterable[SituationFacts], actions: Iterable[ActionFacts],
                      today: date,
                      thresholds: CandidateThresholds | None = None) -> list[Candidate]:
    """Every candidate the facts raise today, one per key, situations first."""
    thresholds = thresholds or CandidateThresholds()
    found: dict[str, Candidate] = {}
    for s in situations:
        for rule in SITUATION_RULES:
            candidate = rule(s, today, thresholds)
            if candidate:
                found.setdefault(candidate.key, candidate)
    for a in actions:
        for action_rule in ACTION_RULES:
            candidate = action_rule(a, today, thresholds)
            if candidate:
                found.setdefault(candidate.key, candidate)
    return list(found.values())
