"""GET /api/v1/organisations: the partnership's organisations."""

from __future__ import annotations

from typing import Any

from coordination.models import Organisation
from coordination.services import accounts
from coordination.web.access import allow
from coordination.web.api import bp, page_args, paginated
from coordination.web.context import db


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "name": organisation.name,
        "type": organisation.type.value,
        "type_label": organisation.type.label,
        "is_health_professional_team": organisation.is_health_professional_team,
        "finess": organisation.finess,
        "agreement_signed_on": _iso(organisation.agreement_signed_on),
        "agreement_ends_on": _iso(organisation.agreement_ends_on),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@bp.get("/organisations")
@allow()
def list_organisations() -> Any:
    page, per_page = page_args()
    result = accounts.page_of_organisations(db(), page, per_page)
    return paginated([organisation_json(o) for o in result.items], page, per_page, result.total)
