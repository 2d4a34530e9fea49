"""Imports other than FINESS: Open Referral HSDS 3.0 JSON and psychiatric sectorisation
CSV. Same contract as the FINESS importer: all-or-nothing unless `skip_invalid`, every
rejected item reported with its position, `dry_run` writes nothing, re-importing updates."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import hsds
from directory.categories import BY_CODE
from directory.curation import conflict_message, hand_edited
from directory.finess import ImportReport, decode
from directory.models import Commune, DirectoryService, ServedCommune
from directory.reference import upsert
from directory.text import fold


def import_hsds(session: Session, raw: bytes, *, category: str, skip_invalid: bool = False,
                dry_run: bool = False, overwrite_edits: bool = False) -> ImportReport:
    """HSDS 3.0 services (a JSON array of compiled `service` objects, or `{"items": […]}`).
    `category` is the directory category given to services the file does not classify
    (the attributes our own export writes — category, level, modalities, dual diagnosis —
    are read back).
    Positions are reported as item numbers (1-based)."""
    text, encoding = decode(raw)
    report = ImportReport(encoding=encoding)
    if category not in BY_CODE:
        report.rejected.append((0, f"catégorie inconnue « {category} »"))
        return report
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        report.rejected.append((exc.lineno, f"JSON invalide : {exc.msg}"))
        return report
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        report.rejected.append((1, "un tableau de services HSDS est attendu"))
        return report
    communes = {c.insee: c for c in session.scalars(select(Commune))}
    by_name: dict[tuple[str, str], str] = {}
    for commune in communes.values():
        by_name[(fold(commune.name), commune.departement)] = commune.insee
        for postcode in commune.postcodes.split():
            by_name.setdefault((postcode, ""), commune.insee)
    seen: set[str] = set()
    valid: list[tuple[int, str, dict[str, Any]]] = []
    for number, item in enumerate(items, start=1):
        report.lines = number
        try:
            problem, values = _hsds_service(item, by_name, communes, category)
        except (TypeError, AttributeError, ValueError, KeyError):
            # The shape is not HSDS (a list where an object belongs, a number for text…).
            problem, values = "service HSDS mal formé (types des champs)", {}
        if not problem and values["source_id"] in seen:
            problem = f"identifiant {values['source_id']} en double dans le fichier"
        if problem:
            report.rejected.append((number, problem))
            continue
        seen.add(values["source_id"])
        valid.append((number, values.pop("source_id"), values))
    if report.rejected and not skip_invalid:
        return report
    existing = dict(session.execute(select(DirectoryService.source_id, DirectoryService.id)
                                    .where(DirectoryService.source == "hsds")).all())
    edited = hand_edited(session, existing.values())  # once, not per service
    for number, source_id, values in valid:
        disagreements: list[tuple[str, Any, Any]] = []
        upsert(session, "hsds", source_id, overwrite_edits=overwrite_edits,
               conflicts=disagreements, edited=edited, **values)
        for name, kept, given in disagreements:
            report.conflicts.append((number, conflict_message(
                source_id, name, kept, given, overwrite_edits)))
        if source_id in existing:
            report.updated += 1
        else:
            report.created += 1
    return report.conclude(session, dry_run)


def _hsds_service(item: Any, by_name: dict[tuple[str, str], str],
                  communes: dict[str, Commune],
                  category: str) -> tuple[str | None, dict[str, Any]]:
    if not isinstance(item, dict):
        return "objet service attendu", {}
    if not isinstance(item.get("id"), str) or not item["id"]:
        return "« id » manquant", {}
    if not isinstance(item.get("name"), str) or not item["name"].strip():
        return "« name » manquant", {}
    location = next((sal.get("location") for sal in item.get("service_at_locations") or []
                     if isinstance(sal, dict) and isinstance(sal.get("location"), dict)), {})
    address = next(iter(location.get("addresses") or []), {}) if location else {}
    commune_insee = None
    if address:
        if not isinstance(address, dict):
            return "adresse mal formée", {}
        city = fold(str(address.get("city", "")))
        department = str(address.get("state_province", "")).strip()
        # The name in its département, else the name anywhere, else the postcode (several
        # communes share one postcode: the last resort).
        commune_insee = by_name.get((city, department)) or next(
            (insee for (name, _dep), insee in by_name.items() if name == city), None) \
            or by_name.get((str(address.get("postal_code", "")).strip(), ""))
        if commune_insee is None:
            return f"commune « {address.get('city')} » inconnue du référentiel", {}
    lat, lon = location.get("latitude"), location.get("longitude")
    if lat is not None and lon is not None and not (
            isinstance(lat, int | float) and isinstance(lon, int | float)
            and 41.0 <= lat <= 51.5 and -5.5 <= lon <= 10.0):
        return "coordonnées hors de France", {}
    for name in ("description", "email", "url", "eligibility_description"):
        if item.get(name) is not None and not isinstance(item[name], str):
            return f"« {name} » doit être un texte", {}
    ages = [item.get("minimum_age"), item.get("maximum_age")]
    if any(a is not None and (not isinstance(a, int) or isinstance(a, bool) or not 0 <= a <= 120)
           for a in ages):
        return "âges minimum et maximum : nombres entiers entre 0 et 120", {}
    if None not in ages and ages[0] > ages[1]:
        return "l'âge minimum dépasse l'âge maximum", {}
    if item.get("organization") is not None and not isinstance(item["organization"], dict):
        return "« organization » doit être un objet", {}
    phones = [{"number": str(p["number"]), "label": str(p.get("description") or "")}
              for p in item.get("phones") or [] if isinstance(p, dict) and p.get("number")]
    finess = next((i.get("identifier") for i in (item.get("organization") or {}).get(
        "organization_identifiers") or [] if isinstance(i, dict)
        and i.get("identifier_type") == "FINESS"), None)
    if finess is not None and not re.fullmatch(r"\d[\dAB]\d{7}", str(finess)):
        return f"numéro FINESS invalide « {finess} »", {}
    problem, classified = hsds.classification(item.get("attributes"), category)
    if problem:
        return problem, {}
    return None, {
        **classified,
        "source_id": item["id"], "name": item["name"].strip(),
        "description": item.get("description"),
        "organisation_name": (item.get("organization") or {}).get("name"),
        "finess": finess, "email": item.get("email"), "website": item.get("url"),
        "phones": phones, "address": address.get("address_1") if address else None,
        "postcode": address.get("postal_code") if address else None,
        "commune_insee": commune_insee, "latitude": lat, "longitude": lon,
        "age_min": item.get("minimum_age"), "age_max": item.get("maximum_age"),
        "conditions": item.get("eligibility_description"), "is_demo": False,
    }


SECTOR_COLUMNS = ("commune_insee", "sector", "service")


def import_sectors(session: Session, raw: bytes, *, skip_invalid: bool = False,
                   dry_run: bool = False) -> ImportReport:
    """Psychiatric sectorisation: `commune_insee;sector;service` lines, where `service`
    is a FINESS number or a directory source id of a CMP. Each commune is added to the
    communes that CMP serves (the CMP gets the sector code). The file is the whole truth
    for the sectors it lists: a commune that a CMP of one of those sectors (or a CMP the
    file names) serves, and that the file no longer gives it, is detached from it, and
    the report says so (except for a commune on a rejected line, when skipping them)."""
    text, encoding = decode(raw)
    report = ImportReport(encoding=encoding)
    communes = set(session.scalars(select(Commune.insee)))
    services = {s.finess or s.source_id: s for s in session.scalars(
        select(DirectoryService).where(DirectoryService.category == "cmp"))}
    services.update({s.source_id: s for s in services.values()})
    pairs: list[tuple[DirectoryService, str, str]] = []
    seen: set[tuple[str, str]] = set()
    line_communes: dict[int, str] = {}
    reader = csv.reader(io.StringIO(text), delimiter=";", quoting=csv.QUOTE_NONE)
    for number, row in enumerate(reader, start=1):
        report.lines = number
        if number == 1:
            if [c.strip().lower() for c in row] != list(SECTOR_COLUMNS):
                report.rejected.append((1, "en-tête attendu : " + ";".join(SECTOR_COLUMNS)))
                break
            continue
        if not any(row):
            continue
        if len(row) != 3:
            report.rejected.append((number, f"{len(row)} colonnes au lieu de 3"))
            continue
        insee, sector, reference = (value.strip() for value in row)
        line_communes[number] = insee
        if insee not in communes:
            report.rejected.append((number, f"commune INSEE « {insee[:10]} » inconnue"))
        elif reference not in services:
            report.rejected.append((number, f"CMP « {reference[:20]} » absent de l'annuaire"))
        elif not sector:
            report.rejected.append((number, "secteur manquant"))
        elif (insee, reference) in seen:
            report.rejected.append((number, f"commune {insee} déjà rattachée à ce CMP"))
        else:
            seen.add((insee, reference))
            pairs.append((services[reference], insee, sector))
    if report.rejected and not skip_invalid:
        return report
    sectors = {sector for _service, _insee, sector in pairs}
    listed: dict[int, set[str]] = {}
    for service, insee, sector in pairs:
        listed.setdefault(service.id, set()).add(insee)
        service.sector = sector
        if all(s.commune_insee != insee for s in service.served):
            service.served.append(ServedCommune(commune_insee=insee))
            report.created += 1
        else:
            report.updated += 1
    # The communes of rejected lines (skipped) keep their links until the line is fixed.
    doubtful = {line_communes[n] for n, _reason in report.rejected if n in line_communes}
    _detach_unlisted(services, sectors, listed, doubtful, report)
    return report.conclude(session, dry_run)


def _detach_unlisted(services: dict[str, DirectoryService], sectors: set[str],
                     listed: dict[int, set[str]], doubtful: set[str],
                     report: ImportReport) -> None:
    """The CMPs the file covers (named in it, or of a sector it lists) serve exactly the
    communes it gives them."""
    covered = {s.id: s for s in services.values() if s.id in listed or s.sector in sectors}
    for service in sorted(covered.values(), key=lambda s: s.name_key):
        keep = listed.get(service.id, set())
        for link in list(service.served):
            if link.commune_insee in keep or link.commune_insee in doubtful:
                continue
            service.served.remove(link)
            report.removed.append(f"commune {link.commune_insee} retirée du secteur de "
                                  f"« {service.name} » ({service.sector or 'sans code'}) : "
                                  "absente du fichier")
