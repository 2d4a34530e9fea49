"""One way to cut a query into pages (API lists and HTML tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(session: Session, statement: Select[Any], page: int, per_page: int) -> Page[Any]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    entity = statement.column_descriptions[0].get("entity")
    if entity is None or not hasattr(entity, "id"):
        items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
        return Page(items, total or 0, page, per_page)
    # The page's ids first, then those rows with their eager loads: otherwise the
    # database may join every candidate row (a region's open actions, their situations and
    # persons) before keeping fifty.
    ids = list(session.scalars(statement.with_only_columns(entity.id)
                               .limit(per_page).offset((page - 1) * per_page)))
    found = {row.id: row for row in session.scalars(select(entity).where(entity.id.in_(ids)))}
    return Page([found[i] for i in ids if i in found], total or 0, page, per_page)
