"""Object-level access rules: who may see or change which person (and, in later modules,
situations, actions, ruptures). Services call these; a refusal becomes NotFound, which
looks exactly like an absent object (DESIGN §7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true, union
from sqlalchemy.orm import Session, aliased

from coordination.domain.accounts import Role
from coordination.models import Person, Situation, User


def can_read_persons(user: User) -> bool:
    """Coordinators work with persons; admins manage identities (merges) without clinical
    content. Partners will see the persons of situations shared with their organisation
    once situations exist; managers never see a name."""
    return user.has_role(Role.COORDINATOR, Role.ADMIN)


def reads_care_around_person(user: User) -> bool:
    """Field-level rule on a person `user` may read: an admin manages identities (the
    traits, their status, merges), not the care around the person — contact details, GP,
    caregiver, legal protection, consents, calls are for coordinators."""
    return user.has_role(Role.COORDINATOR)


def can_view_person(session: Session, user: User, person: Person) -> bool:
    if not can_read_persons(user):
        return False
    return session.scalar(select(Person.id).where(
        Person.id == person.id, visible_persons_clause(user))) is not None


def visible_persons_clause(user: User) -> ColumnElement[bool]:
    """Persons `user` may see, as SQL. Admins: every identity (they merge duplicates, and
    read no clinical content). Coordinators: the persons their organisation recorded, and
    those of situations they see — never the persons another DAC follows (even a
    duplicate warning would tell that)."""
    if not can_read_persons(user):
        return false()
    if user.has_role(Role.ADMIN):
        return true()
    from coordination.models import Situation

    recorded_here = exists(select(User.id).where(
        User.id == Person.created_by_user_id, User.organisation_id == user.organisation_id))
    followed = exists(select(Situation.id).where(Situation.person_id == Person.id,
                                                 situation_visibility_clause(user)))
    return or_(recorded_here, followed)


def can_read_access_history(user: User, referent_ids: list[int | None],
                            recorded_by_organisation_id: int | None) -> bool:
    """A person's access history (their access request), for a person `user` already sees:
    the referent coordinator of one of their situations or, before any situation, a
    coordinator of the organisation that recorded them."""
    if not user.has_role(Role.COORDINATOR):
        return False
    if referent_ids:
        return user.id in referent_ids
    return recorded_by_organisation_id == user.organisation_id


def can_edit_person(user: User) -> bool:
    return user.has_role(Role.COORDINATOR)


def can_merge_persons(user: User) -> bool:
    return user.has_role(Role.COORDINATOR, Role.ADMIN)


def can_undo_merge(user: User) -> bool:
    return user.has_role(Role.ADMIN)


# --- situations --------------------------------------------------------------------------------

def can_work_on_situations(user: User) -> bool:
    return user.has_role(Role.COORDINATOR)


# The situations of the coordinator's rule, under a name of their own (built once: an
# alias per call cost more than the rest of the clause).
_CANDIDATE = aliased(Situation, name="visible_situations")


def situation_visibility_clause(user: User, among: Any = None) -> ColumnElement[bool]:
    """Situations `user` may see, as SQL. A coordinator: those of their organisation (its
    coordinator is the referent, or it holds an active share — the opening organisation
    always does), so that two DACs of one region never see each other's cases. A partner:
    those shared with their organisation, and only while the person's consent rules allow
    it (informed, no opposition; a non-health organisation also needs a consent naming
    it). Revoking a consent or a share hides the situation at the next request.

    `among`: the one situation the caller reads (its id, or an uncorrelated scalar
    subquery giving it): the same rule, checked for that situation only instead of
    listing every situation of the organisation (a region's DAC has thousands). The
    caller still selects that situation; the clause never lets more through."""
    from coordination.domain.consent import ConsentKind
    from coordination.models import ConsentRecord, SituationShare

    shared = exists(select(SituationShare.id).where(
        SituationShare.situation_id == Situation.id,
        SituationShare.organisation_id == user.organisation_id,
        SituationShare.revoked_at.is_(None)))
    if user.has_role(Role.COORDINATOR):
        return Situation.id.in_(visible_situation_ids(user, among))
    if not user.has_role(Role.PARTNER):
        return false()

    def active(kind: ConsentKind, *extra: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(select(ConsentRecord.id).where(
            ConsentRecord.person_id == Situation.person_id, ConsentRecord.kind == kind,
            ConsentRecord.revoked_on.is_(None), *extra))

    rule = and_(shared, active(ConsentKind.INFORMATION), ~active(ConsentKind.OPPOSITION))
    if not user.organisation.is_health_professional_team:
        rule = and_(rule, active(ConsentKind.CONSENT,
                                 ConsentRecord.organisation_id == user.organisation_id))
    return rule


def visible_situation_ids(user: User, among: Any = None) -> Any:
    """The ids of the situations `user` may see, as a subquery, for the tables that hang
    off a situation (actions: `Action.situation_id.in_(...)`): the same rule as
    `situation_visibility_clause`, without reading the situations a second time."""
    from coordination.models import SituationShare

    if user.has_role(Role.COORDINATOR):
        # One list of ids (a UNION of two indexed lookups), not EXISTS per row nor an OR:
        # with a region's 100,000 situations both made every list and count visit them
        # all (PostgreSQL cannot estimate an OR of subqueries).
        referred = select(_CANDIDATE.id).where(_CANDIDATE.referent_user_id.in_(
            select(User.id).where(User.organisation_id == user.organisation_id)))
        held = select(SituationShare.situation_id).where(
            SituationShare.organisation_id == user.organisation_id,
            SituationShare.revoked_at.is_(None))
        if among is not None:
            referred = referred.where(_CANDIDATE.id == among)
            held = held.where(SituationShare.situation_id == among)
        return union(referred, held)
    return select(Situation.id).where(situation_visibility_clause(user, among))


def sees_health_details(session: Session, user: User, situation: Situation) -> bool:
    """Field-level rule on a situation `user` already sees: its health details (the intake
    fields marked `health_detail`) are for health professional teams, and for another
    organisation only under the person's active consent naming it that covers them."""
    from coordination.domain.consent import ConsentKind, may_see_health_details
    from coordination.models import ConsentRecord

    health_team = user.organisation.is_health_professional_team
    covered = not health_team and session.scalar(
        select(ConsentRecord.id).where(
            ConsentRecord.person_id == situation.person_id,
            ConsentRecord.kind == ConsentKind.CONSENT,
            ConsentRecord.organisation_id == user.organisation_id,
            ConsentRecord.covers_health_details.is_(True),
            ConsentRecord.revoked_on.is_(None)).limit(1)) is not None
    return may_see_health_details(organisation_is_health_team=health_team,
                                  consent_covers_health_details=covered)


def sees_rupture_details(user: User, rupture: Any, sees_health_details: bool) -> bool:
    """A rupture's nature tells a diagnosis as surely as the intake does ("refused: too
    psychiatric", "opioid substitution interrupted", the CSAPA concerned): its type, cause,
    consequence, transition point, the service or organisation concerned and its free
    texts are for the readers who see the situation's health details
    (`sees_health_details`), and for the organisation that declared it. Every other reader
    of the situation sees that a rupture exists, its dates and whether it is open."""
    declared_by = rupture.declared_by
    return sees_health_details or (declared_by is not None
                                   and declared_by.organisation_id == user.organisation_id)


def organisation_situations_clause(organisation_id: int) -> ColumnElement[bool]:
    """The situations an organisation is responsible for (its coordinator is the
    referent), for its activity figures: in a regional deployment each DAC counts its
    own work, not the shares it received."""
    return Situation.referent_user_id.in_(
        select(User.id).where(User.organisation_id == organisation_id))


def can_declare_ruptures(user: User) -> bool:
    """Coordinators and partners declare and resolve ruptures on the situations they see
    (`situation_visibility_clause`); managers only read the observatory's counts."""
    return user.has_role(Role.COORDINATOR, Role.PARTNER)


# --- calls, configuration, activity --------------------------------------------------------

def can_take_calls(user: User) -> bool:
    """The single number is answered by the DAC's coordinators; a call belongs to the
    organisation that answered it."""
    return user.has_role(Role.COORDINATOR)


def can_configure(user: User) -> bool:
    """Reference lists (call motives, logigramme versions) are the administrators'."""
    return user.has_role(Role.ADMIN)


def can_read_activity(user: User) -> bool:
    """Managers read counts of their organisation's activity, never names."""
    return user.has_role(Role.MANAGER, Role.COORDINATOR)
