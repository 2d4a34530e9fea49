"""Object-level access rules: who may see or change which person (and, in later modules,
situations, actions, ruptures). Services call these; a refusal becomes NotFound, which
looks exactly like an absent object (DESIGN §7)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from coordination.domain.accounts import Role
from coordination.models import Person, User


def can_read_persons(user: User) -> bool:
    """Coordinators work with persons; admins manage identities (merges) without clinical
    content. Partners will see the persons of situations shared with their organisation
    once situations exist; managers never see a name."""
    return user.has_role(Role.COORDINATOR, Role.ADMIN)


def can_view_person(user: User, person: Person) -> bool:
    return can_read_persons(user)


def visible_persons_clause(user: User) -> ColumnElement[bool]:
    """The same rule as `can_view_person`, as a SQL condition for lists and searches."""
    return true() if can_read_persons(user) else false()


def can_edit_person(user: User) -> bool:
    return user.has_role(Role.COORDINATOR)


def can_merge_persons(user: User) -> bool:
    return user.has_role(Role.COORDINATOR, Role.ADMIN)


def can_undo_merge(user: User) -> bool:
    return user.has_role(Role.ADMIN)
