"""One error format: JSON `{"error": {code, message, details}}` under /api, French pages
elsewhere; never a stack trace to a user. Also the security headers of every response."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from coordination.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    NotFound,
    TooManyRequests,
    ValidationError,
)
from coordination.web.access import is_api_request

log = logging.getLogger(__name__)

MESSAGES_FR = {
    400: "La requête est mal formée.",
    401: "Authentification requise.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Cette page n'existe pas ou ne vous est pas accessible.",
    405: "Cette méthode n'est pas autorisée ici.",
    409: "Cette opération n'est plus possible : les données ont changé.",
    413: "Le fichier envoyé est trop volumineux.",
    415: "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    422: "Certaines informations sont invalides.",
    429: "Trop de requêtes : réessayez dans quelques instants.",
    500: "Une erreur inattendue s'est produite. Elle a été enregistrée ; vos données "
         "déjà enregistrées ne sont pas perdues.",
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
         415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests",
         500: "internal_error"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def error_response(status: int, message: str | None = None, details: Any = None,
                   code: str | None = None) -> Any:
    message = message or MESSAGES_FR.get(status, "Erreur.")
    if is_api_request():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message,
                          "details": details if details is not None else {}}}
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="coordination"'
        return response
    return make_response(render_template("errors/error.html", status=status, message=message,
                                         details=details), status)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        # werkzeug's own descriptions are English: users get ours, by status.
        response = error_response(exc.code or 500)
        if getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.before_request
    def _refuse_unstorable_text() -> None:
        """A form field or query parameter no database can store (a NUL character, a lone
        surrogate): 422 naming it, before any view runs. JSON bodies are checked by
        `api.json_body` with the same rule."""
        from coordination.web.api import UNENCODABLE, _encodable

        bad = sorted({name for source in (request.args, request.form)
                      for name, value in source.items(multi=True)
                      if not (_encodable(name) and _encodable(value))})
        if bad:
            raise ValidationError({name if _encodable(name) else "champ": [UNENCODABLE]
                                   for name in bad})

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> Any:
        return error_response(400, "Le formulaire a expiré ou ne vient pas de cette "
                              "application : rechargez la page puis recommencez.")

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Any:
        return error_response(422, exc.message, exc.details, code=exc.code)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Any:
        return error_response(404, exc.message, code=exc.code)

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> Any:
        response = error_response(409, exc.message, exc.details, code=exc.code)
        if is_api_request() and isinstance(exc.details, dict) and "candidates" in exc.details:
            # DESIGN §8: "409 with `candidates`", also at the top level for simple clients.
            body = {**response.get_json(), "candidates": exc.details["candidates"]}
            response.set_data(json.dumps(body, ensure_ascii=False))
        return response

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError) -> Any:
        return error_response(409, "Quelqu'un d'autre a modifié cet élément entre-temps : "
                              "rechargez-le avant de recommencer.", code="stale_version")

    @app.errorhandler(AuthenticationFailed)
    def _auth_failed(exc: AuthenticationFailed) -> Any:
        return error_response(401, exc.message, code=exc.code)

    @app.errorhandler(TooManyRequests)
    def _too_many(exc: TooManyRequests) -> Any:
        response = error_response(429, exc.message, exc.details, code=exc.code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        return error_response(400, exc.message, exc.details, code=exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        from flask import g

        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return error_response(500)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and (
            current_user.is_authenticated or is_api_request() or request.method != "GET"
        ):
            # Personal data must not stay in a shared workstation's browser cache.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
