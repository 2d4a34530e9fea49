"""Small-cell suppression of the observatory: counts from 1 to 10 are never published, and
no masked count comes back by subtracting published cells from a total (row, column,
per-dimension or grand total) — checked on hand-made tables and on random ones."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordination.domain.errors import ValidationError
from coordination.domain.suppression import (
    DEFAULT_THRESHOLD,
    GROUP_BY_DIMENSIONS,
    parse_group_by,
    suppress_small_counts,
)


def by_key(rows, dims):
    return {tuple(r[d] for d in dims): r for r in rows}


def test_the_default_masks_every_count_from_1_to_10():
    assert DEFAULT_THRESHOLD == 11
    rows = [{"type": f"t{n}", "count": n} for n in range(0, 13)]
    out = by_key(suppress_small_counts(rows, ["type"]), ["type"])
    for n in range(1, 11):
        assert out[(f"t{n}",)] == {"type": f"t{n}", "suppressed": True}
    assert out[("t0",)] == {"type": "t0", "count": 0}
    assert out[("t12",)]["count"] == 12


def test_a_table_without_small_counts_is_published_as_it_is():
    rows = [{"type": "a", "quarter": "2026-T1", "count": 40},
            {"type": "b", "quarter": "2026-T1", "count": 11}]
    assert suppress_small_counts(rows, ["type", "quarter"]) == rows


def test_one_masked_cell_masks_the_next_smallest_so_the_total_does_not_give_it_away():
    # Total 63 - 40 - 20 would be 3 without the second mask.
    rows = [{"type": "a", "count": 3}, {"type": "b", "count": 20}, {"type": "c", "count": 40}]
    out = suppress_small_counts(rows, ["type"])
    assert out == [{"type": "a", "suppressed": True}, {"type": "b", "suppressed": True},
                   {"type": "c", "count": 40}]


def test_two_masked_cells_in_a_line_need_nothing_more():
    rows = [{"type": "a", "count": 3}, {"type": "b", "count": 4}, {"type": "c", "count": 40}]
    assert suppress_small_counts(rows, ["type"])[2] == {"type": "c", "count": 40}


def test_in_two_dimensions_rows_and_columns_are_both_protected():
    counts = {("a", "T1"): 3, ("a", "T2"): 30, ("b", "T1"): 25, ("b", "T2"): 50,
              ("c", "T1"): 60, ("c", "T2"): 70}
    rows = [{"type": t, "quarter": q, "count": n} for (t, q), n in counts.items()]
    out = by_key(suppress_small_counts(rows, ["type", "quarter"]), ["type", "quarter"])
    masked = {k for k, r in out.items() if r.get("suppressed")}
    # a×T1 is small; row a then masks a×T2, column T1 masks b×T1 (25 < 60), and b×T2
    # closes the rectangle.
    assert masked == {("a", "T1"), ("a", "T2"), ("b", "T1"), ("b", "T2")}
    assert out[("c", "T1")]["count"] == 60


def test_a_zero_is_masked_when_nothing_else_can_hide_a_secondary_cell():
    rows = [{"t": "a", "q": 1, "count": 3}, {"t": "b", "q": 2, "count": 20},
            {"t": "c", "q": 1, "count": 40}]
    out = suppress_small_counts(rows, ["t", "q"])
    # c×1 is masked for a×1; row c holds only c×1 and an absent zero, whose total (40)
    # would give c×1 back, then a×1 from column 1. The zeros close the rectangle.
    assert {(r["t"], r["q"]) for r in out if r.get("suppressed")} == {
        ("a", 1), ("c", 1), ("a", 2), ("c", 2)}
    assert out[3:] == [{"t": "a", "q": 2, "suppressed": True},
                       {"t": "c", "q": 2, "suppressed": True}]


def test_a_published_non_zero_cell_is_masked_before_a_zero():
    # Masking the absent zero a×T3 for a×T1 would leave a line total equal to a×T1 alone
    # in the hidden sum; the next-smallest non-zero cell hides it among real counts.
    rows = [{"t": "a", "q": "T1", "count": 3}, {"t": "a", "q": "T2", "count": 30},
            {"t": "b", "q": "T1", "count": 40}, {"t": "b", "q": "T2", "count": 50},
            {"t": "b", "q": "T3", "count": 60}]
    out = by_key(suppress_small_counts(rows, ["t", "q"]), ["t", "q"])
    assert out[("a", "T2")] == {"t": "a", "q": "T2", "suppressed": True}
    assert ("a", "T3") not in out


def test_a_masked_row_never_says_why_and_keeps_its_labels():
    rows = [{"type": "a", "label": "Perte de contact", "count": 2},
            {"type": "b", "label": "Délai", "count": 50},
            {"type": "c", "label": "Rue", "count": 90}]
    out = suppress_small_counts(rows, ["type"])
    assert out[0] == {"type": "a", "label": "Perte de contact", "suppressed": True}
    assert out[1] == {"type": "b", "label": "Délai", "suppressed": True}


def test_the_threshold_is_configurable_and_1_masks_nothing():
    rows = [{"type": "a", "count": 1}, {"type": "b", "count": 7}, {"type": "c", "count": 9}]
    assert suppress_small_counts(rows, ["type"], threshold=1) == rows
    out = suppress_small_counts(rows, ["type"], threshold=5)
    assert [r.get("count") for r in out] == [None, None, 9]


@pytest.mark.parametrize("threshold", [0, -5, 2.5, True, "11"])
def test_a_threshold_below_1_or_not_whole_is_refused(threshold):
    with pytest.raises(ValueError):
        suppress_small_counts([{"type": "a", "count": 3}], ["type"], threshold=threshold)


@pytest.mark.parametrize("rows", [
    [{"type": "a", "count": -1}], [{"type": "a", "count": 2.0}], [{"count": 3}],
    [{"type": "a", "count": 3}, {"type": "a", "count": 4}],
])
def test_malformed_rows_are_a_programming_error(rows):
    with pytest.raises(ValueError):
        suppress_small_counts(rows, ["type"])


def test_a_single_total_without_dimension_is_masked_when_small():
    assert suppress_small_counts([{"count": 4}], []) == [{"suppressed": True}]
    assert suppress_small_counts([{"count": 40}], []) == [{"count": 40}]


def test_an_unknown_cause_is_a_group_like_any_other():
    rows = [{"cause": None, "count": 2}, {"cause": "transport", "count": 30},
            {"cause": "rights", "count": 12}]
    out = suppress_small_counts(rows, ["cause"])
    assert [r.get("suppressed", False) for r in out] == [True, False, True]


# --- the no-recovery property ----------------------------------------------------------------

DIMS = ("type", "quarter", "territory")


@st.composite
def tables(draw):
    """A random grouped table: 1 to 3 dimensions with 1 to 4 values each, counts mostly
    small (the hard case), some combinations absent (GROUP BY omits zeros)."""
    dims = DIMS[:draw(st.integers(1, 3))]
    sizes = [draw(st.integers(1, 4)) for _ in dims]
    count = st.one_of(st.integers(0, 12), st.integers(0, 60), st.none())
    rows = []
    for combo in itertools.product(*(range(s) for s in sizes)):
        n = draw(count)
        if n is not None:
            rows.append({**{d: f"{d}{v}" for d, v in zip(dims, combo, strict=True)},
                         "count": n})
    return dims, rows, draw(st.integers(1, 15))


def recoverable_cells(dims, rows, published):
    """What a reader recovers by one subtraction: for every slice of two cells or more
    (fix some dimensions, sum the others; the grand total included) whose true total is
    published, total minus the published cells. A slice with exactly one masked cell gives
    that cell away."""
    truth = {tuple(r[d] for d in dims): r["count"] for r in rows}
    shown = {tuple(r[d] for d in dims): r for r in published}
    values = [sorted({k[i] for k in shown}) for i in range(len(dims))]
    grid = list(itertools.product(*values))
    found = {}
    for fixed in itertools.product(*([None, *vs] for vs in values)):
        cells = [k for k in grid
                 if all(f is None or f == k[i] for i, f in enumerate(fixed))]
        if len(cells) < 2:
            continue
        hidden = [k for k in cells if shown.get(k, {}).get("suppressed")]
        if len(hidden) == 1:
            total = sum(truth.get(k, 0) for k in cells)
            known = sum(shown[k]["count"] for k in cells if k in shown and k not in hidden)
            found[hidden[0]] = total - known
    return found


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_masked_cell_can_be_recovered_from_any_total(table):
    dims, rows, threshold = table
    published = suppress_small_counts(rows, dims, threshold)
    assert recoverable_cells(dims, rows, published) == {}


@settings(max_examples=400, deadline=None)
@given(tables())
def test_every_small_count_is_masked_and_every_row_has_a_count_or_a_mask(table):
    dims, rows, threshold = table
    published = suppress_small_counts(rows, dims, threshold)
    for row in published:
        assert ("count" in row) != ("suppressed" in row)
        assert row.get("suppressed", True) is True
    out = by_key(published, dims)
    for row in rows:
        key = tuple(row[d] for d in dims)
        if 0 < row["count"] < threshold:
            assert out[key].get("suppressed") is True
        elif "count" in out[key]:
            assert out[key]["count"] == row["count"]
    # Rows added to protect others are only ever masked zeros of the grid.
    given_keys = {tuple(r[d] for d in dims) for r in rows}
    assert all(out[k].get("suppressed") for k in set(out) - given_keys)


def test_the_attack_used_by_the_property_does_find_an_unprotected_cell():
    # Primary suppression alone, as a naive observatory would publish it.
    rows = [{"type": "a", "count": 3}, {"type": "b", "count": 20}, {"type": "c", "count": 40}]
    naive = [{"type": "a", "suppressed": True}, rows[1], rows[2]]
    assert recoverable_cells(("type",), rows, naive) == {("a",): 3}


# --- group_by ---------------------------------------------------------------------------------

def test_group_by_reads_a_comma_list_or_a_list_and_keeps_the_order():
    assert parse_group_by("type,quarter") == ("type", "quarter")
    assert parse_group_by(["territory", "type"]) == ("territory", "type")
    assert parse_group_by(" cause , month ") == ("cause", "month")
    assert set(GROUP_BY_DIMENSIONS) == {"type", "cause", "service_category", "territory",
                                        "month", "quarter"}


@pytest.mark.parametrize("value", [None, "", []])
def test_group_by_defaults_to_the_quarter(value):
    assert parse_group_by(value) == ("quarter",)


@pytest.mark.parametrize("value", ["person", "type,name", "type,type", "month,quarter",
                                   "type,", [3], "TYPE"])
def test_an_unknown_or_repeated_group_by_is_refused_on_group_by(value):
    with pytest.raises(ValidationError) as refused:
        parse_group_by(value)
    assert list(refused.value.fields) == ["group_by"]
