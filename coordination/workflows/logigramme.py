"""The logigramme: a versioned triage decision tree kept as data (DESIGN §4).

`parse` validates a document and lists every problem with its node id; `evaluate` walks
the tree over intake answers and returns the outcome with the path it took, so that any
past triage can be replayed and explained. Plain Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coordination.workflows.intake import IntakeSchema

# Facts about the person, computed by the service at triage time (not intake answers).
DERIVED_FIELDS = {"person.age": "integer"}
OPERATORS = {
    "equals": {"text", "textarea", "boolean", "choice", "integer", "date"},
    "in": {"choice", "text"},
    "less_than": {"integer"},
    "at_least": {"integer"},
    "count_at_least": {"multichoice", "services"},
    "contains_any": {"multichoice"},
    "answered": {"text", "textarea", "boolean", "choice", "multichoice", "integer", "date",
                 "services"},
}


class LogigrammeInvalid(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Node:
    id: str
    question: str
    field: str
    operator: str
    operand: Any
    yes: str
    no: str


@dataclass(frozen=True)
class Outcome:
    id: str
    label: str
    event: str


@dataclass(frozen=True)
class Step:
    node: str
    question: str
    field: str
    value: Any
    result: bool


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    path: tuple[Step, ...]
    version: str

    def path_json(self) -> list[dict[str, Any]]:
        return [{"node": s.node, "question": s.question, "field": s.field, "value": s.value,
                 "result": s.result} for s in self.path]


@dataclass(frozen=True)
class Logigramme:
    version: str
    title: str
    intake_version: str
    start: str
    nodes: Mapping[str, Node]
    outcomes: Mapping[str, Outcome]

    @property
    def fields_read(self) -> list[str]:
        return sorted({node.field for node in self.nodes.values()})

    def evaluate(self, answers: Mapping[str, Any]) -> Decision:
        current, path = self.start, []
        while current in self.nodes:  # validated: acyclic, every path ends in an outcome
            node = self.nodes[current]
            value = answers.get(node.field)
            result = _test(node.operator, node.operand, value)
            path.append(Step(node.id, node.question, node.field, value, result))
            current = node.yes if result else node.no
        return Decision(self.outcomes[current], tuple(path), self.version)

    def mermaid(self) -> str:
        lines = ["flowchart TD"]
        for node in self.nodes.values():
            lines.append(f'    {node.id}{{"{_escape(node.question)}"}}')
            lines.append(f"    {node.id} -- oui --> {node.yes}")
            lines.append(f"    {node.id} -- non --> {node.no}")
        for outcome in self.outcomes.values():
            lines.append(f'    {outcome.id}["{_escape(outcome.label)}"]')
        return "\n".join(lines)


def describe_test(node: Node, schema: IntakeSchema) -> str:
    """A node's test in the words of the intake form: « Risque suicidaire = Élevé »,
    « Domaines concernés : au moins 3 », « Âge < 21 ans »."""
    spec = schema.fields.get(node.field)
    name = spec.label if spec else ("Âge" if node.field == "person.age" else node.field)
    choices = dict(spec.choices) if spec and spec.choices else {}

    def said(value: Any) -> str:
        if isinstance(value, bool):
            return "oui" if value else "non"
        return str(choices.get(value, value))

    operand = node.operand
    unit = " ans" if node.field == "person.age" else ""
    return {
        "equals": lambda: f"{name} = {said(operand)}",
        "in": lambda: f"{name} : " + " ou ".join(said(v) for v in operand),
        "less_than": lambda: f"{name} < {operand}{unit}",
        "at_least": lambda: f"{name} ≥ {operand}{unit}",
        "count_at_least": lambda: f"{name} : au moins {operand}",
        "contains_any": lambda: f"{name} : l'un de " + ", ".join(said(v) for v in operand),
        "answered": lambda: f"{name} : renseigné",
    }.get(node.operator, lambda: f"{name} {node.operator} {operand}")()


def _escape(text: str) -> str:
    return text.replace('"', "'")


def _test(operator: str, operand: Any, value: Any) -> bool:
    if operator == "answered":
        return value not in (None, "", [])
    if value is None:
        return False
    if operator == "equals":
        return bool(value == operand)
    if operator == "in":
        return value in operand
    if operator == "less_than":
        return bool(value < operand)
    if operator == "at_least":
        return bool(value >= operand)
    if operator == "count_at_least":
        return len(value) >= operand
    if operator == "contains_any":
        return any(item in value for item in operand)
    raise ValueError(operator)


def parse(document: Mapping[str, Any], schema: IntakeSchema,
          workflow_events: Iterable[str]) -> Logigramme:
    """`workflow_events`: the events a triage may fire (they must leave the state being
    triaged and need nothing more than the triage itself)."""
    """A validated logigramme, or LogigrammeInvalid listing every problem by node id."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise LogigrammeInvalid(["le document doit être un objet (clés version, start, nodes, "
                                 "outcomes)"])
    for key in ("version", "title", "start", "nodes", "outcomes"):
        if key not in document:
            problems.append(f"clé « {key} » manquante")
    if problems:
        raise LogigrammeInvalid(problems)
    events = set(workflow_events)
    field_types = {**{f.id: f.type for f in schema.fields.values()}, **DERIVED_FIELDS}
    outcomes: dict[str, Outcome] = {}
    for outcome_id, raw in (document.get("outcomes") or {}).items():
        if not isinstance(raw, Mapping) or not raw.get("label") or not raw.get("event"):
            problems.append(f"issue {outcome_id} : « label » et « event » sont requis")
            continue
        if raw["event"] not in events:
            problems.append(f"issue {outcome_id} : l'événement « {raw['event']} » ne peut pas "
                            "suivre un tri ; possibles : " + ", ".join(sorted(events)))
        outcomes[str(outcome_id)] = Outcome(str(outcome_id), str(raw["label"]), str(raw["event"]))
    nodes: dict[str, Node] = {}
    # every node named in the document, even one whose test is wrong: a branch leading
    # to it is not a second problem
    declared = {str(node_id) for node_id in (document.get("nodes") or {})}
    for node_id, raw in (document.get("nodes") or {}).items():
        node_id = str(node_id)
        if node_id in outcomes:
            problems.append(f"nœud {node_id} : même identifiant qu'une issue")
        if not isinstance(raw, Mapping):
            problems.append(f"nœud {node_id} : doit être un objet")
            continue
        test = raw.get("test")
        if not isinstance(test, Mapping) or len(test) != 1:
            problems.append(f"nœud {node_id} : « test » doit avoir un seul opérateur")
            continue
        operator, operand = next(iter(test.items()))
        field_name = raw.get("field")
        if operator not in OPERATORS:
            problems.append(f"nœud {node_id} : opérateur inconnu « {operator} »")
        elif field_name not in field_types:
            problems.append(f"nœud {node_id} : le champ « {field_name} » n'existe pas dans la "
                            f"fiche de recueil {schema.version}")
        elif field_types[field_name] not in OPERATORS[operator]:
            problems.append(f"nœud {node_id} : l'opérateur « {operator} » ne s'applique pas à "
                            f"un champ de type {field_types[field_name]}")
        else:
            problems.extend(_operand_problems(node_id, field_name, operator, operand, schema))
        for branch in ("yes", "no"):
            if raw.get(branch) is None:
                problems.append(f"nœud {node_id} : branche « {branch} » manquante")
        nodes[node_id] = Node(node_id, str(raw.get("question") or node_id), str(field_name),
                              str(operator), operand, str(raw.get("yes")), str(raw.get("no")))
    start = str(document.get("start"))
    if start not in declared:
        problems.append(f"le nœud de départ « {start} » n'existe pas")
    for node in nodes.values():
        for target in (node.yes, node.no):
            if target not in declared and target not in outcomes:
                problems.append(f"nœud {node.id} : mène à « {target} », ni nœud ni issue")
    problems.extend(_structure_problems(start, nodes, outcomes))
    if problems:
        raise LogigrammeInvalid(problems)
    return Logigramme(str(document["version"]), str(document["title"]),
                      str(document.get("intake_version", schema.version)), start, nodes,
                      outcomes)


_OPERAND_CHECKS = {
    "boolean": (lambda v: isinstance(v, bool), "true ou false"),
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "un nombre entier"),
    "choice": (lambda v: isinstance(v, str), "un texte"),
    "text": (lambda v: isinstance(v, str), "un texte"),
    "textarea": (lambda v: isinstance(v, str), "un texte"),
    "date": (lambda v: isinstance(v, str), "une date AAAA-MM-JJ"),
}


def _operand_problems(node_id: str, field_name: str, operator: str, operand: Any,
                      schema: IntakeSchema) -> list[str]:
    field_type = DERIVED_FIELDS.get(field_name) or schema.fields[field_name].type
    if operator == "answered":
        return []
    if operator in {"count_at_least", "less_than", "at_least"}:
        if not isinstance(operand, int) or isinstance(operand, bool):
            return [f"nœud {node_id} : « {operator} » attend un nombre entier, pas "
                    f"« {_said(operand)} »"]
        return []
    if operator in {"in", "contains_any"}:
        if not isinstance(operand, list) or not operand:
            return [f"nœud {node_id} : « {operator} » attend une liste de valeurs"]
        values = operand
    else:
        values = [operand]
    check = _OPERAND_CHECKS.get("choice" if operator == "contains_any" else field_type)
    if check is not None and not all(check[0](v) for v in values):
        return [f"nœud {node_id} : le champ « {field_name} » attend {check[1]}, pas "
                f"« {_said(operand)} »"]
    spec = schema.fields.get(field_name)
    if spec is None or not spec.choices:
        return []
    values = operand if isinstance(operand, list) else [operand]
    if operator in {"equals", "in", "contains_any"}:
        unknown = [v for v in values if v not in spec.choice_values]
        if unknown:
            return [f"nœud {node_id} : valeur(s) " + ", ".join(f"« {_said(v)} »" for v in unknown)
                    + f" absente(s) des choix de « {field_name} » (possibles : "
                    + ", ".join(spec.choice_values) + ")"]
    return []


def _said(value: Any) -> str:
    """A value from the document as the admin wrote it (no Python notation)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_said(v) for v in value)
    return str(value)


def _structure_problems(start: str, nodes: Mapping[str, Node],
                        outcomes: Mapping[str, Outcome]) -> list[str]:
    """Cycles and nodes no path reaches (every path ending in an outcome follows)."""
    problems: list[str] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def walk(node_id: str) -> None:
        if node_id in outcomes or node_id not in nodes or node_id in done:
            return
        if node_id in visiting:
            problems.append(f"nœud {node_id} : cycle (le chemin revient sur ce nœud)")
            return
        visiting.add(node_id)
        walk(nodes[node_id].yes)
        walk(nodes[node_id].no)
        visiting.discard(node_id)
        done.add(node_id)

    if start in nodes:
        walk(start)
    for node_id in nodes:
        if node_id not in done and node_id not in visiting:
            problems.append(f"nœud {node_id} : inaccessible depuis le départ")
    reachable_outcomes = {t for n in nodes.values() if n.id in done for t in (n.yes, n.no)}
    for outcome_id in outcomes:
        if outcome_id not in reachable_outcomes:
            problems.append(f"issue {outcome_id} : aucun chemin n'y mène")
    return problems
