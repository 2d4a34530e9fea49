"""The agenda builder and the coordinator's hand on the agenda, without a database: why
each situation is there, in which order, what the cap leaves for the next meeting, and
what a rebuild keeps of what the coordinator did."""

from datetime import date, datetime

import pytest

from coordination.domain.agenda import (
    AgendaCandidate,
    AgendaReason,
    ExistingItem,
    build_agenda,
    check_manual_addition,
    check_removal,
    move_down,
    move_to,
    move_up,
    overflow_notice,
)
from coordination.domain.errors import ValidationError

MEETING = date(2026, 3, 10)
ALICE, BOB = 501, 502  # referents


def rupture(situation_id, since=date(2026, 2, 20), referent=ALICE):
    return AgendaCandidate(situation_id, referent, "in_rupture", has_open_rupture=True,
                           rupture_since=since)


def overdue(situation_id, oldest=date(2026, 2, 1), count=2, referent=ALICE):
    return AgendaCandidate(situation_id, referent, "in_coordination", overdue_actions=count,
                           oldest_overdue_due_on=oldest)


def new(situation_id, triaged=datetime(2026, 3, 2, 10, 0), referent=BOB):
    return AgendaCandidate(situation_id, referent, "awaiting_meeting",
                           triaged_to_meeting_at=triaged)


def review(situation_id, on=date(2026, 3, 1), referent=BOB, **more):
    return AgendaCandidate(situation_id, referent, "in_coordination", next_review_on=on,
                           **more)


def ids(items):
    return [item.situation_id for item in items]


def test_priority_rupture_then_overdue_then_new_then_review():
    plan = build_agenda([review(1), new(2), overdue(3), rupture(4)], MEETING, cap=10)
    assert ids(plan.items) == [4, 3, 2, 1]
    assert [item.position for item in plan.items] == [1, 2, 3, 4]
    assert [item.reasons[0].code for item in plan.items] == [
        AgendaReason.OPEN_RUPTURE, AgendaReason.OVERDUE_ACTIONS, AgendaReason.NEW_TRIAGED,
        AgendaReason.REVIEW_DUE]
    assert plan.overflow == () and not plan.over_cap


def test_within_a_reason_the_longest_wait_comes_first_then_the_smaller_id():
    plan = build_agenda([
        overdue(10, oldest=date(2026, 3, 1)), overdue(11, oldest=date(2026, 1, 15)),
        new(12, triaged=datetime(2026, 3, 5, 9)), new(13, triaged=datetime(2026, 2, 20, 9)),
        review(14, on=date(2026, 3, 9)), review(15, on=date(2026, 2, 1)),
        review(16, on=date(2026, 2, 1)),
    ], MEETING, cap=10)
    assert ids(plan.items) == [11, 10, 13, 12, 15, 16, 14]


def test_each_item_says_why_in_french_with_its_score():
    plan = build_agenda([AgendaCandidate(7, ALICE, "in_rupture", has_open_rupture=True,
                                         rupture_since=date(2026, 2, 28), overdue_actions=1,
                                         oldest_overdue_due_on=date(2026, 3, 2))],
                        MEETING, cap=10)
    item = plan.items[0]
    assert item.reason_codes == ("open_rupture", "overdue_actions")
    assert [r.label for r in item.reasons] == ["Rupture de parcours ouverte",
                                               "Actions en retard"]
    assert item.reasons[0].detail == "Rupture ouverte depuis le 28/02/2026"
    assert item.reasons[1].detail == ("1 action(s) en retard, la plus ancienne attendue le "
                                      "02/03/2026")
    assert item.score == 5010
    assert item.explanation == ("Priorité 1 sur 5 (rupture de parcours ouverte), depuis 10 "
                                "jour(s) ; aussi : actions en retard")


def test_the_cap_sends_the_least_urgent_to_the_next_meeting_with_their_referent():
    candidates = [rupture(1), overdue(2), new(3, referent=BOB), review(4, referent=ALICE),
                  review(5, on=date(2026, 2, 1), referent=BOB)]
    plan = build_agenda(candidates, MEETING, cap=3)
    assert ids(plan.items) == [1, 2, 3]
    assert ids(plan.overflow) == [5, 4]  # the older review first, as it will be next time
    assert [item.referent_id for item in plan.overflow] == [BOB, ALICE]
    assert all(item.position is None for item in plan.overflow)
    assert "2 situation(s) au-delà du maximum de 3" in plan.notices[0]
    assert overflow_notice(5, MEETING) == (
        "La situation n° 5 n'a pas trouvé place à l'ordre du jour de la réunion du "
        "10/03/2026 (nombre maximal atteint) : elle sera proposée à la réunion suivante.")


def test_a_situation_discussed_since_its_triage_or_review_date_is_not_due_again():
    plan = build_agenda([
        AgendaCandidate(1, BOB, "in_coordination", triaged_to_meeting_at=datetime(2026, 2, 1, 9),
                        last_discussed_on=date(2026, 2, 10)),
        review(2, on=date(2026, 2, 1), last_discussed_on=date(2026, 2, 10)),
        review(3, on=date(2026, 3, 11)),  # due after this meeting
        review(4, on=date(2026, 2, 20), last_discussed_on=date(2026, 2, 10)),
    ], MEETING, cap=10)
    assert ids(plan.items) == [4]


def test_an_open_rupture_comes_back_when_nobody_knows_since_when():
    plan = build_agenda([AgendaCandidate(1, ALICE, "in_rupture", has_open_rupture=True,
                                         last_discussed_on=date(2026, 2, 24))], MEETING, 10)
    assert ids(plan.items) == [1]


def test_a_rupture_or_late_actions_discussed_since_wait_for_the_review_date():
    """The meeting that discussed them decided and set a review date: the same facts do
    not take a place on every agenda after it (the new ones get room)."""
    discussed = date(2026, 2, 24)
    plan = build_agenda([
        AgendaCandidate(1, ALICE, "in_rupture", has_open_rupture=True,
                        rupture_since=date(2026, 2, 20), last_discussed_on=discussed,
                        next_review_on=date(2026, 3, 24)),
        AgendaCandidate(2, ALICE, "in_coordination", overdue_actions=1,
                        oldest_overdue_due_on=date(2026, 2, 1), last_discussed_on=discussed),
        AgendaCandidate(3, ALICE, "in_rupture", has_open_rupture=True,
                        rupture_since=date(2026, 2, 20), last_discussed_on=discussed,
                        next_review_on=date(2026, 3, 3)),  # its review has come
        rupture(4, since=date(2026, 3, 1)),  # a new rupture since
    ], MEETING, cap=10)
    assert ids(plan.items) == [4, 3]


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_drafts_and_closed_situations_never_come_by_themselves(state):
    candidate = AgendaCandidate(1, ALICE, state, has_open_rupture=True, overdue_actions=3,
                                next_review_on=date(2026, 1, 1))
    assert build_agenda([candidate], MEETING, cap=10).items == ()


def test_a_manual_addition_goes_ahead_of_reviews_and_is_never_pushed_out():
    existing = [ExistingItem(9, manual=True, note="Demande du CMP : aggravation")]
    plan = build_agenda([review(1, on=date(2026, 1, 1)), new(2), overdue(3)], MEETING, cap=2,
                        existing=existing)
    assert ids(plan.items) == [3, 9]
    assert ids(plan.overflow) == [2, 1]
    manual = plan.items[1]
    assert manual.manual and manual.note == "Demande du CMP : aggravation"
    assert manual.reasons[0].code is AgendaReason.MANUAL
    assert manual.reasons[0].detail == "Demande du CMP : aggravation"
    assert manual.referent_id is None  # no facts given for it: still kept


def test_manual_additions_beyond_a_lowered_cap_all_stay_and_the_plan_says_so():
    existing = [ExistingItem(n, manual=True, note="à voir") for n in (1, 2, 3)]
    plan = build_agenda([rupture(4)], MEETING, cap=2, existing=existing)
    assert ids(plan.items) == [1, 2, 3]
    assert ids(plan.overflow) == [4]
    assert plan.over_cap
    assert plan.notices[0].startswith("3 situations pour un maximum de 2")


def test_a_removed_item_stays_removed_on_rebuild():
    existing = [ExistingItem(1, removed_at=datetime(2026, 3, 5, 10))]
    candidate = review(1, last_change_at=datetime(2026, 3, 1, 9))  # before the removal
    plan = build_agenda([candidate, new(2)], MEETING, cap=10, existing=existing)
    assert ids(plan.items) == [2]
    assert plan.removed == (1,)
    # Nothing known of any change: the removal stands too.
    plan = build_agenda([review(1), new(2)], MEETING, cap=10, existing=existing)
    assert plan.removed == (1,)
    # A change that gives no reason to come (its review was moved later) does not undo it.
    later = review(1, on=date(2026, 4, 1), last_change_at=datetime(2026, 3, 6, 9))
    assert build_agenda([later], MEETING, cap=10, existing=existing).removed == (1,)


def test_a_removed_item_comes_back_when_something_new_happens():
    existing = [ExistingItem(1, removed_at=datetime(2026, 3, 5, 10), pinned_position=1)]
    candidate = AgendaCandidate(1, ALICE, "in_rupture", next_review_on=date(2026, 3, 1),
                                has_open_rupture=True, rupture_since=date(2026, 3, 6),
                                last_change_at=datetime(2026, 3, 6, 16))
    plan = build_agenda([candidate, overdue(2)], MEETING, cap=10, existing=existing)
    assert ids(plan.items) == [1, 2]
    assert plan.items[0].restored and not plan.items[0].pinned
    assert plan.removed == ()
    assert "réinscrite" in plan.items[0].explanation


def test_a_pinned_item_keeps_its_place_and_the_others_follow_priority():
    existing = [ExistingItem(1, pinned_position=1)]
    plan = build_agenda([review(1), rupture(2), overdue(3)], MEETING, cap=10,
                        existing=existing)
    assert ids(plan.items) == [1, 2, 3]
    assert plan.items[0].pinned
    assert "placée en position 1 à la main" in plan.items[0].explanation


def test_a_pinned_item_is_not_pushed_out_by_the_cap_but_goes_when_it_is_no_longer_due():
    existing = [ExistingItem(1, pinned_position=2)]
    plan = build_agenda([review(1), rupture(2), overdue(3)], MEETING, cap=2, existing=existing)
    assert ids(plan.items) == [2, 1]
    assert ids(plan.overflow) == [3]
    # Its review was done elsewhere: the pin alone does not keep it.
    done = review(1, last_discussed_on=date(2026, 3, 3))
    assert ids(build_agenda([done, rupture(2)], MEETING, cap=2, existing=existing).items) \
        == [2]


def test_a_rebuild_with_the_same_facts_gives_the_same_agenda():
    candidates = [review(n, on=date(2026, 2, n)) for n in range(1, 20)] + [rupture(40)]
    first = build_agenda(candidates, MEETING, cap=8)
    again = build_agenda(list(reversed(candidates)), MEETING, cap=8,
                         existing=[ExistingItem(i.situation_id) for i in first.items])
    assert again == first


def test_a_situation_given_twice_is_a_programming_error():
    with pytest.raises(ValueError):
        build_agenda([review(1), review(1)], MEETING, cap=10)


# --- the coordinator's hand ----------------------------------------------------------------------

def test_moving_an_item_pins_it_and_the_rebuild_shows_the_same_order():
    candidates = [rupture(1), overdue(2), new(3), review(4)]
    plan = build_agenda(candidates, MEETING, cap=10)
    moved = move_to(ids(plan.items), 4, 1)
    assert moved.order == [4, 1, 2, 3] and moved.pins == {4: 1}
    moved = move_down(moved.order, 1, moved.pins)
    assert moved.order == [4, 2, 1, 3] and moved.pins == {1: 3, 4: 1}
    moved = move_up(moved.order, 3, moved.pins)
    assert moved.order == [4, 2, 3, 1] and moved.pins == {1: 4, 3: 3, 4: 1}
    existing = [ExistingItem(s, pinned_position=moved.pins.get(s)) for s in moved.order]
    assert ids(build_agenda(candidates, MEETING, cap=10, existing=existing).items) \
        == moved.order


def test_two_items_pinned_at_the_same_place_follow_the_current_order():
    existing = [ExistingItem(3, pinned_position=1), ExistingItem(2, pinned_position=1)]
    plan = build_agenda([rupture(1), overdue(2), new(3)], MEETING, 10, existing)
    assert ids(plan.items) == [3, 2, 1]


def test_a_pin_beyond_the_end_puts_the_item_last():
    existing = [ExistingItem(1, pinned_position=9)]
    plan = build_agenda([rupture(1), overdue(2)], MEETING, 10, existing)
    assert ids(plan.items) == [2, 1]


@pytest.mark.parametrize(("move", "message"), [
    (lambda: move_up([1, 2], 1), "Cette situation est déjà la première de l'ordre du jour."),
    (lambda: move_down([1, 2], 2), "Cette situation est déjà la dernière de l'ordre du jour."),
    (lambda: move_to([1, 2], 1, 3), "La position doit être entre 1 et 2."),
    (lambda: move_to([1, 2], 1, 0), "La position doit être entre 1 et 2."),
    (lambda: move_to([1, 2], 1, True), "La position doit être entre 1 et 2."),
])
def test_impossible_moves_are_refused_with_a_message(move, message):
    with pytest.raises(ValidationError) as refused:
        move()
    assert refused.value.fields == {"position": [message]}


def test_moving_or_removing_a_situation_not_on_the_agenda_is_refused():
    for attempt in (lambda: move_up([1, 2], 3), lambda: check_removal([1, 2], 3)):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.fields == {"situation_id": [
            "Cette situation n'est pas à l'ordre du jour."]}


def test_a_manual_addition_needs_a_note_and_room():
    assert check_manual_addition([1, 2], 3, cap=3, note="  Demande du CSAPA ") \
        == "Demande du CSAPA"
    with pytest.raises(ValidationError) as refused:
        check_manual_addition([1, 2, 3], 4, cap=3, note=" ")
    assert refused.value.fields == {
        "situation_id": ["L'ordre du jour est complet (3 situations sur 3) : retirez une "
                         "situation ou relevez le maximum de la série."],
        "note": ["Dites en quelques mots pourquoi cette situation est ajoutée."]}
    with pytest.raises(ValidationError) as refused:
        check_manual_addition([1, 2], 2, cap=10, note="x" * 501)
    assert refused.value.fields == {
        "situation_id": ["Cette situation est déjà à l'ordre du jour."],
        "note": ["500 caractères au plus."]}
