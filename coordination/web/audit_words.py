"""Audit entries told in French for the pages that show them (the admin's journal, a
person's access history): domain.audit_vocabulary with the workflows' own words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g

from coordination.domain.audit_vocabulary import Told, tell, who
from coordination.web.context import db


def _words() -> Callable[[str, str], str]:
    """Events, states and triage outcomes by code, built once per request."""
    label = g.get("workflow_words")
    if label is None:
        from coordination.services import logigrammes
        from coordination.web import ACTION_STATE_LABELS, EVENT_LABELS, STATE_LABELS
        from coordination.workflows.action import ACTION

        words = {"event": {**{t.event: t.label for t in ACTION.transitions}, **EVENT_LABELS},
                 "state": {**ACTION_STATE_LABELS, **STATE_LABELS},
                 "outcome": {k: o.label for k, o in logigrammes.current(db()).outcomes.items()}}

        def label(kind: str, code: str) -> str:
            return words.get(kind, {}).get(code, code)

        g.workflow_words = label
    return label


def told(action: str, object_type: str, object_id: str | None, fields: Any,
         detail: str | None) -> Told:
    return tell(action, object_type, object_id, fields or [], detail, label=_words())


def told_actor(actor: str) -> str:
    return who(actor)
