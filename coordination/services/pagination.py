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


def paginate(session: Session, statement: Select[Any], page: int, per_page: int, *,
             total_with_page: bool = False) -> Page[Any]:
    """A page of `statement` and the total. `total_with_page`: count with a window over the
    page's query instead of a second query — for lists whose filter is the costly part and
    whose rows are a few thousand (what a coordinator's organisation may see: the visible
    ids are worked out once, not twice). Not for a whole table sorted by an index (the
    call journal): a window must read every row where LIMIT stops at fifty."""
    entity = statement.column_descriptions[0].get("entity")
    if entity is None or not hasattr(entity, "id"):
        total = _count(session, statement)
        items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
        return Page(items, total, page, per_page)
    # The page's ids first, then those rows with their eager loads: otherwise the
    # database may join every candidate row (a region's open actions, their situations and
    # persons) before keeping fifty.
    columns = (entity.id, func.count().over()) if total_with_page else (entity.id,)
    rows = session.execute(statement.with_only_columns(*columns)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    ids = [row[0] for row in rows]
    total = rows[0][1] if total_with_page and rows else _count(session, statement)
    found = {row.id: row for row in session.scalars(select(entity).where(entity.id.in_(ids)))}
    return Page([found[i] for i in ids if i in found], total, page, per_page)


def _count(session: Session, statement: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(
        statement.order_by(None).subquery())) or 0
