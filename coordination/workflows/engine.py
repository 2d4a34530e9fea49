"""The one workflow engine, over `transitions` (the only module that imports it).

One `Machine` per definition is built once and shared. For each operation a tiny subject
holding only the current state string is added with `add_model(initial=state)`, triggered,
and removed in `finally`: the machine never keeps a reference to a database row, so
memory stays flat however many cases go through it, and no Machine is built per request.
A lock makes the shared machine safe under threaded workers; the work under it is a few
microseconds of pure Python (no I/O).

The database transaction, not the library, is the rollback: the service writes the new
state, the transition record and the audit entry in one transaction.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from transitions import Machine, MachineError

from coordination.workflows.definition import GuardContext, Transition, WorkflowDefinition

# The library logs every transition at INFO; our transition records are the history.
logging.getLogger("transitions").setLevel(logging.WARNING)


class UnknownEvent(LookupError):
    """The definition has no such event (HTTP 404)."""


class EventRefused(Exception):
    """The event exists but may not happen now (HTTP 409), with the reasons and what is
    allowed instead."""

    def __init__(self, event: str, state: str, reasons: list[str], allowed: list[str]) -> None:
        super().__init__(f"{event} refused in {state}: {'; '.join(reasons)}")
        self.event, self.state, self.reasons, self.allowed = event, state, reasons, allowed


@dataclass(frozen=True)
class Outcome:
    event: str
    source: str
    dest: str


@dataclass(frozen=True)
class EventOption:
    event: str
    label: str
    allowed: bool
    reasons: tuple[str, ...]
    requires_reason: bool
    required_fields: tuple[str, ...]


class _Subject:
    """What the machine sees of an object: its state, nothing else."""

    state: str


class WorkflowEngine:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None, states=[s.name for s in definition.states],
            initial=definition.initial, auto_transitions=False, send_event=True,
            ignore_invalid_triggers=False, model_attribute="state",
            transitions=[{"trigger": t.event, "source": list(t.sources), "dest": t.dest,
                          "conditions": [self._condition(t)]}
                         for t in definition.transitions],
        )

    def _condition(self, transition: Transition):  # type: ignore[no-untyped-def]
        def check(event_data) -> bool:  # type: ignore[no-untyped-def]
            context: GuardContext = event_data.kwargs["context"]
            reasons = self._refusals(transition, context)
            context.refusals.extend(reasons)
            return not reasons

        return check

    def _refusals(self, transition: Transition, context: GuardContext) -> list[str]:
        reasons: list[str] = []
        if context.user_roles.isdisjoint(transition.roles):
            reasons.append("Votre rôle ne permet pas cette action.")
        if transition.requires_reason and not (context.reason or "").strip():
            reasons.append("Un motif écrit est nécessaire.")
        for name, allowed in transition.required_fields.items():
            value = context.fields.get(name)
            label = self.definition.field_labels.get(name, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                reasons.append(f"Il manque {label}.")
            elif allowed and value not in allowed:
                reasons.append(f"Valeur non prévue pour « {label} » : {value}.")
        for guard in transition.guards:
            reason = self.definition.guards[guard](context)
            if reason:
                reasons.append(reason)
        return reasons

    def options(self, context: GuardContext) -> list[EventOption]:
        """Every event leaving the current state, allowed or not, with the reasons (the UI
        shows the allowed ones as buttons; the API lists them). Event fields and reasons
        are not required to be present here: they are asked for when the event is fired."""
        by_event: dict[str, EventOption] = {}
        for transition in self.definition.transitions_from(context.state):
            probe = GuardContext(state=context.state, event=transition.event,
                                 user_roles=context.user_roles, reason="(à saisir)",
                                 fields={**transition.offered_fields,
                                         **{name: (values[0] if values else "(à saisir)")
                                            for name, values
                                            in transition.required_fields.items()}},
                                 facts=context.facts)
            reasons = self._refusals(transition, probe)
            option = EventOption(transition.event, transition.label, not reasons,
                                 tuple(reasons), transition.requires_reason,
                                 tuple(transition.required_fields))
            # One event may have several transitions (resolve_rupture returns to where the
            # situation was): it is allowed when one of them is.
            known = by_event.get(transition.event)
            if known is None or (option.allowed and not known.allowed):
                by_event[transition.event] = option
        return list(by_event.values())

    def allowed_events(self, context: GuardContext) -> list[str]:
        return [option.event for option in self.options(context) if option.allowed]

    def fire(self, context: GuardContext) -> Outcome:
        """Apply `context.event` to `context.state`; return where it leads, or raise."""
        if context.event not in self.definition.events:
            raise UnknownEvent(context.event)
        subject = _Subject()
        with self._lock:
            self._machine.add_model(subject, initial=context.state)
            try:
                done = getattr(subject, context.event)(context=context)
            except MachineError:
                done = False
                context.refusals.append(
                    f"Impossible depuis l'état « {self.definition.state(context.state).label} ».")
            finally:
                self._machine.remove_model(subject)
        if not done:
            reasons = list(dict.fromkeys(context.refusals)) or ["Condition non remplie."]
            raise EventRefused(context.event, context.state, reasons,
                               self.allowed_events(context))
        return Outcome(context.event, context.state, subject.state)

    def apply(self, context: GuardContext) -> Outcome:
        """`fire`, its refusals said as the domain's errors: an unknown event is 404, a
        refused one 409 with the reasons and the events allowed now."""
        from coordination.domain.errors import Conflict, NotFound

        try:
            return self.fire(context)
        except UnknownEvent:
            raise NotFound(f"Événement inconnu : {context.event}.") from None
        except EventRefused as refused:
            raise Conflict("Action impossible maintenant : " + " ".join(refused.reasons),
                           {"event": context.event, "state": context.state,
                            "reasons": refused.reasons,
                            "allowed_events": refused.allowed}) from None

    def mermaid(self) -> str:
        """The definition as a Mermaid state diagram (docs and the admin page)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.definition.initial}"]
        for state in self.definition.states:
            lines.append(f"    {state.name} : {state.label}")
        for transition in self.definition.transitions:
            for source in transition.sources:
                lines.append(f"    {source} --> {transition.dest} : {transition.event}")
        return "\n".join(lines)
