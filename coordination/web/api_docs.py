"""/api/docs: the API's documentation in French, rendered on the server from the same
OpenAPI document as /api/v1/openapi.json (no JavaScript, nothing from a CDN, so it obeys
the Content-Security-Policy and hospital networks that block CDNs)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from coordination.web.access import public
from coordination.web.api.openapi import build_document

bp = Blueprint("api_docs", __name__)


def schema_label(schema: dict[str, Any] | None) -> str:
    """A short French reading of a schema: `Situation`, `liste de Action`, `texte ou nul`."""
    if not schema:
        return "—"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema or "oneOf" in schema:
        return " ou ".join(schema_label(s) for s in schema.get("anyOf", schema.get("oneOf")))
    if "allOf" in schema:
        return " + ".join(schema_label(s) for s in schema["allOf"])
    kinds = schema.get("type", "objet")
    names = {"string": "texte", "integer": "entier", "number": "nombre", "boolean": "booléen",
             "object": "objet", "array": "liste", "null": "nul"}
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        word = names.get(kind, kind)
        if kind == "array" and "items" in schema:
            word = f"liste de {schema_label(schema['items'])}"
        if kind == "string" and schema.get("format") in ("date", "date-time"):
            word = {"date": "date", "date-time": "date et heure"}[schema["format"]]
        if kind == "object" and {"items", "page", "per_page", "total"} <= set(
                schema.get("properties", {})):
            word = f"page de {schema_label(schema['properties']['items']['items'])}"
        words.append(word)
    label = " ou ".join(words)
    if "enum" in schema:
        label += " (" + ", ".join(str(v) for v in schema["enum"]) + ")"
    return label


@bp.app_template_filter("code_spans")
def code_spans(text: str | None) -> Markup:
    """The document's descriptions write names between backticks (`per_page`): shown as
    code, everything else escaped."""
    parts = escape(text or "").split("`")
    # every part was escaped above; only our <code> tags are markup
    joined = "".join(f"<code>{part}</code>" if index % 2 else part
                     for index, part in enumerate(parts))
    return Markup(joined)  # noqa: S704


@bp.get("/api/docs")
@public
def index() -> Any:
    document = build_document()
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            response_schemas = {}
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = document["components"]["responses"][
                        response["$ref"].rsplit("/", 1)[1]]
                content = next(iter(response.get("content", {}).items()), None)
                response_schemas[status] = (response["description"],
                                            content[0] if content else None,
                                            content[1].get("schema") if content else None)
            body = operation.get("requestBody", {}).get("content", {}).get(
                "application/json", {}).get("schema")
            by_tag.setdefault(operation["tags"][0], []).append({
                "method": method.upper(), "path": path, "operation": operation,
                "anchor": operation["operationId"], "body": body,
                "responses": response_schemas})
    return render_template("api/docs.html", document=document, by_tag=by_tag,
                           schema_label=schema_label,
                           count=sum(len(v) for v in by_tag.values()))
