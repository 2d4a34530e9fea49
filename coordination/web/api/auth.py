"""POST /api/v1/auth/token: credentials in, bearer token out."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from coordination.domain.errors import ValidationError
from coordination.services import accounts
from coordination.web.access import public
from coordination.web.api import bp, json_body
from coordination.web.context import db, settings


@bp.post("/auth/token")
@public
def issue_token() -> Any:
    accounts.check_token_rate(db(), settings(), request.remote_addr)
    body = json_body()
    errors = {name: ["Texte attendu."] for name in ("email", "password")
              if not isinstance(body.get(name), str) or not body.get(name)}
    totp = body.get("totp")
    if totp is not None and not isinstance(totp, str):
        errors["totp"] = ["Texte attendu (code à 6 chiffres ou code de secours)."]
    if errors:
        raise ValidationError(errors)
    issued = accounts.issue_api_token(db(), settings(), body["email"], body["password"], totp)
    return jsonify(token=issued.token, expires_at=issued.expires_at.isoformat())
