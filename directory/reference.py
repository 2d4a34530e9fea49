"""Loading the shipped reference data (communes of Occitanie, DREES SAE 2023 hospitals) and
the Aude demo services. Idempotent: keyed on INSEE code, FINESS number or source id."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.categories import BY_CODE, BY_FINESS
from directory.models import Commune, DirectoryService, ServedCommune
from directory.text import ABBREVIATIONS, fold

DEPARTEMENTS = {"09": "ariege", "11": "aude", "12": "aveyron", "30": "gard",
                "31": "haute garonne", "32": "gers", "34": "herault", "46": "lot",
                "48": "lozere", "65": "hautes pyrenees", "66": "pyrenees orientales",
                "81": "tarn", "82": "tarn et garonne"}


def _rows(name: str, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with resources.files("directory").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def load_communes(session: Session, departements: set[str] | None = None) -> int:
    known = set(session.scalars(select(Commune.insee)))
    added = 0
    for row in _rows("communes_occitanie.csv"):
        if row["type"] != "commune-actuelle" or row["code_insee"] in known:
            continue
        if departements and row["departement"] not in departements:
            continue
        session.add(Commune(insee=row["code_insee"], name=row["nom"],
                            departement=row["departement"],
                            arrondissement=row["arrondissement"] or None,
                            epci_siren=row["epci_siren"] or None,
                            epci_name=row["epci_nom"] or None,
                            postcodes=row["codes_postaux"],
                            population=int(row["population"]) if row["population"] else None))
        added += 1
    session.commit()
    return added


def search_text_for(service: DirectoryService, commune_name: str | None = None) -> str:
    """What the full-text index sees: name, organisation, category and its keywords,
    commune, postcode, address, description (all folded)."""
    category = BY_CODE.get(service.category)
    commune = commune_name or (service.commune.name if service.commune else None)
    departement = DEPARTEMENTS.get((service.commune_insee or "")[:2])
    parts = [service.name, service.organisation_name,
             category.label if category else service.category,
             category.keywords if category else "", commune, departement, service.postcode,
             service.address, service.description]
    words = fold(" ".join(p for p in parts if p)).split()
    # Abbreviated official names ("CL DU SUD") also answer to the full word, and back.
    reverse = {short: full for full, short in ABBREVIATIONS.items()}
    extra = [ABBREVIATIONS.get(w) or reverse.get(w) for w in words]
    return " ".join(words + [w for w in extra if w])


def upsert(session: Session, source: str, source_id: str, *, overwrite_edits: bool = False,
           conflicts: list[tuple[str, Any, Any]] | None = None,
           edited: dict[int, set[str]] | None = None,
           **values: Any) -> DirectoryService:
    """Create or update the service with this source id (re-importing never duplicates).
    An admin's corrections are kept unless `overwrite_edits`; the disagreements are
    added to `conflicts` as (field, admin's value, given value). `edited`: the hand-edited
    fields of the existing services (curation.hand_edited), read once by an importer of
    many rows; looked up for this service otherwise."""
    from directory.curation import hand_edited, keep_hand_edits

    service = session.scalar(select(DirectoryService).where(
        DirectoryService.source == source, DirectoryService.source_id == source_id))
    served = values.pop("served_communes", None)
    if service is None:
        service = DirectoryService(source=source, source_id=source_id)
        session.add(service)
        for key, value in values.items():
            setattr(service, key, value)
    else:
        if edited is None:
            edited = hand_edited(session, [service.id])
        found = keep_hand_edits(session, service, values, edited.get(service.id, set()),
                                source=source, overwrite=overwrite_edits)
        if conflicts is not None:
            conflicts.extend(found)
    if served is not None:
        service.served = [ServedCommune(commune_insee=code) for code in sorted(set(served))]
    if service.commune_insee and (service.commune is None
                                  or service.commune.insee != service.commune_insee):
        service.commune = session.get(Commune, service.commune_insee)
    service.search_text = search_text_for(service)
    service.name_key = fold(service.name)
    return service


def load_sae_hospitals(session: Session) -> int:
    """Hospitals of Occitanie from DREES SAE 2023, with their CMP/CATTP counts."""
    psychiatry: dict[str, dict[str, int]] = {}
    for row in _rows("sae2023_PSY_occitanie.csv", ";"):
        counts = psychiatry.setdefault(row["FI"], {"cmp": 0, "cattp": 0})
        counts["cmp"] += int(row["NB_CMP_SEUL"] or 0)
        counts["cattp"] += int(row["NB_CATTP"] or 0)
    communes = set(session.scalars(select(Commune.insee)))
    loaded = 0
    for row in _rows("sae2023_ID_occitanie.csv", ";"):
        category = BY_FINESS.get(row["cat"])
        if category is None or row["COMINSEE"] not in communes:
            continue
        street = " ".join(p for p in (row["NUMVOI"], row["TYPVOI"], row["NOMVOI"]) if p)
        extra = {"sae_category": row["cat"]}
        if row["fi"] in psychiatry:
            extra.update({f"sae_{k}_count": v for k, v in psychiatry[row["fi"]].items()})
        upsert(session, "sae", row["fi"], finess=row["fi"], name=row["rs"],
               organisation_name=None, category=category.code, address=street.title(),
               postcode=row["CPO"] or None, commune_insee=row["COMINSEE"],
               modalities=["residential", "ambulatory"], care_level=2 if
               category.code == "general_hospital" else 3, extra=extra,
               last_verified_on=date(2023, 12, 31), is_demo=False)
        loaded += 1
    session.commit()
    return loaded


# Aude services absent from those sources: invented for the demo, flagged as such.
_CARCASSONNE_SECTOR = ["11069", "11001", "11002", "11397", "11099", "11023"]
_NARBONNE_SECTOR = ["11262", "11266", "11255"]
_LEZIGNAN_SECTOR = ["11203"]
DEMO_SERVICES: list[dict[str, Any]] = [
    {"id": "cmp-carcassonne", "name": "CMP adultes de Carcassonne", "category": "cmp",
     "organisation_name": "USSAP", "commune_insee": "11069", "postcode": "11000",
     "address": "12 rue Voltaire", "phones": [{"number": "04 68 00 00 01", "label": "accueil"}],
     "opening_hours": "Lundi au vendredi 9h–17h", "sector": "11G01",
     "served_communes": _CARCASSONNE_SECTOR, "accepts_dual_diagnosis": True,
     "accepting_new": True, "age_min": 18, "care_level": 2, "waiting_days": 21,
     "modalities": ["ambulatory"]},
    {"id": "cmp-narbonne", "name": "CMP adultes de Narbonne", "category": "cmp",
     "organisation_name": "CH Narbonne", "commune_insee": "11262", "postcode": "11100",
     "address": "3 boulevard Frédéric Mistral", "sector": "11G03",
     "phones": [{"number": "04 68 00 00 02", "label": "accueil"}],
     "served_communes": _NARBONNE_SECTOR + _LEZIGNAN_SECTOR, "accepts_dual_diagnosis": True,
     "accepting_new": False, "age_min": 18, "care_level": 2, "waiting_days": 45,
     "modalities": ["ambulatory"]},
    {"id": "csapa-narbonne", "name": "CSAPA de Narbonne", "category": "csapa",
     "organisation_name": "CSAPA de l'Aude", "commune_insee": "11262", "postcode": "11100",
     "address": "8 rue de l'Ancien Courrier",
     "phones": [{"number": "04 68 00 00 03", "label": "accueil"}],
     "accepts_dual_diagnosis": True, "accepting_new": True, "care_level": 2,
     "waiting_days": 10, "modalities": ["ambulatory"]},
    {"id": "csapa-carcassonne", "name": "CSAPA de Carcassonne", "category": "csapa",
     "organisation_name": "CSAPA de l'Aude", "commune_insee": "11069", "postcode": "11000",
     "address": "24 rue de Verdun", "phones": [{"number": "04 68 00 00 04", "label": "accueil"}],
     "accepts_dual_diagnosis": False, "accepting_new": True, "care_level": 2,
     "waiting_days": 14, "modalities": ["ambulatory"]},
    {"id": "csapa-lezignan", "name": "CSAPA — antenne de Lézignan-Corbières",
     "category": "csapa", "organisation_name": "CSAPA de l'Aude",
     "commune_insee": "11203", "postcode": "11200", "address": "Maison des services",
     "opening_hours": "Mardi et jeudi 9h–12h", "accepts_dual_diagnosis": True,
     "accepting_new": True, "care_level": 2, "modalities": ["ambulatory"]},
    {"id": "csapa-limoux", "name": "CSAPA — antenne de Limoux", "category": "csapa",
     "organisation_name": "CSAPA de l'Aude", "commune_insee": "11206", "postcode": "11300",
     "accepting_new": True, "care_level": 2, "modalities": ["ambulatory"]},
    {"id": "caarud-carcassonne", "name": "CAARUD de l'Aude", "category": "caarud",
     "organisation_name": "CAARUD de l'Aude", "commune_insee": "11069", "postcode": "11000",
     "modalities": ["ambulatory", "mobile"], "care_level": 1},
    {"id": "chrs-carcassonne", "name": "CHRS de Carcassonne", "category": "chrs",
     "commune_insee": "11069", "postcode": "11000", "modalities": ["residential"],
     "conditions": "Orientation par le SIAO", "care_level": 1},
    {"id": "siao-11", "name": "SIAO 11 — 115", "category": "siao",
     "commune_insee": "11069", "postcode": "11000",
     "phones": [{"number": "115", "label": "urgence, 24h/24"}],
     "description": "Orientation vers l'hébergement d'urgence et le logement accompagné",
     "modalities": ["ambulatory"], "care_level": 1},
    {"id": "gem-narbonne", "name": "GEM de Narbonne", "category": "gem",
     "commune_insee": "11262", "postcode": "11100", "care_level": 1,
     "modalities": ["ambulatory"]},
]


# (latitude, longitude) of each demo service: invented, near the centre of its commune.
DEMO_COORDINATES = {
    "cmp-carcassonne": (43.2117, 2.3537), "cmp-narbonne": (43.1862, 3.0068),
    "csapa-narbonne": (43.1834, 3.0012), "csapa-carcassonne": (43.2141, 2.3512),
    "csapa-lezignan": (43.2006, 2.7576), "csapa-limoux": (43.0551, 2.2189),
    "caarud-carcassonne": (43.2096, 2.3470), "chrs-carcassonne": (43.2162, 2.3445),
    "siao-11": (43.2125, 2.3498), "gem-narbonne": (43.1850, 3.0035),
}


def load_demo_services(session: Session) -> int:
    for spec in DEMO_SERVICES:
        values = {k: v for k, v in spec.items() if k != "id"}
        values["latitude"], values["longitude"] = DEMO_COORDINATES[spec["id"]]
        if values.get("waiting_days") is not None:  # a waiting time is dated, always
            values.setdefault("waiting_reported_on", date(2026, 9, 1))
        upsert(session, "demo", spec["id"], is_demo=True,
               last_verified_on=date(2026, 9, 1), **values)
    session.commit()
    return len(DEMO_SERVICES)
