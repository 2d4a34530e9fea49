"""Folding for search: lower case, no accents, letters and digits only."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def tokens(query: str | None) -> list[str]:
    """Search words: folded, at least 2 characters, at most 8 of them."""
    return [word for word in fold(query).split() if len(word) >= 2][:8]
