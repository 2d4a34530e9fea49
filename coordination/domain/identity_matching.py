"""Duplicate detection between person identities (plain Python, no database).

A DAC meets the same person through many callers, each spelling the name their way. The
matcher compares two identities trait by trait, in a way that survives accents, case,
hyphens, compound and inverted names, married vs. birth names, spelling variants, typos
and day/month swaps in birth dates; and keeps twins and namesakes apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

# Below these, two identities are not the same person whatever the other traits say.
NAME_THRESHOLD = 0.80
FIRST_NAME_THRESHOLD = 0.80
DATE_THRESHOLD = 0.80


@dataclass(frozen=True)
class IdentityTraits:
    birth_name: str
    first_names: str  # birth first names, the first one first
    birth_date: date
    sex: str | None = None
    used_name: str | None = None
    used_first_name: str | None = None


@dataclass(frozen=True)
class MatchScore:
    score: float  # 0..1, for ranking candidates
    name: float
    first_name: float
    birth_date: float
    sex_compatible: bool

    @property
    def is_likely_duplicate(self) -> bool:
        return (self.sex_compatible and self.name >= NAME_THRESHOLD
                and self.first_name >= FIRST_NAME_THRESHOLD
                and self.birth_date >= DATE_THRESHOLD)


def fold(text: str) -> str:
    """'Lefèvre-Dupont ' -> 'LEFEVRE DUPONT': no accents, upper case, letters and spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = letters.upper().replace("Œ", "OE").replace("Æ", "AE").replace("ß", "SS")
    return " ".join(re.sub(r"[^A-Z]+", " ", letters).split())


# French spelling to sound, applied in order on a folded word (a simplified phonex).
_PHONETIC_RULES = [
    (r"^MAC", "MAK"), (r"SCH", "CH"), (r"SH", "CH"), (r"PH", "F"), (r"TH", "T"),
    (r"GU([EIY])", r"G\1"), (r"GE([AOU])", r"J\1"), (r"G([EIY])", r"J\1"),
    (r"QU", "K"), (r"Q", "K"), (r"CK", "K"), (r"C([EIY])", r"S\1"), (r"CH", "#"), (r"C", "K"),
    (r"#", "CH"), (r"BV", "V"), (r"W", "V"), (r"Y", "I"), (r"Z", "S"), (r"X$", ""), (r"X", "KS"),
    (r"EAU", "O"), (r"AU", "O"), (r"OU", "U"), (r"AIN|EIN", "IN"), (r"AI", "E"),
    (r"EI", "E"), (r"ET$", "E"), (r"ER$", "E"), (r"EZ$", "E"), (r"EU", "E"),
    (r"[AE]N([^AEIOU]|$)", r"AN\1"), (r"[AE]M([BP])", r"AN\1"),
    (r"GN", "NI"), (r"H", ""), (r"(.)\1+", r"\1"), (r"([^AEIOU])E$", r"\1"), (r"[STDP]$", ""),
]
_COMPILED_RULES = [(re.compile(pattern), replacement) for pattern, replacement in _PHONETIC_RULES]


@lru_cache(maxsize=65536)
def phonetic_word(word: str) -> str:
    for pattern, replacement in _COMPILED_RULES:
        word = pattern.sub(replacement, word)
    return word


def phonetic_key(text: str) -> str:
    """One key per name, words in alphabetical order: inverted compounds share it."""
    return " ".join(sorted(phonetic_word(_canonical(w)) for w in fold(text).split()))


# Transliterations of the same first name that no spelling rule brings together.
_TRANSLITERATIONS = {
    "MOHAMMED": "MOHAMED", "MUHAMMAD": "MOHAMED", "MOHAMMAD": "MOHAMED",
    "MUHAMMED": "MOHAMED", "MOHAMAD": "MOHAMED", "MAHMED": "MOHAMED",
    "YUSUF": "YOUSSEF", "YOUCEF": "YOUSSEF", "YOUSEF": "YOUSSEF", "YOUSSOUF": "YOUSSEF",
    "FATMA": "FATIMA", "FATOUMATA": "FATIMA", "KHADIDJA": "KHADIJA", "AISHA": "AICHA",
    "AICHA": "AICHA", "ABDELKADER": "ABDELKADER", "ABDELKRIM": "ABDELKARIM",
    "HOCINE": "HUSSEIN", "HUSSEIN": "HUSSEIN", "HOUSSEIN": "HUSSEIN",
}


def _canonical(word: str) -> str:
    return _TRANSLITERATIONS.get(word, word)


def first_word(text: str) -> str:
    """The first first name's first word: 'Jean-Pierre Marie' -> 'JEAN'."""
    words = fold(text).split()
    return words[0] if words else ""


def first_name_key(text: str) -> str:
    """The phonetic key used to select candidates by first name."""
    return phonetic_word(_canonical(first_word(text)))


def _text_similarity(a: str, b: str) -> float:
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    joined = fuzz.ratio(fa.replace(" ", ""), fb.replace(" ", "")) / 100  # hyphens, spaces
    inverted = fuzz.token_sort_ratio(fa, fb) / 100  # "PIERRE JEAN" / "JEAN PIERRE"
    best = max(joined, inverted)
    if phonetic_key(fa) == phonetic_key(fb):
        best = max(best, 0.95)  # LEFEVRE / LEFEBVRE, PHILIPPE / FILIPE
    # One name inside the other ("MARTIN" / "MARTIN DUPONT"): likely, never certain.
    if set(fa.split()) <= set(fb.split()) or set(fb.split()) <= set(fa.split()):
        best = max(best, 0.88)
    return best


def name_similarity(a: IdentityTraits, b: IdentityTraits) -> float:
    """Best match across birth and used names: a married name on one record and the
    birth name on the other still meet."""
    names_a = [n for n in (a.birth_name, a.used_name) if n]
    names_b = [n for n in (b.birth_name, b.used_name) if n]
    return max(_text_similarity(x, y) for x in names_a for y in names_b)


_FEMININE_ENDINGS = ("E", "A", "NE", "LE", "TE", "INE", "TTE", "ETTE")


def _first_word(text: str) -> str:
    words = fold(text).split()
    return words[0] if words else ""


def _gendered_pair(a: str, b: str) -> bool:
    """MICHEL / MICHELE, JEAN / JEANNE, DANIEL / DANIELLE: a masculine first name and its
    feminine form, as twins of different sex often carry. Not a typo."""
    short, long_ = sorted((_first_word(a), _first_word(b)), key=len)
    if not short or short == long_:
        return False
    stems = {short, short.rstrip("S")}  # YVES / YVETTE, GEORGES / GEORGETTE
    return any(long_ == stem + end for stem in stems for end in _FEMININE_ENDINGS)


def first_name_similarity(a: IdentityTraits, b: IdentityTraits) -> float:
    def variants(t: IdentityTraits) -> list[str]:
        return [t.first_names, *([t.used_first_name] if t.used_first_name else [])]

    best = max(_text_similarity(x, y) for x in variants(a) for y in variants(b))
    # One list the beginning of the other: "JEAN PIERRE MARIE" / "JEAN PIERRE" / "JEAN".
    # Not "JEAN PIERRE" / "JEAN LUC": twins often share the first part of a compound.
    words_a, words_b = fold(a.first_names).split(), fold(b.first_names).split()
    shorter, longer = sorted((words_a, words_b), key=len)
    if shorter and longer[:len(shorter)] == shorter:
        best = max(best, 0.9)
    return best


def birth_date_similarity(a: date, b: date) -> float:
    if a == b:
        return 1.0
    if a.year == b.year and (a.month, a.day) == (1, 1) or b.year == a.year and (
            b.month, b.day) == (1, 1):
        return 0.8  # 01/01 of the year: the usual placeholder for an unknown birth date
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return 0.9  # 03/04 typed as 04/03
    # One digit mistyped or two adjacent digits swapped in DDMMYYYY.
    if OSA.distance(a.strftime("%d%m%Y"), b.strftime("%d%m%Y")) <= 1:
        return 0.8
    return 0.0


def _crossed(t: IdentityTraits) -> IdentityTraits:
    """The same identity with name and first names swapped, as when a caller gives
    "Jean Martin" for MARTIN Jean."""
    return IdentityTraits(birth_name=t.first_names, first_names=t.birth_name,
                          birth_date=t.birth_date, sex=t.sex)


def compare(a: IdentityTraits, b: IdentityTraits) -> MatchScore:
    name = name_similarity(a, b)
    first = first_name_similarity(a, b)
    if _gendered_pair(a.first_names, b.first_names) and not (a.sex and a.sex == b.sex):
        first = min(first, 0.6)  # only the same known sex makes "Denise" a typo of "Denis"
    crossed = _crossed(b)
    crossed_name, crossed_first = name_similarity(a, crossed), first_name_similarity(a, crossed)
    if min(crossed_name, crossed_first) > min(name, first):
        name, first = crossed_name, crossed_first
    born = birth_date_similarity(a.birth_date, b.birth_date)
    sex_ok = not (a.sex and b.sex and a.sex != b.sex and "I" not in (a.sex, b.sex))
    score = 0.4 * name + 0.35 * first + 0.25 * born
    if not sex_ok:
        score *= 0.7
    return MatchScore(round(score, 3), round(name, 3), round(first, 3), round(born, 3), sex_ok)


def birth_date_variants(value: date) -> set[date]:
    """The dates a typed birth date may really be, for a first selection by index:
    itself and its day/month swap. (Other typos are found through the name keys.)"""
    variants = {value}
    if value.day <= 12 and value.day != value.month:
        variants.add(value.replace(month=value.day, day=value.month))  # day <= 12: valid
    return variants
