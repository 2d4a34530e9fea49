"""JSON API under /api/v1 (DESIGN §8): bearer tokens, one error format, paginated lists."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 200


def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object: 415 when the body is not declared as JSON, 400 when it
    does not parse or is not an object."""
    if not required and not request.get_data():
        return {}
    if not request.is_json:
        abort(415)
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # "[[[[…" nested deeper than the interpreter's recursion limit: not a request body
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        if not _encodable(name):
            errors["body"] = [UNENCODABLE]
        elif (problem := _invalid(value)) is not None:
            errors[name] = [problem]
    if errors:
        from coordination.domain.errors import ValidationError

        raise ValidationError(dict(sorted(errors.items())))
    return body


UNENCODABLE = "Texte non valide (caractère impossible à encoder)."
# No operation takes more than a few levels: deeper values would only feed recursion
# (checks, JSON columns, the audit's canonical JSON) until the interpreter gives up.
MAX_DEPTH = 16


def _encodable(value: str) -> bool:
    """Text every database stores: JSON allows lone UTF-16 surrogates ("\\ud800") that
    no database or hash accepts, and PostgreSQL refuses the NUL character."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invalid(value: object, depth: int = 0) -> str | None:
    """Why a value of the body cannot be used (French, for the field), or None."""
    if depth > MAX_DEPTH:
        return f"Structure trop imbriquée (au plus {MAX_DEPTH} niveaux)."
    if isinstance(value, str):
        return None if _encodable(value) else UNENCODABLE
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((p for v in items if (p := _invalid(v, depth + 1)) is not None), None)


def page_args() -> tuple[int, int]:
    from coordination.domain.errors import ValidationError

    errors: dict[str, list[str]] = {}
    values = {}
    for name, default, high in (("page", 1, 10**6), ("per_page", 50, MAX_PER_PAGE)):
        raw = request.args.get(name, str(default))
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= high:
            errors[name] = [f"Entier attendu entre 1 et {high}."]
        else:
            values[name] = int(raw)
    if errors:
        raise ValidationError(errors)
    return values["page"], values["per_page"]


def expected_version(body_version: object = None) -> int | None:
    """The version the client last saw: `If-Match: "3"` (or W/"3"), else `version` in the
    body. None when the client sent neither (last write wins is then its choice)."""
    from coordination.domain.errors import ValidationError

    header = request.headers.get("If-Match")
    raw: object = header.strip().removeprefix("W/").strip('"') if header else body_version
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    raise ValidationError({"version": ["Numéro de version attendu (If-Match)."]})


def paginated(items: list[dict[str, Any]], page: int, per_page: int, total: int,
              **extra: Any) -> Any:
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total,
                    **extra})


def paginated_list(items: list[Any], to_json: Any = None, **extra: Any) -> Any:
    """A short list computed whole (a commune's CMPs, a situation's ruptures) in the same
    envelope as every other list, so that clients page through all lists alike."""
    page, per_page = page_args()
    chunk = items[(page - 1) * per_page: page * per_page]
    return paginated([to_json(i) for i in chunk] if to_json else chunk, page, per_page,
                     len(items), **extra)


from coordination.web.api import (  # noqa: E402,F401  (registers the routes)
    auth,
    calls,
    fhir,
    meetings,
    openapi,
    organisations,
    persons,
    ruptures,
    situations,
)
from directory import web as directory_web  # noqa: E402,F401  (the directory's routes)
