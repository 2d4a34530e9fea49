"""Small-cell suppression for the observatory (DESIGN §7, issue 8). Plain Python.

What a manager may see are counts grouped by a few dimensions (type, quarter, territory…).
A small count can point at a person in a small territory, so:

1. Primary suppression. Every count from 1 to `threshold - 1` is published as
   `suppressed: true` instead of a number. The default threshold is 11 (counts 1 to 10
   masked, as DESIGN §7 and French health statistics do); a deployment may raise it or
   lower it (at least 1) in its configuration, never a request. Zero is published: it
   names nobody, and it is what an absent group means anyway.

2. Secondary suppression. A masked cell must not come back by subtraction: a total over
   any group of cells minus the published cells of that group gives the sum of the masked
   ones, so no group may hold exactly one masked cell. The table is seen as a grid over
   the values observed on each dimension (a missing combination is a cell of 0). A *line*
   is the set of cells sharing every dimension but one (a row or a column in two
   dimensions; the whole table in one). Whenever a line with two cells or more holds
   exactly one masked cell, the smallest other non-zero cell of that line is masked too
   (ties: the one whose other lines already hold a masked cell, then the first in table
   order); only when the line has no other non-zero cell is a zero masked, preferably one
   that closes another line. Each new mask is checked along all its own lines, until no
   line holds exactly one masked cell (this terminates: masks are only ever added).

   Why lines are enough: any total a reader can be shown is a sum over a slice of the grid
   (fix some dimensions, add up the others: a row total, a column total, a per-type total
   of a type × quarter × territory table, the grand total). A slice of two cells or more
   that contains a masked cell also contains the line through that cell along one of its
   free dimensions, so it holds at least two masked cells, and one subtraction leaves a sum
   of at least two unknowns. A slice of one cell is that cell: its total is masked with it.

3. The output never says why a cell is masked (primary or secondary): saying so would
   tell a reader that the count is between 1 and 10.

Limits, on purpose: this protects each published table and its totals against
subtraction; it is not an audit against solving systems of equations across several
tables (what τ-Argus's optimal methods do), nor against differencing two periods or two
territories that differ by a sliver (the observatory should offer whole months or
quarters and the territory levels it lists, not arbitrary boundaries).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coordination.domain.errors import ValidationError

DEFAULT_THRESHOLD = 11
GROUP_BY_DIMENSIONS = ("type", "cause", "service_category", "territory", "month", "quarter")
DEFAULT_GROUP_BY = ("quarter",)

Key = tuple[Any, ...]


def parse_group_by(value: str | Sequence[str] | None,
                   default: tuple[str, ...] = DEFAULT_GROUP_BY) -> tuple[str, ...]:
    """The dimensions of `group_by`, from "type,quarter" or ["type", "quarter"], in the
    order given; `default` when absent. Unknown, repeated, or month with quarter (one
    period at a time): ValidationError on `group_by`."""
    if value is None or value == "" or value == []:
        return default
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(v, str) for v in items):
        raise ValidationError({"group_by": ["Liste de regroupements attendue."]})
    names = [v.strip() for v in items]
    problems = []
    unknown = [n for n in names if n not in GROUP_BY_DIMENSIONS]
    if unknown:
        problems.append("Regroupement inconnu : " + ", ".join(f"« {n} »" for n in unknown)
                        + ". Possibles : " + ", ".join(GROUP_BY_DIMENSIONS) + ".")
    if len(set(names)) != len(names):
        problems.append("Chaque regroupement ne peut être demandé qu'une fois.")
    if "month" in names and "quarter" in names:
        problems.append("Regroupez par mois ou par trimestre, pas les deux.")
    if problems:
        raise ValidationError({"group_by": problems})
    return tuple(names)


def suppress_small_counts(rows: Iterable[Mapping[str, Any]], dimensions: Sequence[str],
                          threshold: int = DEFAULT_THRESHOLD) -> list[dict[str, Any]]:
    """Rows of grouped counts (each with every dimension and `count`, a combination at most
    once) → the rows to publish: each with `count`, or with `suppressed: True` and no
    count. Other keys of a row (labels) are kept. Rows come back in their order, followed
    by any zero cell masked to protect another (see the module docstring)."""
    dims = tuple(dimensions)
    cells: dict[Key, int] = {}
    extras: dict[Key, dict[str, Any]] = {}
    for row in rows:
        try:
            key = tuple(row[d] for d in dims)
        except KeyError as missing:
            raise ValueError(f"row without dimension {missing}: {dict(row)!r}") from None
        count = row.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"row with a count that is not a whole number: {dict(row)!r}")
        if key in cells:
            raise ValueError(f"the same group appears twice: {key!r}")
        cells[key] = count
        extras[key] = {k: v for k, v in row.items() if k not in ("count", "suppressed")}
    masked = masked_cells(cells, len(dims), threshold)
    published = []
    for key, count in cells.items():
        row = extras.get(key) or dict(zip(dims, key, strict=True))
        published.append({**row, "suppressed": True} if key in masked else {**row, "count": count})
    return published


def masked_cells(cells: dict[Key, int], dimensions: int, threshold: int) -> set[Key]:
    """The same on counts already keyed by their dimensions' values (no check: the caller
    built them): the keys to mask. Zero cells masked to protect another are added to
    `cells`, at the end."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError("threshold must be an integer of at least 1")
    masked = {key for key, count in cells.items() if 0 < count < threshold}
    if dimensions and masked:
        _protect(cells, dimensions, masked)
    return masked


def _protect(cells: dict[Key, int], n: int, masked: set[Key]) -> None:
    """Secondary suppression, in place: mask cells (adding zero cells to `cells` when
    needed) until no line of two cells or more holds exactly one masked cell."""
    values = [list(dict.fromkeys(key[i] for key in cells)) for i in range(n)]
    rank = [{v: r for r, v in enumerate(vs)} for vs in values]
    # Masked cells per line, kept up to date: lines can be long (a hundred communes).
    masked_in: list[defaultdict[Key, int]] = [defaultdict(int) for _ in range(n)]

    def line_of(key: Key, i: int) -> Key:
        return key[:i] + key[i + 1:]

    def mask(key: Key) -> None:
        masked.add(key)
        for j in range(n):
            masked_in[j][line_of(key, j)] += 1

    def closes(key: Key, i: int) -> int:
        """How many of the key's other lines already hold a masked cell."""
        return sum(1 for j in range(n) if j != i and masked_in[j].get(line_of(key, j)))

    def order(key: Key) -> tuple[int, ...]:
        return tuple(rank[j][key[j]] for j in range(n))

    for key in list(masked):
        mask(key)
    queue = deque((i, line_of(key, i)) for key in masked for i in range(n))
    while queue:
        i, line = queue.popleft()
        if len(values[i]) < 2 or masked_in[i][line] != 1:
            continue
        grid = [line[:i] + (v,) + line[i:] for v in values[i]]
        open_cells = [key for key in grid if key not in masked]
        non_zero = [key for key in open_cells if cells.get(key, 0) > 0]
        if non_zero:
            choice = min(non_zero, key=lambda k: (cells[k], -closes(k, i), order(k)))
        else:
            choice = min(open_cells, key=lambda k: (-closes(k, i), order(k)))
        cells.setdefault(choice, 0)
        mask(choice)
        queue.extend((j, line_of(choice, j)) for j in range(n))
