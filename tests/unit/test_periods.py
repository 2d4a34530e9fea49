"""Periods: whole months for the observatory."""

from datetime import date

import pytest

from coordination.domain.periods import whole_months


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 11, 2), date(2026, 11, 23), (date(2026, 11, 1), date(2026, 11, 30))),
    (date(2024, 1, 31), date(2024, 2, 1), (date(2024, 1, 1), date(2024, 2, 29))),
    (date(2025, 12, 1), date(2025, 12, 31), (date(2025, 12, 1), date(2025, 12, 31))),
])
def test_a_period_widens_to_whole_months(start, end, expected):
    assert whole_months(start, end) == expected
