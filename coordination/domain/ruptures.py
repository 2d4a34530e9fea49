"""Pathway ruptures (ruptures de parcours): the versioned taxonomy kept as data and the
validation of a declared or resolved rupture (DESIGN §3, §8; issue 8). Plain Python.

The taxonomy (coordination/data/rupture-taxonomy-<version>.yaml) lists rupture types
(in groups), causes (in families), consequences, care settings and the transition points
between two care settings. `parse_taxonomy` refuses a broken document listing every
problem with the entry and its line; `taxonomy_json` is the body of
`GET /api/v1/ruptures/taxonomy`; `validate_rupture` and `validate_resolution` clean what
a coordinator or a partner submits, or raise ValidationError naming each field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from coordination.domain.errors import ValidationError

CURRENT_VERSION = "2026.1"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_TEXT = 5000

# Each list of the document: the keys an entry may have (beyond code, label, description)
# and, for a key that points into another list, that list.
SECTIONS: dict[str, dict[str, str]] = {
    "type_groups": {},
    "types": {"group": "type_groups"},
    "cause_families": {},
    "causes": {"family": "cause_families"},
    "consequences": {},
    "care_settings": {},
    "transition_points": {"from": "care_settings", "to": "care_settings"},
}
REQUIRED_REFERENCES = {("causes", "family"), ("transition_points", "from"),
                       ("transition_points", "to")}


class TaxonomyInvalid(ValueError):
    """A taxonomy document that cannot be used; `problems` names each entry and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    description: str | None = None
    line: int | None = None
    # What the entry points to: group (types), family (causes), from/to (transition points).
    references: tuple[tuple[str, str], ...] = ()

    def ref(self, key: str) -> str | None:
        return dict(self.references).get(key)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "label": self.label}
        if self.description:
            out["description"] = self.description
        out.update(self.references)
        return out


@dataclass(frozen=True)
class Taxonomy:
    version: str
    title: str
    sections: tuple[tuple[str, tuple[Entry, ...]], ...]

    def entries(self, section: str) -> tuple[Entry, ...]:
        return dict(self.sections)[section]

    def codes(self, section: str) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries(section))

    def label(self, section: str, code: str) -> str:
        """The French label of a code ("" for a code this version does not know: a rupture
        recorded under an older version still displays)."""
        return next((e.label for e in self.entries(section) if e.code == code), "")


def taxonomy_json(taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """`GET /api/v1/ruptures/taxonomy`: {types, causes, consequences, transition_points}
    as lists of {code, label, …}; causes carry their `family` and `family_label`, types
    their `group`, transition points `from` and `to`; the groups, families and care
    settings are listed too."""
    taxonomy = taxonomy or load_taxonomy()
    body: dict[str, Any] = {"version": taxonomy.version, "title": taxonomy.title}
    for section, entries in taxonomy.sections:
        body[section] = [e.json() for e in entries]
    families = {e.code: e.label for e in taxonomy.entries("cause_families")}
    for cause in body["causes"]:
        cause["family_label"] = families[cause["family"]]
    settings = {e.code: e.label for e in taxonomy.entries("care_settings")}
    for point in body["transition_points"]:
        point["from_label"], point["to_label"] = settings[point["from"]], settings[point["to"]]
    return body


# --- loading ---------------------------------------------------------------------------------

class _Located(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the line it started on (1-based)."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        mapping = _Located(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        _Loader.construct_mapping)


def parse_taxonomy(text: str) -> Taxonomy:
    """The taxonomy in a YAML text, or TaxonomyInvalid listing every problem."""
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark else ""
        raise TaxonomyInvalid([f"YAML illisible{where} : "
                               f"{getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(document, dict):
        raise TaxonomyInvalid(["le document doit être un dictionnaire (version, title, types…)"])
    problems: list[str] = []
    version, title = document.get("version"), document.get("title")
    if not isinstance(version, str) or not version.strip():
        problems.append("« version » manquante ou qui n'est pas un texte (ex. \"2026.1\")")
    if not isinstance(title, str) or not title.strip():
        problems.append("« title » manquant")
    unknown = sorted(set(document) - set(SECTIONS) - {"version", "title"})
    if unknown:
        problems.append("rubriques inconnues : " + ", ".join(map(str, unknown)))
    sections = {name: _entries(name, document.get(name), problems) for name in SECTIONS}
    for name, keys in SECTIONS.items():
        for key, target in keys.items():
            known = {e.code for e in sections[target]}
            for entry in sections[name]:
                value = entry.ref(key)
                if value is None and (name, key) in REQUIRED_REFERENCES:
                    problems.append(f"{_where(name, entry.code, entry.line)} : « {key} » manquant")
                elif value is not None and value not in known:
                    problems.append(f"{_where(name, entry.code, entry.line)} : {key} "
                                    f"« {value} » inconnu de {target}")
    if problems:
        raise TaxonomyInvalid(problems)
    return Taxonomy(str(version), str(title),
                    tuple((name, sections[name]) for name in SECTIONS))


def _where(section: str, code: object, line: int | None) -> str:
    return f"{section} « {code} »" + (f" (ligne {line})" if line else "")


def _entries(section: str, raw: Any, problems: list[str]) -> tuple[Entry, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{section} : liste d'entrées manquante ou vide")
        return ()
    allowed = {"code", "label", "description", *SECTIONS[section]}
    entries: list[Entry] = []
    seen: dict[str, int | None] = {}
    for index, item in enumerate(raw):
        line = getattr(item, "line", None)
        if not isinstance(item, dict):
            problems.append(f"{section}[{index}] : une entrée doit être un dictionnaire "
                            "(code, label…)")
            continue
        code, label = item.get("code"), item.get("label")
        where = _where(section, code, line) if code else f"{section}[{index}] (ligne {line})"
        before = len(problems)
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(f"{where} : code manquant ou invalide (minuscules ASCII, chiffres "
                            "et _, commençant par une lettre)")
        elif code in seen:
            problems.append(f"{where} : code déjà utilisé (ligne {seen[code]})")
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{where} : libellé (label) manquant")
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            problems.append(f"{where} : la description doit être un texte")
        extra = sorted(set(item) - allowed, key=str)
        if extra:
            problems.append(f"{where} : clés inconnues " + ", ".join(map(str, extra)))
        references = []
        for key in SECTIONS[section]:
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(f"{where} : « {key} » doit être un code")
            elif value is not None:
                references.append((key, value))
        if len(problems) == before:
            seen[code] = line
            entries.append(Entry(code, label.strip(), (description or "").strip() or None,
                                 line, tuple(references)))
    return tuple(entries)


def load_taxonomy(version: str = CURRENT_VERSION) -> Taxonomy:
    """A shipped taxonomy version (the current one by default), read once."""
    return _load_shipped(version)


@lru_cache(maxsize=8)
def _load_shipped(version: str) -> Taxonomy:
    text = resources.files("coordination").joinpath(
        f"data/rupture-taxonomy-{version}.yaml").read_text(encoding="utf-8")
    return parse_taxonomy(text)


# --- declaring and resolving a rupture ------------------------------------------------------

CODED_FIELDS = {
    # field: (taxonomy section, required, French name, "unknown" agreed with it)
    "type": ("types", True, "Type de rupture", "inconnu"),
    "cause": ("causes", False, "Cause", "inconnue"),
    "consequence": ("consequences", False, "Conséquence", "inconnue"),
    "transition_point": ("transition_points", False, "Point de transition", "inconnu"),
}


def validate_rupture(data: Mapping[str, Any], today: date,
                     taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """A declared rupture, cleaned: `occurred_on` (date), `type`, `cause`, `consequence`,
    `transition_point` (codes or None), `resolved_on` (date or None), `resolution` (text or
    None). Only `occurred_on` and `type` are required: a partner who sees a rupture does not
    always know its cause yet. Other keys are not looked at (ids are the service's job).
    Raises ValidationError naming every faulty field."""
    taxonomy = taxonomy or load_taxonomy()
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    clean["occurred_on"] = _date(data, "occurred_on", today, problems, required=True)
    for field, (section, required, name, unknown) in CODED_FIELDS.items():
        value = data.get(field)
        if value is None or value == "":
            if required:
                problems[field] = [f"{name} : champ requis."]
            clean[field] = None
        elif not isinstance(value, str) or value not in taxonomy.codes(section):
            problems[field] = [f"{name} {unknown} : « {value} ». Voir "
                               "/api/v1/ruptures/taxonomy."]
        else:
            clean[field] = value
    clean.update(_resolution(data, clean["occurred_on"], today, problems, required=False))
    if problems:
        raise ValidationError(problems)
    return clean


def validate_resolution(data: Mapping[str, Any], occurred_on: date,
                        today: date) -> dict[str, Any]:
    """`POST /api/v1/ruptures/{id}/resolve`: `resolved_on` (date, not before the rupture,
    not in the future) and `resolution` (how it was repaired), both required."""
    problems: dict[str, list[str]] = {}
    clean = _resolution(data, occurred_on, today, problems, required=True)
    if problems:
        raise ValidationError(problems)
    return clean


def _resolution(data: Mapping[str, Any], occurred_on: date | None, today: date,
                problems: dict[str, list[str]], required: bool) -> dict[str, Any]:
    # Either half of a resolution asks for the other: a date says when, the text says how.
    wanted = required or any(data.get(f) not in (None, "") for f in ("resolved_on", "resolution"))
    resolved_on = _date(data, "resolved_on", today, problems, required=wanted)
    if resolved_on and occurred_on and resolved_on < occurred_on:
        problems["resolved_on"] = ["La date de résolution ne peut pas précéder la date de la "
                                   f"rupture ({occurred_on.isoformat()})."]
        resolved_on = None
    resolution = data.get("resolution")
    if resolution is not None and not isinstance(resolution, str):
        problems["resolution"] = ["Texte attendu."]
        resolution = None
    resolution = (resolution or "").strip() or None
    if resolution and len(resolution) > MAX_TEXT:
        problems["resolution"] = [f"{MAX_TEXT} caractères au plus."]
    elif wanted and not resolution and "resolution" not in problems:
        problems["resolution"] = ["Décrivez comment la rupture a été résolue."]
    return {"resolved_on": resolved_on, "resolution": resolution}


def _date(data: Mapping[str, Any], field: str, today: date,
          problems: dict[str, list[str]], required: bool) -> date | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            problems[field] = ["Date requise (AAAA-MM-JJ)."]
        return None
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        problems[field] = ["Date attendue au format AAAA-MM-JJ."]
        return None
    if value > today:
        problems[field] = ["La date ne peut pas être dans le futur."]
        return None
    return value
