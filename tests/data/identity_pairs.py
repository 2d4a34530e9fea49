"""A labelled evaluation set for duplicate detection: pairs of realistic French identities,
each marked as the same person (with the variations callers really produce) or not
(twins, namesakes, parents and children, strangers born the same day).

Deterministic: the same seed always builds the same pairs, so figures are comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from coordination.domain.identity_matching import IdentityTraits

SURNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
    "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Roche", "Noël",
    "Meyer", "Meunier", "Pérez", "Marchand", "Dufour", "Blanchard", "Barbier", "Brun",
    "Benali", "Haddad", "Mansouri", "Da Silva", "Ferreira", "Le Goff", "Saint-Martin",
    "Boucher-Lefèvre", "Puig", "Fabre", "Vidal", "Sabatier", "Bousquet", "Azéma", "Cazals",
    "Rouquette", "Maurel", "Pujol", "Marty", "Escande", "Bénézech", "Castañer",
]
MALE = [
    "Jean-Pierre", "Jean", "Pierre", "Michel", "Philippe", "Alain", "Patrick", "Nicolas",
    "Christophe", "Christian", "Daniel", "Frédéric", "Laurent", "Stéphane", "David",
    "Julien", "Mohamed", "Karim", "Thierry", "Éric", "Sébastien", "Mathieu", "Olivier",
    "Joseph", "François", "Louis", "Lucas", "Hugo", "Théo", "Yannick", "Rémi", "Benoît",
    "Jérôme", "Jean-Luc", "Paul", "Gérard",
]
FEMALE = [
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Christine",
    "Monique", "Sandrine", "Valérie", "Stéphanie", "Céline", "Sophie", "Julie", "Aurélie",
    "Émilie", "Camille", "Léa", "Chloé", "Manon", "Fatima", "Nadia", "Anne-Marie",
    "Marie-Claire", "Hélène", "Josiane", "Ghislaine", "Maëlle", "Océane", "Jeanne",
]
SECOND_NAMES = ["Marie", "Louis", "Joseph", "Paul", "Anne", "André", "Claude", "Élise"]
SPELLING_VARIANTS = {
    "Lefèvre": "Lefebvre", "Lefebvre": "Lefèvre", "Mohamed": "Mohammed", "Philippe": "Philipe",
    "Catherine": "Katherine", "Christophe": "Cristophe", "Mathieu": "Matthieu",
    "Stéphane": "Stefane", "Frédéric": "Frederick", "Sylvie": "Silvie", "Thierry": "Thiery",
    "Rémi": "Rémy", "Fatima": "Fatma", "Meyer": "Meier", "Gauthier": "Gautier",
    "Henry": "Henri", "Yannick": "Yanick", "Maëlle": "Maelle", "Muller": "Müller",
    "Nguyen": "N'Guyen", "Karim": "Karime", "Benali": "Ben Ali", "Haddad": "Hadad",
    "Mansouri": "Mansoury", "Sandrine": "Sandrinne", "Jérôme": "Jerome", "Théo": "Téo",
}


@dataclass(frozen=True)
class LabelledPair:
    a: IdentityTraits
    b: IdentityTraits
    same_person: bool
    kind: str


def _person(rng: random.Random) -> IdentityTraits:
    sex = rng.choice("FM")
    first = rng.choice(FEMALE if sex == "F" else MALE)
    if rng.random() < 0.35:
        first = f"{first} {rng.choice(SECOND_NAMES)}"
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    return IdentityTraits(birth_name=rng.choice(SURNAMES), first_names=first, birth_date=born,
                          sex=sex)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    near = {"a": "e", "e": "a", "i": "y", "o": "au", "n": "m", "m": "n", "t": "d", "s": "z",
            "r": "rr", "l": "ll", "c": "k", "u": "ou"}
    return word[:i] + near.get(word[i], word[i]) + word[i + 1:]


def _vary(rng: random.Random, p: IdentityTraits, kind: str) -> IdentityTraits:
    if kind == "case_accents":
        return replace(p, birth_name=_strip(p.birth_name).upper(),
                       first_names=_strip(p.first_names).lower())
    if kind == "hyphens":
        return replace(p, first_names=p.first_names.replace("-", " ").replace(" ", "-", 1)
                       if "-" not in p.first_names else p.first_names.replace("-", " "),
                       birth_name=p.birth_name.replace("-", " "))
    if kind == "inverted":  # the first name typed where the name goes, and back
        return replace(p, birth_name=p.first_names.split()[0], first_names=p.birth_name)
    if kind == "married":  # the other record only knows her married name
        return replace(p, birth_name=rng.choice(SURNAMES), used_name=None)
    if kind == "spelling":
        name = SPELLING_VARIANTS.get(p.birth_name)
        first = p.first_names.split()[0]
        if name and rng.random() < 0.5:
            return replace(p, birth_name=name)
        if first in SPELLING_VARIANTS:
            return replace(p, first_names=p.first_names.replace(first, SPELLING_VARIANTS[first]))
        return replace(p, birth_name=_typo(rng, p.birth_name))
    if kind == "typo_name":
        return replace(p, birth_name=_typo(rng, p.birth_name))
    if kind == "typo_first_name":
        words = p.first_names.split()
        return replace(p, first_names=" ".join([_typo(rng, words[0]), *words[1:]]))
    if kind == "day_month_swap":
        d = p.birth_date
        return replace(p, birth_date=d.replace(day=d.month, month=d.day))
    if kind == "date_typo":
        d = p.birth_date
        digits = list(d.strftime("%d%m%Y"))
        for _ in range(20):
            i = rng.choice([1, 3, 6, 7])
            candidate = digits.copy()
            candidate[i] = str((int(candidate[i]) + rng.randrange(1, 9)) % 10)
            text = "".join(candidate)
            try:
                return replace(p, birth_date=date(int(text[4:]), int(text[2:4]), int(text[:2])))
            except ValueError:
                continue
        return p
    if kind == "fewer_first_names":
        return replace(p, first_names=p.first_names.split()[0].split("-")[0])
    raise ValueError(kind)


def _strip(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


POSITIVE_KINDS = ["case_accents", "hyphens", "inverted", "married", "spelling", "typo_name",
                  "typo_first_name", "day_month_swap", "date_typo", "fewer_first_names",
                  "combined", "second_first_name", "compound_part", "transliteration",
                  "unknown_birth_day"]
TRANSLITERATIONS = [("Mohamed", "Muhammad"), ("Mohammed", "Mohamad"), ("Youssef", "Yusuf"),
                    ("Youcef", "Youssef"), ("Fatima", "Fatma"), ("Khadija", "Khadidja"),
                    ("Aïcha", "Aisha"), ("Hocine", "Hussein")]
SHARED_COMPOUNDS = [("Jean-Pierre", "Jean-Luc"), ("Marie-Claire", "Marie-Hélène"),
                    ("Jean-Marc", "Jean-Louis"), ("Anne-Marie", "Anne-Sophie"),
                    ("Pierre-Louis", "Pierre-Yves")]
GENDERED_PAIRS = [("Michel", "Michèle"), ("Daniel", "Danielle"), ("Louis", "Louise"),
                  ("Jean", "Jeanne"), ("François", "Françoise"), ("Denis", "Denise"),
                  ("Gabriel", "Gabrielle"), ("Pascal", "Pascale"), ("Martin", "Martine"),
                  ("Simon", "Simone"), ("Samir", "Samira"), ("Karim", "Karima"),
                  ("Yves", "Yvette"), ("Paul", "Pauline"), ("Louis", "Louisa"),
                  ("Georges", "Georgette")]


def _distant_date(rng: random.Random, d: date) -> date:
    from rapidfuzz.distance import OSA

    while True:
        other = d + timedelta(days=rng.choice([-1, 1]) * rng.randrange(40, 365 * 30))
        if OSA.distance(other.strftime("%d%m%Y"), d.strftime("%d%m%Y")) > 1:
            return other


def build_pairs(seed: int = 2026, positives: int = 220, negatives: int = 160) -> list[LabelledPair]:
    rng = random.Random(seed)
    pairs: list[LabelledPair] = []
    for index in range(positives):
        person = _person(rng)
        kind = POSITIVE_KINDS[index % len(POSITIVE_KINDS)]
        if kind == "married":
            # One record holds birth name + used (married) name; the caller gives only
            # the married name, as if it were the birth name.
            married = rng.choice(SURNAMES)
            person = replace(person, sex="F", first_names=rng.choice(FEMALE), used_name=married)
            other = replace(person, birth_name=married, used_name=None)
        elif kind == "combined":  # two independent mistakes on the same record
            day = rng.randrange(1, 13)
            person = replace(person, birth_date=person.birth_date.replace(
                day=day, month=rng.choice([m for m in range(1, 13) if m != day])))
            other = _vary(rng, _vary(rng, person, rng.choice(["typo_name", "spelling",
                                                              "case_accents"])),
                          rng.choice(["day_month_swap", "fewer_first_names", "hyphens"]))
        elif kind == "second_first_name":  # known by her second first name
            person = replace(person, first_names=f"{person.first_names.split()[0]} "
                                                 f"{rng.choice(SECOND_NAMES)}")
            other = replace(person, first_names=person.first_names.split()[1])
        elif kind == "transliteration":  # the same name written from Arabic two ways
            first, other_first = rng.choice(TRANSLITERATIONS)
            person = replace(person, first_names=first)
            other = replace(person, first_names=other_first)
        elif kind == "unknown_birth_day":  # birth date unknown: 01/01 of the year
            other = replace(person, birth_date=person.birth_date.replace(month=1, day=1))
            if other.birth_date == person.birth_date:
                person = replace(person, birth_date=person.birth_date.replace(day=2))
        elif kind == "compound_part":  # one caller gives only part of a compound name
            person = replace(person, birth_name=rng.choice(
                ["Boucher-Lefèvre", "Saint-Martin", "Da Silva", "Le Goff",
                 f"{rng.choice(SURNAMES)}-{rng.choice(SURNAMES)}"]))
            other = replace(person, birth_name=person.birth_name.replace("-", " ").split()[-1])
        else:
            if kind == "day_month_swap":  # a swap needs a day that can be a month
                day = rng.randrange(1, 13)
                month = rng.choice([m for m in range(1, 13) if m != day])
                person = replace(person, birth_date=person.birth_date.replace(day=day,
                                                                             month=month))
            other = _vary(rng, person, kind)
            if rng.random() < 0.3:  # a second variation on top, as happens
                other = _vary(rng, other, rng.choice(["case_accents", "hyphens",
                                                      "typo_first_name"]))
        pairs.append(LabelledPair(person, other, True, kind))
    negative_kinds = ["twins", "namesakes", "same_day_strangers", "parent_child", "siblings",
                      "gendered_twins", "close_namesakes", "compound_twins"]
    for index in range(negatives):
        person = _person(rng)
        kind = negative_kinds[index % len(negative_kinds)]
        if kind == "twins":
            pool = FEMALE if person.sex == "F" else MALE
            sex = rng.choice("FM")
            pool = FEMALE if sex == "F" else MALE
            first = rng.choice([n for n in pool if n.split("-")[0]
                                != person.first_names.split()[0].split("-")[0]])
            other = replace(person, first_names=first, sex=sex)
        elif kind == "gendered_twins":  # Michel and Michèle, one record without sex
            masculine, feminine = rng.choice(GENDERED_PAIRS)
            person = replace(person, first_names=masculine, sex="M")
            other = replace(person, first_names=feminine, sex=rng.choice(["F", None]))
        elif kind == "compound_twins":  # Jean-Pierre and Jean-Luc, born the same day
            first, other_first = rng.choice(SHARED_COMPOUNDS)
            person = replace(person, first_names=first)
            other = replace(person, first_names=other_first)
        elif kind == "close_namesakes":  # same name, born the same year
            d = person.birth_date
            other = replace(person, birth_date=date(d.year, 1, 1)
                            + timedelta(days=rng.randrange(0, 365)))
            if other.birth_date == d:
                other = replace(other, birth_date=d + timedelta(days=45))
        elif kind == "namesakes":
            other = replace(person, birth_date=_distant_date(rng, person.birth_date))
        elif kind == "same_day_strangers":
            other = replace(_person(rng), birth_date=person.birth_date)
        elif kind == "parent_child":
            other = replace(person, birth_date=person.birth_date + timedelta(days=365 * 28 + 40))
        else:  # siblings: same name, their own first name and birth date
            pool = FEMALE if person.sex == "F" else MALE
            first = rng.choice([n for n in pool if n != person.first_names.split()[0]])
            other = replace(person, first_names=first,
                            birth_date=_distant_date(rng, person.birth_date))
        pairs.append(LabelledPair(person, other, False, kind))
    return pairs


@dataclass(frozen=True)
class Evaluation:
    pairs: int
    precision: float
    recall: float
    false_positives: list[LabelledPair]
    false_negatives: list[LabelledPair]


def evaluate(pairs: list[LabelledPair]) -> Evaluation:
    from coordination.domain.identity_matching import compare

    tp = fp = fn = 0
    false_pos: list[LabelledPair] = []
    false_neg: list[LabelledPair] = []
    for pair in pairs:
        predicted = compare(pair.a, pair.b).is_likely_duplicate
        if predicted and pair.same_person:
            tp += 1
        elif predicted:
            fp += 1
            false_pos.append(pair)
        elif pair.same_person:
            fn += 1
            false_neg.append(pair)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Evaluation(len(pairs), precision, recall, false_pos, false_neg)
