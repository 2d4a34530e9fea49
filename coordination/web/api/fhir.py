"""GET /api/v1/situations/{id}/fhir: the situation as a FHIR R4 Bundle (docs/fhir.md)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_login import current_user

from coordination.domain.accounts import Role
from coordination.services import fhir
from coordination.web.access import allow
from coordination.web.api import bp
from coordination.web.context import db


@bp.get("/situations/<int:situation_id>/fhir")
@allow(Role.COORDINATOR, Role.PARTNER)
def situation_fhir(situation_id: int) -> Any:
    """Same readers as the situation page (coordinators and partners it is shared with)."""
    bundle = fhir.situation_bundle(db(), current_user, situation_id)
    return Response(json.dumps(bundle, ensure_ascii=False),
                    mimetype="application/fhir+json")
