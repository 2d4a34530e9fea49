"""Folding and search words: lower case, no accents, letters and digits only; French
function words dropped, dotted acronyms joined, plurals reduced."""

from __future__ import annotations

import re
import unicodedata

# Words that carry no meaning in a service search ("csapa sur narbonne", "hôpital de jour").
STOP_WORDS = frozenset({
    "a", "au", "aux", "avec", "chez", "d", "dans", "de", "des", "du", "en", "et", "l", "la",
    "le", "les", "ou", "par", "pour", "sur", "un", "une",
})
# Common abbreviations in official names, searched under both forms.
ABBREVIATIONS = {"clinique": "cl", "sainte": "ste", "saint": "st", "centre": "ctre",
                 "hopital": "hop", "hj": "hopital"}


def fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    # "C.M.P." and "c.s.a.p.a" are the acronyms cmp and csapa
    plain = re.sub(r"\b(?:[a-z]\.){2,}[a-z]?\b\.?",
                   lambda m: m.group(0).replace(".", ""), plain)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def tokens(query: str | None) -> list[str]:
    """Search words: folded, without function words, plural 's' removed from long words
    (every word is matched as a prefix), at most 8."""
    words = []
    for word in fold(query).split():
        if word in STOP_WORDS or len(word) < 2:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words[:8]
