"""The intake form (fiche de recueil): a versioned schema kept as data, answer validation
(partial for drafts, complete for submission) and its JSON Schema for other software."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

TYPES = {"text", "textarea", "boolean", "choice", "multichoice", "integer", "date", "services"}


@dataclass(frozen=True)
class IntakeField:
    id: str
    label: str
    type: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    min_items: int = 0
    # Health details (psychiatric, addiction, disability, trauma, suicide risk): shown to a
    # non-health organisation only with the person's consent covering them.
    health_detail: bool = False
    health_choices: frozenset[str] = frozenset()  # values of a multichoice that are health

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)


@dataclass(frozen=True)
class IntakeSection:
    id: str
    label: str
    fields: tuple[IntakeField, ...]


@dataclass(frozen=True)
class IntakeSchema:
    version: str
    title: str
    sections: tuple[IntakeSection, ...]

    @property
    def fields(self) -> dict[str, IntakeField]:
        return {f.id: f for s in self.sections for f in s.fields}

    @property
    def health_detail_fields(self) -> frozenset[str]:
        """Fields whose answer is (or may hold) a health detail: withheld whole, or, for a
        multichoice with health values, stripped of them."""
        return frozenset(f.id for f in self.fields.values()
                         if f.health_detail or f.health_choices)

    def withhold_health_details(self, answers: Mapping[str, Any]
                                ) -> tuple[dict[str, Any], list[str]]:
        """The answers without their health details, and the ids of every field that may
        hold one (answered or not: naming only the answered ones would tell a reader that
        the person has, say, substances recorded)."""
        fields = self.fields
        kept: dict[str, Any] = {}
        for name, value in answers.items():
            spec = fields.get(name)
            if spec is not None and spec.health_choices and isinstance(value, list):
                kept[name] = [v for v in value if v not in spec.health_choices]
            elif spec is None or not spec.health_detail:
                kept[name] = value
        return kept, sorted(self.health_detail_fields)

    def clean(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Answers with the right types, and per-field problems. Unknown fields and wrong
        types are problems; missing fields are not (see `missing`)."""
        fields = self.fields
        clean: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}
        for name, value in answers.items():
            spec = fields.get(name)
            if spec is None:
                problems[name] = ["Champ inconnu de la fiche de recueil."]
                continue
            if value is None or value == "" or value == []:
                continue
            try:
                clean[name] = _coerce(spec, value)
            except ValueError as exc:
                problems[name] = [str(exc)]
        return clean, problems

    def missing(self, answers: Mapping[str, Any]) -> list[str]:
        """Labels of required fields without an answer, in form order."""
        missing = []
        for spec in self.fields.values():
            if not spec.required:
                continue
            value = answers.get(spec.id)
            if value is None or value == "" or (spec.type == "multichoice"
                                                and len(value) < max(spec.min_items, 1)):
                missing.append(spec.id)
        return missing

    def json_schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for spec in self.fields.values():
            prop: dict[str, Any] = {"title": spec.label, **_json_type(spec)}
            if spec.health_detail:
                prop["x-health-detail"] = True
            if spec.health_choices:
                prop["x-health-detail-values"] = sorted(spec.health_choices)
            properties[spec.id] = prop
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:coordination:intake:{self.version}",
            "title": self.title, "type": "object", "additionalProperties": False,
            "properties": properties,
            "required": [f.id for f in self.fields.values() if f.required],
            "x-version": self.version,
            "x-sections": [{"id": s.id, "title": s.label, "fields": [f.id for f in s.fields]}
                           for s in self.sections],
            "description": "Réponses de la fiche de recueil. Un brouillon peut omettre les "
                           "champs requis ; la soumission au logigramme les exige.",
        }


def _coerce(spec: IntakeField, value: Any) -> Any:
    if spec.type in {"text", "textarea"}:
        if not isinstance(value, str):
            raise ValueError("Texte attendu.")
        if len(value) > 5000:
            raise ValueError("5000 caractères au plus.")
        return value.strip()
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "oui", "yes", "1", "on"):
            return True
        if value in ("false", "non", "no", "0", "off"):
            return False
        raise ValueError("Oui ou non attendu.")
    if spec.type == "choice":
        if value not in spec.choice_values:
            raise ValueError("Valeurs possibles : " + ", ".join(spec.choice_values) + ".")
        return value
    if spec.type == "multichoice":
        if not isinstance(value, list) or any(v not in spec.choice_values for v in value):
            raise ValueError("Liste attendue parmi : " + ", ".join(spec.choice_values) + ".")
        return sorted(set(value), key=spec.choice_values.index)
    if spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("Nombre entier attendu.")
        return value
    if spec.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise ValueError("Date attendue au format AAAA-MM-JJ.") from None
    if spec.type == "services":
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
            raise ValueError("Liste d'identifiants de services attendue.")
        return sorted(set(value))
    raise ValueError(f"type inconnu {spec.type}")


def _json_type(spec: IntakeField) -> dict[str, Any]:
    if spec.type in {"text", "textarea"}:
        return {"type": "string", "maxLength": 5000}
    if spec.type == "boolean":
        return {"type": "boolean"}
    if spec.type == "choice":
        return {"type": "string", "enum": list(spec.choice_values),
                "x-labels": dict(spec.choices)}
    if spec.type == "multichoice":
        return {"type": "array", "uniqueItems": True, "minItems": spec.min_items,
                "items": {"type": "string", "enum": list(spec.choice_values)},
                "x-labels": dict(spec.choices)}
    if spec.type == "integer":
        return {"type": "integer"}
    if spec.type == "date":
        return {"type": "string", "format": "date"}
    return {"type": "array", "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1},
            "description": "Identifiants de services de l'annuaire (/api/v1/directory/services)"}


def parse_schema(document: Mapping[str, Any]) -> IntakeSchema:
    sections = []
    seen: set[str] = set()
    for raw_section in document["sections"]:
        fields = []
        for raw in raw_section["fields"]:
            if raw["type"] not in TYPES:
                raise ValueError(f"field {raw['id']}: unknown type {raw['type']}")
            if raw["id"] in seen:
                raise ValueError(f"field {raw['id']} appears twice")
            seen.add(raw["id"])
            raw_choices = raw.get("choices") or {}
            # A label with an unquoted comma in a YAML flow mapping splits into a bogus
            # code whose label is None: refuse the schema rather than offer it.
            bad = [k for k, v in raw_choices.items()
                   if not re.fullmatch(r"[a-z0-9_]+", str(k)) or not isinstance(v, str) or not v]
            if bad:
                raise ValueError(f"field {raw['id']}: malformed choice(s) {bad!r} "
                                 "(codes in lower case, labels as text: quote a label "
                                 "holding a comma)")
            choices = tuple((str(k), str(v)) for k, v in raw_choices.items())
            fields.append(IntakeField(raw["id"], raw["label"], raw["type"],
                                      bool(raw.get("required")), choices,
                                      int(raw.get("min_items", 0)),
                                      bool(raw.get("health_detail")),
                                      frozenset(map(str, raw.get("health_choices") or ()))))
        sections.append(IntakeSection(raw_section["id"], raw_section["label"], tuple(fields)))
    return IntakeSchema(str(document["version"]), document["title"], tuple(sections))


# What a caller says they are (free text on the call) → the intake's requester_role choice.
_ROLE_WORDS = (("psychiatr", "psychiatrist"), ("medecin", "gp"), ("generaliste", "gp"),
               ("infirmi", "nurse"), ("ide ", "nurse"), ("hopital", "hospital_team"),
               ("hospital", "hospital_team"), ("urgences", "hospital_team"),
               ("social", "social_worker"), ("educat", "social_worker"),
               ("assistant", "social_worker"), ("conseill", "social_worker"),
               ("mere", "family"), ("pere", "family"), ("famille", "family"),
               ("proche", "family"), ("aidant", "family"), ("conjoint", "family"),
               ("fille", "family"), ("fils", "family"), ("soeur", "family"),
               ("frere", "family"))


def requester_role_for(text: str | None) -> str | None:
    """The requester_role code a caller's stated role most likely means (« Assistante
    sociale » → social_worker, « médecin généraliste » → gp); None when unsure: the
    coordinator chooses."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower())
                     if not unicodedata.combining(c)) + " "
    return next((code for word, code in _ROLE_WORDS if word in folded), None)


CURRENT_VERSION = "2026.1"


@lru_cache(maxsize=8)
def load_schema(version: str = CURRENT_VERSION) -> IntakeSchema:
    text = resources.files("coordination.workflows").joinpath(
        f"data/intake-{version}.yaml").read_text(encoding="utf-8")
    return parse_schema(yaml.safe_load(text))
