"""Workflow definitions as data: states, events, guards by name, required fields, roles.

A definition says *what* may happen; `engine.py` makes it happen with `transitions`; the
service layer persists it. Guards are plain functions of a `GuardContext` returning a
French refusal reason, or None when the event may proceed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class State:
    name: str
    label: str
    active: bool = True  # can enter in_rupture, counts in caseloads
    final: bool = False


@dataclass(frozen=True)
class Transition:
    event: str
    sources: tuple[str, ...]
    dest: str
    label: str
    guards: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset({"coordinator"})
    requires_reason: bool = False
    # event field -> allowed values (empty tuple: any non-empty text)
    required_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # optional event fields the form offers, with the value that makes the event possible
    # (closing with "cancel the open actions" ticked): options() counts on them
    offered_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class GuardContext:
    """Facts the guards read, gathered by the service for one object and one event."""

    state: str
    event: str
    user_roles: frozenset[str]
    reason: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)


Guard = Callable[[GuardContext], str | None]


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]
    guards: Mapping[str, Guard]
    field_labels: Mapping[str, str] = field(default_factory=dict)
    guard_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {s.name for s in self.states}
        problems = []
        if self.initial not in names:
            problems.append(f"initial state {self.initial!r} is not a state")
        for t in self.transitions:
            unknown = [s for s in (*t.sources, t.dest) if s not in names]
            if unknown:
                problems.append(f"event {t.event!r} names unknown states {unknown}")
            missing = [g for g in t.guards if g not in self.guards]
            if missing:
                problems.append(f"event {t.event!r} uses undefined guards {missing}")
        if problems:
            raise ValueError(f"workflow {self.name}: " + "; ".join(problems))

    @property
    def events(self) -> frozenset[str]:
        return frozenset(t.event for t in self.transitions)

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def event_label(self, event: str) -> str:
        return next(t.label for t in self.transitions if t.event == event)
