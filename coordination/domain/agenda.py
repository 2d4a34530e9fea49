"""The agenda of a partner meeting, built from facts about situations (DESIGN §2 step 4).

Why a situation is on the agenda, in priority order (the first reason it has decides):

1. an open rupture: the person's pathway is broken now;
2. overdue actions: what was decided is not happening (oldest due date first);
3. a new situation the triage sent to the meeting (oldest triage first);
4. a manual addition by the coordinator (with its note);
5. its review date has come (oldest date first).

Within a reason, the longest wait comes first; ties go by situation id, so a rebuild with
the same facts gives the same agenda. Once a meeting has discussed a situation, what it
already knew no longer counts: a triage, a review date, a rupture or overdue actions
dated before that discussion (the meeting decided and set the next review date, which
brings the situation back). A rupture or an action falling overdue after it does count.
Otherwise the same open ruptures would take every place at every meeting and a newly
triaged situation would never be heard.

The cap applies to what the builder chooses. What the coordinator chose stays: manual
additions, and items she moved by hand (pinned at their position) while they still have
a reason. If those alone exceed the cap, they all stay and the plan says so
(`AgendaPlan.over_cap`). Situations beyond the cap go to `overflow`: the service tells
their referent, and the next meeting's build takes them (still due, and waiting longer).

A situation removed by hand stays out of this meeting's agenda unless something new
happened to it after the removal (`AgendaCandidate.last_change_at`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from coordination.domain.errors import ValidationError

# A situation being drafted has not been triaged; a closed one has nothing left to decide.
# Neither comes on an agenda by itself (a coordinator may still add one by hand).
NOT_ON_AGENDA_STATES = frozenset({"draft", "closed"})
MAX_NOTE_LENGTH = 500
_MAX_DAYS = 999  # the wait counts within a reason, never enough to pass the next reason


class AgendaReason(StrEnum):
    """Why a situation is on the agenda; the order of the members is the priority order."""

    OPEN_RUPTURE = "open_rupture"
    OVERDUE_ACTIONS = "overdue_actions"
    NEW_TRIAGED = "new_triaged"
    MANUAL = "manual"
    REVIEW_DUE = "review_due"

    @property
    def label(self) -> str:
        return {
            "open_rupture": "Rupture de parcours ouverte",
            "overdue_actions": "Actions en retard",
            "new_triaged": "Nouvelle situation orientée vers la réunion",
            "manual": "Ajout par la coordination",
            "review_due": "Date de revue atteinte",
        }[self.value]

    @property
    def rank(self) -> int:
        return list(AgendaReason).index(self) + 1


@dataclass(frozen=True)
class AgendaCandidate:
    """What the service knows of one situation when it builds an agenda."""

    situation_id: int
    referent_id: int | None
    state: str
    triaged_to_meeting_at: datetime | None = None  # triage outcome "partner meeting"
    next_review_on: date | None = None
    has_open_rupture: bool = False
    rupture_since: date | None = None  # occurred_on of the oldest open rupture
    overdue_actions: int = 0
    oldest_overdue_due_on: date | None = None
    last_discussed_on: date | None = None  # the last earlier meeting with a decision on it
    # When something last happened that can put it on an agenda (triage, rupture
    # confirmed, an action falling overdue, a review date set), on the same clock as
    # `ExistingItem.removed_at`: a removal made before it is overtaken.
    last_change_at: datetime | None = None


@dataclass(frozen=True)
class ExistingItem:
    """An item already on this meeting's agenda, as the coordinator left it."""

    situation_id: int
    manual: bool = False
    note: str | None = None
    added_at: datetime | None = None
    pinned_position: int | None = None  # 1-based, set when moved by hand
    removed_at: datetime | None = None


@dataclass(frozen=True)
class ItemReason:
    code: AgendaReason
    detail: str

    @property
    def label(self) -> str:
        return self.code.label


@dataclass(frozen=True)
class PlannedItem:
    situation_id: int
    referent_id: int | None
    reasons: tuple[ItemReason, ...]  # in priority order; the first decides the rank
    score: int
    explanation: str
    position: int | None = None  # 1-based on the agenda; None in the overflow
    manual: bool = False
    note: str | None = None
    pinned: bool = False
    restored: bool = False  # removed earlier, back because something new happened

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code.value for reason in self.reasons)


@dataclass(frozen=True)
class AgendaPlan:
    """What the agenda should be. An existing item found in none of `items`, `overflow`
    and `removed` is no longer due (rupture resolved, review done elsewhere): drop it."""

    meeting_on: date
    cap: int
    items: tuple[PlannedItem, ...]
    overflow: tuple[PlannedItem, ...] = ()
    removed: tuple[int, ...] = ()  # situation ids that stay removed
    notices: tuple[str, ...] = ()  # French, for the coordinator building the agenda

    @property
    def over_cap(self) -> bool:
        return len(self.items) > self.cap


def build_agenda(candidates: Sequence[AgendaCandidate], meeting_on: date, cap: int,
                 existing: Sequence[ExistingItem] = ()) -> AgendaPlan:
    """The agenda for the meeting of `meeting_on`. `existing` is the agenda as it stands,
    in its current order (an empty sequence for a first build)."""
    if cap < 1:
        raise ValueError("cap must be at least 1")
    facts = {c.situation_id: c for c in candidates}
    kept = {e.situation_id: e for e in existing}
    if len(facts) != len(candidates) or len(kept) != len(existing):
        raise ValueError("a situation appears twice among the candidates or the items")

    removed: list[int] = []
    planned: list[tuple[PlannedItem, ExistingItem | None]] = []
    for situation_id in sorted(facts.keys() | kept.keys()):
        candidate, item = facts.get(situation_id), kept.get(situation_id)
        reasons = _reasons(candidate, meeting_on)
        restored = False
        if item is not None and item.removed_at is not None:
            changed = candidate.last_change_at if candidate else None
            if not reasons or changed is None or changed <= item.removed_at:
                removed.append(situation_id)
                continue
            restored = True
        if item is not None and item.manual and item.removed_at is None:
            reasons.append(_manual_reason(item, meeting_on))
        if not reasons:
            continue  # no longer due (rupture resolved, actions done…): a pin alone is no reason
        reasons.sort(key=lambda r: r[0].code.rank)
        pin = item if item and item.pinned_position and not restored else None
        planned.append((_planned(situation_id, candidate, reasons, item, pin, restored), pin))

    by_priority = sorted(planned, key=lambda p: (-p[0].score, p[0].situation_id))
    chosen = [p for p in by_priority if p[0].manual or p[0].pinned]
    automatic = [p for p in by_priority if not (p[0].manual or p[0].pinned)]
    room = max(cap - len(chosen), 0)
    chosen += automatic[:room]
    overflow = [p[0] for p in automatic[room:]]

    ordered = _place_pins(sorted(chosen, key=lambda p: (-p[0].score, p[0].situation_id)),
                          [e.situation_id for e in existing])
    items = tuple(replace(item, position=index + 1) for index, item in enumerate(ordered))
    notices = []
    if len(items) > cap:
        notices.append(f"{len(items)} situations pour un maximum de {cap} : les ajouts et "
                       "placements faits à la main sont tous gardés.")
    if overflow:
        notices.append(f"{len(overflow)} situation(s) au-delà du maximum de {cap}, "
                       "reportée(s) à la réunion suivante.")
    return AgendaPlan(meeting_on, cap, items, tuple(overflow), tuple(removed), tuple(notices))


def _days(since: date | None, meeting_on: date) -> int:
    return 0 if since is None else max(0, min((meeting_on - since).days, _MAX_DAYS))


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _reasons(candidate: AgendaCandidate | None,
             meeting_on: date) -> list[tuple[ItemReason, int]]:
    """Each automatic reason with its wait in days."""
    if candidate is None or candidate.state in NOT_ON_AGENDA_STATES:
        return []
    found: list[tuple[ItemReason, int]] = []
    discussed = candidate.last_discussed_on

    def new_since_discussed(day: date | None) -> bool:
        # discussed at a meeting since: that meeting decided (and set a review date); the
        # same fact does not take a place on every agenda after it
        return discussed is None or day is None or discussed < day

    if candidate.has_open_rupture and new_since_discussed(candidate.rupture_since):
        since = candidate.rupture_since
        detail = f"Rupture ouverte depuis le {_fr(since)}" if since else "Rupture ouverte"
        found.append((ItemReason(AgendaReason.OPEN_RUPTURE, detail), _days(since, meeting_on)))
    if candidate.overdue_actions > 0 and new_since_discussed(candidate.oldest_overdue_due_on):
        oldest = candidate.oldest_overdue_due_on
        detail = f"{candidate.overdue_actions} action(s) en retard"
        if oldest:
            detail += f", la plus ancienne attendue le {_fr(oldest)}"
        found.append((ItemReason(AgendaReason.OVERDUE_ACTIONS, detail),
                      _days(oldest, meeting_on)))
    triaged = candidate.triaged_to_meeting_at
    if triaged and (discussed is None or discussed < triaged.date()):
        found.append((ItemReason(AgendaReason.NEW_TRIAGED,
                                 f"Orientée vers la réunion le {_fr(triaged.date())}"),
                      _days(triaged.date(), meeting_on)))
    review = candidate.next_review_on
    if review and review <= meeting_on and (discussed is None or discussed < review):
        found.append((ItemReason(AgendaReason.REVIEW_DUE, f"Revue prévue le {_fr(review)}"),
                      _days(review, meeting_on)))
    return found


def _manual_reason(item: ExistingItem, meeting_on: date) -> tuple[ItemReason, int]:
    added = item.added_at.date() if item.added_at else None
    detail = (item.note or "").strip() or "Ajoutée à la main"
    return ItemReason(AgendaReason.MANUAL, detail), _days(added, meeting_on)


def _planned(situation_id: int, candidate: AgendaCandidate | None,
             reasons: list[tuple[ItemReason, int]], item: ExistingItem | None,
             pin: ExistingItem | None, restored: bool) -> PlannedItem:
    first, days = reasons[0]
    # Higher is more urgent: a whole band per reason, the wait inside it.
    score = (len(AgendaReason) + 1 - first.code.rank) * 1000 + days
    explanation = (f"Priorité {first.code.rank} sur {len(AgendaReason)} "
                   f"({first.label.lower()}), depuis {days} jour(s)")
    if len(reasons) > 1:
        explanation += " ; aussi : " + ", ".join(r.label.lower() for r, _ in reasons[1:])
    if pin is not None:
        explanation += f" ; placée en position {pin.pinned_position} à la main"
    if restored:
        explanation += " ; retirée puis réinscrite : fait nouveau depuis le retrait"
    manual = any(r.code is AgendaReason.MANUAL for r, _ in reasons)
    return PlannedItem(situation_id, candidate.referent_id if candidate else None,
                       tuple(r for r, _ in reasons), score, explanation, manual=manual,
                       note=item.note if manual and item else None, pinned=pin is not None,
                       restored=restored)


def _place_pins(by_priority: list[tuple[PlannedItem, ExistingItem | None]],
                current_order: list[int]) -> list[PlannedItem]:
    """Items in priority order, then each pinned item put back at its position (ascending,
    ties by the current order, never two at the same place)."""
    result = [item for item, pin in by_priority if pin is None]
    shown = {situation_id: index for index, situation_id in enumerate(current_order)}
    pins = sorted(((pin.pinned_position or 1, shown.get(item.situation_id, 0), item)
                   for item, pin in by_priority if pin is not None),
                  key=lambda p: (p[0], p[1], p[2].situation_id))
    last = 0
    for position, _, item in pins:
        position = min(max(position, last + 1), len(result) + 1)
        result.insert(position - 1, item)
        last = position
    return result


# --- the coordinator's hand: reorder, add, remove -------------------------------------------------

@dataclass(frozen=True)
class Reorder:
    order: list[int]  # situation ids, first to last
    pins: dict[int, int]  # situation id -> 1-based position, to store as pinned_position


def move_to(order: Sequence[int], situation_id: int, position: int,
            pins: Mapping[int, int] | None = None) -> Reorder:
    """Move one item to `position` (1-based). The moved item and every item already pinned
    are pinned where they now stand, so that a rebuild shows the same order."""
    _on_agenda(order, situation_id)
    if isinstance(position, bool) or not isinstance(position, int) \
            or not 1 <= position <= len(order):
        raise ValidationError({"position": f"La position doit être entre 1 et {len(order)}."})
    new_order = [s for s in order if s != situation_id]
    new_order.insert(position - 1, situation_id)
    pinned = {*(pins or {}), situation_id} & set(new_order)
    return Reorder(new_order, {s: new_order.index(s) + 1 for s in sorted(pinned)})


def move_up(order: Sequence[int], situation_id: int,
            pins: Mapping[int, int] | None = None) -> Reorder:
    index = _on_agenda(order, situation_id)
    if index == 0:
        raise ValidationError({"position": "Cette situation est déjà la première de l'ordre "
                                           "du jour."})
    return move_to(order, situation_id, index, pins)


def move_down(order: Sequence[int], situation_id: int,
              pins: Mapping[int, int] | None = None) -> Reorder:
    index = _on_agenda(order, situation_id)
    if index == len(order) - 1:
        raise ValidationError({"position": "Cette situation est déjà la dernière de l'ordre "
                                           "du jour."})
    return move_to(order, situation_id, index + 2, pins)


def check_manual_addition(order: Sequence[int], situation_id: int, cap: int,
                          note: str | None) -> str:
    """Refuse an addition that would be lost or make no sense; return the cleaned note.
    A full agenda refuses rather than pushing someone else out silently."""
    errors: dict[str, str] = {}
    if situation_id in order:
        errors["situation_id"] = "Cette situation est déjà à l'ordre du jour."
    elif len(order) >= cap:
        errors["situation_id"] = (f"L'ordre du jour est complet ({len(order)} situations sur "
                                  f"{cap}) : retirez une situation ou relevez le maximum de "
                                  "la série.")
    cleaned = (note or "").strip()
    if not cleaned:
        errors["note"] = "Dites en quelques mots pourquoi cette situation est ajoutée."
    elif len(cleaned) > MAX_NOTE_LENGTH:
        errors["note"] = f"{MAX_NOTE_LENGTH} caractères au plus."
    if errors:
        raise ValidationError(errors, "La situation n'a pas été ajoutée à l'ordre du jour.")
    return cleaned


def check_removal(order: Sequence[int], situation_id: int) -> None:
    _on_agenda(order, situation_id)


def _on_agenda(order: Sequence[int], situation_id: int) -> int:
    if situation_id not in order:
        raise ValidationError({"situation_id": "Cette situation n'est pas à l'ordre du jour."})
    return list(order).index(situation_id)


def overflow_notice(situation_id: int, meeting_on: date) -> str:
    """The message to the referent of a situation left out by the cap."""
    return (f"La situation n° {situation_id} n'a pas trouvé place à l'ordre du jour de la "
            f"réunion du {_fr(meeting_on)} (nombre maximal atteint) : elle sera proposée à "
            "la réunion suivante.")
