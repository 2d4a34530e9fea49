"""Published logigramme versions: the shipped one is published on first use; an admin
publishes a new one after validation; past versions stay for replay."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordination.domain.errors import NotFound, ValidationError
from coordination.models import LogigrammeVersion, User
from coordination.workflows.complex_case import COMPLEX_CASE
from coordination.workflows.intake import load_schema
from coordination.workflows.logigramme import Logigramme, LogigrammeInvalid, parse

SHIPPED = "data/logigramme-dac11-2026.1.yaml"


def shipped_document() -> dict[str, Any]:
    text = resources.files("coordination.workflows").joinpath(SHIPPED).read_text("utf-8")
    return yaml.safe_load(text)


def triage_events() -> set[str]:
    """Events a triage may fire: leaving "to_triage" with no field to supply (the triage
    writes the reason itself), and not the rupture events."""
    return {t.event for t in COMPLEX_CASE.transitions_from("to_triage")
            if not t.required_fields and "open_rupture" not in t.guards}


def load_yaml(text: str) -> Any:
    """A logigramme document from YAML text; unreadable YAML is a ValidationError naming
    the line (the admin page and the CLI show the same message)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        # PyYAML explains in English: kept as a technical detail after a French sentence
        raise ValidationError({"document": [
            f"Document YAML illisible{where} : vérifiez l'indentation, les deux-points "
            f"et les crochets autour de cet endroit (détail : "
            f"{getattr(exc, 'problem', exc)})."]}) from None


def validate(document: Any) -> Logigramme:
    """The parsed logigramme, or LogigrammeInvalid listing every problem."""
    intake_version = document.get("intake_version") if isinstance(document, dict) else None
    if intake_version is not None and not isinstance(intake_version, str | int | float):
        raise LogigrammeInvalid(["« intake_version » doit être un numéro de version"])
    try:
        schema = load_schema(str(intake_version)) if intake_version else load_schema()
    except (FileNotFoundError, OSError, ValueError):
        raise LogigrammeInvalid([f"fiche de recueil {intake_version} inconnue"]) from None
    return parse(document, schema, triage_events())


@lru_cache(maxsize=32)
def _parsed(version: str, document_json: str) -> Logigramme:
    import json

    return validate(json.loads(document_json))


def _load(row: LogigrammeVersion) -> Logigramme:
    import json

    return _parsed(row.version, json.dumps(row.document, sort_keys=True))


def current(session: Session) -> Logigramme:
    """The logigramme in force (the shipped one until an admin publishes another). Reads
    only: `ensure_published` records the shipped one when a triage first uses it."""
    row = session.scalar(select(LogigrammeVersion).where(LogigrammeVersion.is_current))
    if row is None:
        return validate(shipped_document())
    return _load(row)


def ensure_published(session: Session) -> Logigramme:
    """The current logigramme, recorded in the database so that triages can be replayed."""
    row = session.scalar(select(LogigrammeVersion).where(LogigrammeVersion.is_current))
    if row is None:
        row = _publish_row(session, shipped_document(), None)
    return _load(row)


def version(session: Session, label: str) -> Logigramme:
    row = session.scalar(select(LogigrammeVersion).where(LogigrammeVersion.version == label))
    if row is None:
        raise NotFound(f"Version de logigramme inconnue : {label}.")
    return _load(row)


def publish(session: Session, actor: User | None, document: Any) -> LogigrammeVersion:
    """Validate and make current; an invalid document changes nothing (422, every problem
    listed by node)."""
    try:
        parsed = validate(document)
    except LogigrammeInvalid as invalid:
        raise ValidationError({"document": invalid.problems},
                              "Logigramme invalide : rien n'a été publié.") from None
    if session.scalar(select(LogigrammeVersion.id)
                      .where(LogigrammeVersion.version == parsed.version)):
        raise ValidationError({"version": [f"La version {parsed.version} existe déjà : "
                                           "changez le numéro de version."]})
    row = _publish_row(session, document, actor)
    session.commit()
    return row


def _publish_row(session: Session, document: dict[str, Any],
                 actor: User | None) -> LogigrammeVersion:
    for row in session.scalars(select(LogigrammeVersion).where(LogigrammeVersion.is_current)):
        row.is_current = False
    row = LogigrammeVersion(version=str(document["version"]), document=document,
                            is_current=True,
                            published_by_user_id=actor.id if actor else None)
    session.add(row)
    session.flush()
    return row


def history(session: Session) -> list[LogigrammeVersion]:
    return list(session.scalars(select(LogigrammeVersion).order_by(LogigrammeVersion.id.desc())))
