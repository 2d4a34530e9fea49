"""Hand corrections and imports: the edit history (old and new value of each field), what
a re-import may overwrite, and the sweep that flags entries nobody verified for a year.

An admin's correction is the latest word on a field until an import is told to overwrite
it (`overwrite_edits`): the latest history entry of a field says whose value it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from directory.models import CurationTask, DirectoryService, ServiceEdit

ADMIN = "admin"
# Columns an admin corrects by hand (directory.services.edit_service); derived columns
# (search text, name key, verification date) are not history.
EDITED_COLUMNS = ("name", "address", "postcode", "phones", "email", "website",
                  "opening_hours", "conditions", "description", "waiting_days",
                  "accepting_new", "accepts_dual_diagnosis")
FIELD_LABELS = {"name": "nom", "address": "adresse", "postcode": "code postal",
                "phones": "téléphone", "email": "e-mail", "website": "site",
                "opening_hours": "horaires", "conditions": "conditions d'accès",
                "description": "description", "waiting_days": "délai d'attente",
                "accepting_new": "accueille de nouvelles personnes",
                "accepts_dual_diagnosis": "double diagnostic"}
STALE_AFTER_DAYS = 365


def record_changes(session: Session, service: DirectoryService, origin: str,
                   user_id: int | None) -> list[str]:
    """One history entry per corrected column of `service` changed since it was loaded
    (not yet flushed); the names of those columns."""
    state = inspect(service)
    changed = []
    for name in EDITED_COLUMNS:
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        changed.append(name)
        session.add(ServiceEdit(service_id=service.id, field=name, old_value=old,
                                new_value=new, origin=origin, edited_by_user_id=user_id))
    return changed


def hand_edited(session: Session, service_ids: Iterable[int]) -> dict[int, set[str]]:
    """service id -> the fields whose current value is an admin's correction."""
    ids = list(service_ids)
    latest: dict[tuple[int, str], str] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(ServiceEdit.service_id, ServiceEdit.field, ServiceEdit.origin)
            .where(ServiceEdit.service_id.in_(ids[start:start + 1000]))
            .order_by(ServiceEdit.id))
        for service_id, name, origin in rows:
            latest[(service_id, name)] = origin
    edited: dict[int, set[str]] = {}
    for (service_id, name), origin in latest.items():
        if origin == ADMIN:
            edited.setdefault(service_id, set()).add(name)
    return edited


def keep_hand_edits(session: Session, service: DirectoryService, values: dict[str, Any],
                    edited: set[str], *, source: str, overwrite: bool,
                    ) -> list[tuple[str, Any, Any]]:
    """Apply an import's `values` to an existing service, except the fields an admin
    corrected (`edited`) where the file says otherwise: those keep the admin's value,
    unless `overwrite`, which replaces them and records it in the history. The
    verification date never goes back (an admin's check is more recent than the file's
    date). Returns the disagreements as (field, admin's value, file's value)."""
    verified = values.get("last_verified_on")
    if service.last_verified_on and "last_verified_on" in values and (
            verified is None or verified < service.last_verified_on):
        values = {**values, "last_verified_on": service.last_verified_on}
    disagreements = []
    for name, value in values.items():
        current = getattr(service, name)
        if name in edited and current != value:
            disagreements.append((name, current, value))
            if not overwrite:
                continue
            session.add(ServiceEdit(service_id=service.id, field=name, old_value=current,
                                    new_value=value, origin=source))
        setattr(service, name, value)
    return disagreements


def describe(value: Any) -> str:
    """A field's value as a person reads it (history, import reports)."""
    if value is None or value == "" or value == []:
        return "(vide)"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(p.get("number", p)) if isinstance(p, dict) else str(p)
                         for p in value)
    return str(value)


def conflict_message(key: str, name: str, kept: Any, given: Any, overwritten: bool) -> str:
    """An import report's line for a field an admin corrected and the file contradicts."""
    label = FIELD_LABELS.get(name, name)
    if overwritten:
        return (f"{key} : correction manuelle de « {label} » remplacée par le fichier "
                f"(« {describe(kept)} » → « {describe(given)} »)")
    return (f"{key} : « {label} » corrigé à la main, gardé (« {describe(kept)} ») ; le "
            f"fichier donne « {describe(given)} »")


def history(session: Session, service_id: int, limit: int = 50) -> list[ServiceEdit]:
    return list(session.scalars(select(ServiceEdit).where(
        ServiceEdit.service_id == service_id).order_by(ServiceEdit.id.desc()).limit(limit)))


# --- entries nobody verified for a year --------------------------------------------------

def flag_unverified(session: Session, today: date) -> int:
    """A curation task for each service not verified for 12 months (or never), unless it
    already has an open one (whoever opened it): running twice creates nothing twice."""
    limit = today - timedelta(days=STALE_AFTER_DAYS)
    open_task = select(CurationTask.id).where(CurationTask.service_id == DirectoryService.id,
                                              CurationTask.resolved_at.is_(None))
    stale = session.execute(
        select(DirectoryService.id, DirectoryService.last_verified_on)
        .where((DirectoryService.last_verified_on.is_(None))
               | (DirectoryService.last_verified_on < limit), ~open_task.exists())
        .order_by(DirectoryService.id)).all()
    for service_id, verified in stale:
        when = f"dernière vérification le {verified:%d/%m/%Y}, il y a plus de 12 mois" \
            if verified else "jamais vérifié"
        session.add(CurationTask(
            service_id=service_id, reported_by_user_id=None,
            note=f"Vérification annuelle : {when}. Confirmez ou corrigez ces informations."))
    session.commit()
    return len(stale)


def _freshness_job(session: Session, settings: Any, now: datetime) -> str:
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    return f"{flag_unverified(session, today)} service(s) de l'annuaire à vérifier"


from coordination.services.jobs import Job, register_job  # noqa: E402

register_job(Job("directory_freshness", timedelta(days=1), _freshness_job,
                 "ouvre une tâche de vérification pour les services de l'annuaire non "
                 "vérifiés depuis 12 mois"))
