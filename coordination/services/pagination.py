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
    entity = statement.column_descriptions[0].get("entity")
    if entity is None or not hasattr(entity, "id"):
        total = _count(session, statement)
        items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
        return Page(items, total, page, per_page)
    # The page's ids first, then those rows with their eager loads: otherwise the
    # database may join every candidate row (a region's open actions, their situations and
    # persons) before keeping fifty. The total comes with the ids (a window count): the
    # rows a coordinator may see are worked out once, not once more to count them.
    rows = session.execute(statement.with_only_columns(entity.id, func.count().over())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    ids = [row[0] for row in rows]
    total = rows[0][1] if rows else _count(session, statement)  # past the last page
    found = {row.id: row for row in session.scalars(select(entity).where(entity.id.in_(ids)))}
    return Page([found[i] for i in ids if i in found], total, page, per_page)


def _count(session: Session, statement: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(
        statement.order_by(None).subquery())) or 0
