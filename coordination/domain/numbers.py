"""Figures as a French reader writes them."""

from __future__ import annotations


def number_fr(value: float | None, decimals: int = 0) -> str:
    """2 038 and 3,6 (a narrow no-break space between thousands); "—" for no value."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
