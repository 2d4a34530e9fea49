"""Calls to the single number: the vocabulary and the rules a logged call must satisfy.

Plain Python: the service layer checks what needs the database (motives configured,
organisations, directory services, persons) and calls `clean_call` for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from coordination.domain.errors import ValidationError, is_id
from coordination.domain.periods import parse_datetime

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of phones and PCs drift a little
MAX_DURATION_SECONDS = 6 * 3600
TEXT_LIMITS = {"caller_name": 200, "caller_role": 120, "caller_organisation": 200,
               "caller_phone": 30, "person_label": 200, "notes": 5000}


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    MAIL = "mail"

    @property
    def label(self) -> str:
        return {"phone": "Téléphone", "email": "E-mail", "in_person": "Sur place",
                "mail": "Courrier"}[self.value]


class CallerType(StrEnum):
    PROFESSIONAL = "professional"
    FAMILY = "family"
    PERSON = "person"

    @property
    def label(self) -> str:
        return {"professional": "Professionnel", "family": "Proche ou aidant",
                "person": "La personne elle-même"}[self.value]


class CallOutcome(StrEnum):
    INFORMATION = "information"
    ORIENTATION = "orientation"
    SITUATION_OPENED = "situation_opened"
    LINKED_SITUATION = "linked_situation"
    EMERGENCY_REDIRECT = "emergency_redirect"

    @property
    def label(self) -> str:
        return {"information": "Information donnée",
                "orientation": "Orientation vers des services",
                "situation_opened": "Situation ouverte",
                "linked_situation": "Rattaché à une situation existante",
                "emergency_redirect": "Réorientation vers l'urgence (15, 112, 3114)"}[self.value]


def _choice(enum: type[StrEnum], value: object, errors: dict[str, list[str]], name: str,
            default: StrEnum) -> Any:
    if value in (None, ""):
        return default
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        errors[name] = ["Valeur inconnue. Valeurs : "
                        + ", ".join(f"{m.value} ({m.label})" for m in enum) + "."]  # type: ignore[attr-defined]
        return default


_DURATION = re.compile(r"^\s*(?:(\d{1,3})\s*[:m']\s*)?(\d{1,2})?\s*(?:s|\")?\s*$")
_HOURS = re.compile(r"^\s*(\d{1,2})\s*h\s*(\d{1,2})?\s*$")


def parse_duration(text: str) -> int | None:
    """Seconds from what a coordinator types or the timer shows: "4:30", "12:05", "7"
    (minutes), "0:45", "1h05". None when it cannot be read; negative values do not parse."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) * 60
    hours = _HOURS.match(text)
    if hours:
        minutes = int(hours.group(2) or 0)
        return int(hours.group(1)) * 3600 + minutes * 60 if minutes < 60 else None
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    minutes, seconds = int(match.group(1) or 0), int(match.group(2) or 0)
    if seconds >= 60:
        return None
    return minutes * 60 + seconds


def format_duration(seconds: int | None) -> str:
    """"4:30"; an hour or more as "1h05" (what parse_duration reads back)."""
    if seconds is None:
        return ""
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def phone_key(phone: str | None) -> str | None:
    """The number's digits in national form, so that "+33 6 12 34 56 78" and
    "06.12.34.56.78" are recognised as the same caller."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits or None


def clean_call(data: Mapping[str, Any], *, now: datetime, zone: tzinfo,
               motive_codes: Collection[str]) -> dict[str, Any]:
    """The call's values, checked: every problem named by its field, all at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name)
        if value is None:
            clean[name] = None
        elif not isinstance(value, str):
            errors[name] = ["Texte attendu."]
        else:
            value = value.strip() if name == "notes" else " ".join(value.split())
            if len(value) > limit:
                errors[name] = [f"{limit} caractères au plus."]
            clean[name] = value or None
    if not clean.get("caller_name") and "caller_name" not in errors:
        errors["caller_name"] = ["Le nom de l'appelant est obligatoire (« anonyme » si "
                                 "l'appelant ne le donne pas)."]

    received = data.get("received_at")
    if received in (None, ""):
        clean["received_at"] = now
    else:
        parsed = parse_datetime(received, zone)
        if parsed is None:
            errors["received_at"] = ["Date et heure attendues (AAAA-MM-JJTHH:MM)."]
        elif parsed > now + FUTURE_TOLERANCE:
            errors["received_at"] = ["L'appel ne peut pas être dans le futur."]
        clean["received_at"] = parsed

    duration = data.get("duration_seconds")
    typed = data.get("duration")
    if typed not in (None, "") and not isinstance(typed, str):
        errors["duration"] = ["Texte attendu (minutes:secondes, ex. 4:30) ; ou duration_seconds."]
    if duration in (None, "") and isinstance(typed, str) and typed.strip():
        # what a person typed or the screen's timer showed ("4:30")
        clean["duration_seconds"] = parse_duration(typed)
        if clean["duration_seconds"] is None:
            errors["duration"] = ["Durée en minutes et secondes attendue (ex. 4:30), jamais "
                                  "négative."]
        elif clean["duration_seconds"] > MAX_DURATION_SECONDS:
            errors["duration"] = ["Six heures au plus."]
    elif duration in (None, ""):
        clean["duration_seconds"] = None
    elif isinstance(duration, bool) or not isinstance(duration, int):
        errors["duration_seconds"] = ["Nombre entier de secondes attendu."]
    elif duration < 0:
        errors["duration_seconds"] = ["La durée ne peut pas être négative."]
    elif duration > MAX_DURATION_SECONDS:
        errors["duration_seconds"] = ["Six heures au plus."]
    else:
        clean["duration_seconds"] = duration

    clean["channel"] = _choice(Channel, data.get("channel"), errors, "channel", Channel.PHONE)
    clean["caller_type"] = _choice(CallerType, data.get("caller_type"), errors, "caller_type",
                                   CallerType.PROFESSIONAL)
    clean["outcome"] = _choice(CallOutcome, data.get("outcome"), errors, "outcome",
                               CallOutcome.INFORMATION)

    motives = data.get("motives")
    if isinstance(motives, str):
        motives = [motives]
    if not motives:
        errors["motives"] = ["Choisir au moins un motif d'appel."]
        motives = []
    elif not isinstance(motives, list) or not all(isinstance(m, str) for m in motives):
        errors["motives"] = ["Liste de codes de motifs attendue."]
        motives = []
    else:
        unknown = [m for m in motives if m not in motive_codes]
        if unknown:
            errors["motives"] = ["Motif inconnu : " + ", ".join(unknown) + "."]
    clean["motives"] = list(dict.fromkeys(motives))

    for name in ("person_id", "situation_id", "caller_organisation_id"):
        value = data.get(name)
        if value in (None, ""):
            clean[name] = None
        elif not is_id(value):
            errors[name] = ["Identifiant numérique attendu."]
            clean[name] = None
        else:
            clean[name] = int(value)

    services = data.get("service_ids") or []
    if not isinstance(services, list) or not all(is_id(s) for s in services):
        errors["service_ids"] = ["Liste d'identifiants de services de l'annuaire attendue."]
        services = []
    clean["service_ids"] = list(dict.fromkeys(int(s) for s in services))
    if clean["outcome"] == CallOutcome.ORIENTATION and not clean["service_ids"] \
            and "service_ids" not in errors:
        errors["service_ids"] = ["Une orientation nomme au moins un service de l'annuaire."]
    if clean["outcome"] == CallOutcome.LINKED_SITUATION and not clean["situation_id"] \
            and "situation_id" not in errors:
        errors["situation_id"] = ["Indiquer la situation à laquelle rattacher l'appel."]
    if clean["outcome"] == CallOutcome.SITUATION_OPENED and not clean["situation_id"] \
            and "situation_id" not in errors:
        errors["outcome"] = ["Une situation s'ouvre depuis l'appel enregistré (bouton « Ouvrir "
                             "une situation », ou POST /api/v1/situations avec call_id)."]

    callback = data.get("callback_due_at")
    if callback in (None, ""):
        clean["callback_due_at"] = None
    else:
        parsed = parse_datetime(callback, zone)
        if parsed is None:
            errors["callback_due_at"] = ["Date et heure attendues (AAAA-MM-JJTHH:MM)."]
        elif isinstance(clean.get("received_at"), datetime) \
                and parsed < clean["received_at"] - timedelta(minutes=1):
            errors["callback_due_at"] = ["Le rappel est prévu avant l'appel lui-même : "
                                         "vérifiez la date et l'heure."]
        clean["callback_due_at"] = parsed
    if errors:
        raise ValidationError(errors)
    return clean



def name_in_label(label: str | None) -> str | None:
    """The name part of how a caller described the person (« Gérard Roche, 58 ans,
    Narbonne » → « Gérard Roche »): what to look them up by, since every word searched
    must be in their names."""
    head = (label or "").split(",")[0]
    words = [w for w in head.split() if not any(c.isdigit() for c in w)
             and w.lower() not in {"ans", "an", "m.", "mme", "mr", "monsieur", "madame"}]
    return " ".join(words) or None
