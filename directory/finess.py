"""Import of the official FINESS open-data extraction (etalab-cs1100507-stock-*.csv).

Format (see ../shared/data/README.md): a header line `finess;etalab;<n>;<date>`, then
`structureet` lines (32 fields) and `geolocalisation` lines (Lambert 93 coordinates).
ISO-8859-1 or UTF-8. All-or-nothing by default: one rejected line and nothing is written;
`skip_invalid` writes the valid lines; `dry_run` writes nothing. Re-importing updates the
services keyed on their FINESS number, never duplicates them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from directory.categories import BY_FINESS
from directory.curation import conflict_message, hand_edited, keep_hand_edits
from directory.models import Commune, DirectoryService
from directory.reference import search_text_for
from directory.text import fold

STRUCTURE_FIELDS = (
    "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie",
    "typvoie", "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement",
    "ligneacheminement", "telephone", "telecopie", "categetab", "libcategetab",
    "categagretab", "libcategagretab", "siret", "codeape", "codemft", "libmft", "codesph",
    "libsph", "dateouv", "dateautor", "datemaj", "numuai",
)
GEO_FIELDS = ("nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")
_FINESS = re.compile(r"^\d[\dAB]\d{7}$")
# Mainland France and Corsica, generously (WGS84).
_LAT, _LON = (41.0, 51.5), (-5.5, 10.0)


@dataclass
class ImportReport:
    encoding: str = "utf-8"
    lines: int = 0
    created: int = 0
    updated: int = 0
    out_of_scope: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # an admin's correction that the file contradicts: kept (or, when told, overwritten)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # what a re-import took away
    written: bool = False

    @property
    def valid(self) -> int:
        return self.created + self.updated

    def conclude(self, session: Session, dry_run: bool) -> ImportReport:
        """End of every import: a dry run leaves the database as it was; otherwise the
        whole import is committed at once."""
        if dry_run:
            session.rollback()
        else:
            session.commit()
            self.written = True
        return self


def decode(raw: bytes) -> tuple[str, str]:
    """The whole file as text: UTF-8 when it is, else Windows-1252 (the superset of
    ISO-8859-1 that FINESS files actually use)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "iso-8859-1"


def decode_lines(raw: bytes) -> tuple[list[str], str, set[int]]:
    """Lines of the file, its encoding, and the numbers of lines whose encoding differs
    from the rest (a Latin-1 line in a UTF-8 file): those are rejected, not garbled."""
    try:
        return raw.decode("utf-8-sig").splitlines(), "utf-8", set()
    except UnicodeDecodeError:
        pass
    lines, bad = [], set()
    utf8_seen = False
    for number, chunk in enumerate(raw.splitlines(), start=1):
        try:
            line = chunk.decode("utf-8")
            utf8_seen = utf8_seen or any(ord(c) > 127 for c in line)
        except UnicodeDecodeError:
            bad.add(number)
            line = chunk.decode("cp1252", errors="replace")
        lines.append(line)
    if not utf8_seen:  # no UTF-8 at all: a Latin-1 file, every line is fine
        return [c.decode("cp1252", errors="replace") for c in raw.splitlines()], \
            "iso-8859-1", set()
    return lines, "utf-8", bad


# FINESS gives Lambert 93 for mainland France and UTM zones overseas (sourcecoordet ends
# with the projection's name).
_PROJECTIONS = {"LAMBERT_93": "EPSG:2154", "UTM_N20": "EPSG:32620",
                "UTM_N22": "EPSG:32622", "UTM_S40": "EPSG:32740", "UTM_S38": "EPSG:32738"}


class _Converter:
    def __init__(self) -> None:
        self._transformers: dict[str, Any] = {}

    def __call__(self, source: str, x: float, y: float) -> tuple[float, float] | None:
        from pyproj import Transformer

        projection = next((epsg for name, epsg in _PROJECTIONS.items()
                           if source.upper().endswith(name)), "EPSG:2154")
        if projection not in self._transformers:
            self._transformers[projection] = Transformer.from_crs(projection, "EPSG:4326",
                                                                  always_xy=True)
        lon, lat = self._transformers[projection].transform(x, y)
        return lat, lon


def import_finess(session: Session, raw: bytes, *, departements: Iterable[str] = (),
                  categories: Iterable[str] = (), skip_invalid: bool = False,
                  dry_run: bool = False, overwrite_edits: bool = False,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """`overwrite_edits`: the file's values replace an admin's corrections (which are
    otherwise kept, each disagreement listed in `report.conflicts`)."""
    lines, encoding, badly_encoded = decode_lines(raw)
    report = ImportReport(encoding=encoding)
    wanted_departements = {d.zfill(2) for d in departements}
    wanted_categories = set(categories) or set(BY_FINESS)
    communes = dict(session.execute(select(Commune.insee, Commune.name)).all())
    structures: dict[str, tuple[int, dict[str, str]]] = {}
    geolocations: dict[str, tuple[int, dict[str, str]]] = {}
    # No quoting: FINESS fields are never quoted, and a stray '"' must not swallow lines.
    reader = csv.reader(lines, delimiter=";", quoting=csv.QUOTE_NONE)
    for number, row in enumerate(reader, start=1):
        report.lines = number
        if progress and number % 1000 == 0:
            progress(1000)
        if number in badly_encoded:
            report.rejected.append((number, "encodage différent du reste du fichier "
                                            "(ni UTF-8) : ligne illisible"))
            continue
        if number == 1:
            if row[:2] != ["finess", "etalab"]:
                report.rejected.append((1, "en-tête attendu « finess;etalab;… » : ce n'est "
                                           "pas une extraction FINESS"))
                break
            continue
        if not row or not any(row):
            continue
        kind = row[0]
        if kind == "structureet":
            problem = _check_structure(row, number, structures, wanted_departements,
                                       wanted_categories, communes)
            if problem == "out_of_scope":
                report.out_of_scope += 1
            elif problem:
                report.rejected.append((number, problem))
            else:
                values = dict(zip(STRUCTURE_FIELDS, row[1:], strict=True))
                structures[values["nofinesset"]] = (number, values)
        elif kind == "geolocalisation":
            if len(row) != len(GEO_FIELDS) + 1:
                report.rejected.append((number, f"{len(row)} champs au lieu de "
                                                f"{len(GEO_FIELDS) + 1} (geolocalisation)"))
                continue
            values = dict(zip(GEO_FIELDS, row[1:], strict=True))
            geolocations[values["nofinesset"]] = (number, values)
        else:
            report.rejected.append((number, f"type de ligne inconnu « {kind[:30]} »"))
    # Coordinates are checked only for the establishments kept (an overseas line in UTM
    # must not block an import filtered on a mainland département).
    coordinates = _coordinates(structures, geolocations, report)
    if progress:
        progress(report.lines % 1000)
    if report.rejected and not skip_invalid:
        return report  # all-or-nothing: nothing written
    _write(session, structures, coordinates, communes, report, overwrite_edits)
    return report.conclude(session, dry_run)


def _coordinates(structures: dict[str, tuple[int, dict[str, str]]],
                 geolocations: dict[str, tuple[int, dict[str, str]]],
                 report: ImportReport) -> dict[str, tuple[int, float, float]]:
    convert = _Converter()
    found: dict[str, tuple[int, float, float]] = {}
    for finess, (number, values) in geolocations.items():
        if finess not in structures:
            continue
        try:
            lat, lon = convert(values["sourcecoordet"], float(values["coordxet"]),
                               float(values["coordyet"]))
        except ValueError:
            report.rejected.append((number, "coordonnées non numériques"))
            continue
        mainland = not any(values["sourcecoordet"].upper().endswith(name)
                           for name in _PROJECTIONS if name.startswith("UTM"))
        if mainland and not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
            report.rejected.append((number, f"coordonnées hors de France ({lat:.3f}, "
                                            f"{lon:.3f})"))
            continue
        found[finess] = (number, lat, lon)
    report.rejected.sort()
    return found


def _write(session: Session, structures: dict[str, tuple[int, dict[str, str]]],
           coordinates: dict[str, tuple[int, float, float]], communes: dict[str, str],
           report: ImportReport, overwrite_edits: bool) -> None:
    """Create or update in batches: one query per thousand FINESS numbers finds the
    services that exist (keyed on the FINESS number, whatever loaded them first); new
    ones are inserted with one multi-row INSERT per batch."""
    numbers = list(structures)
    for start in range(0, len(numbers), 1000):
        batch = numbers[start:start + 1000]
        existing = {s.finess: s for s in session.scalars(select(DirectoryService).where(
            DirectoryService.finess.in_(batch)))}
        edited = hand_edited(session, [s.id for s in existing.values()])
        new_rows = []
        for finess in batch:
            values = _service_values(finess, structures[finess][1], coordinates, communes)
            service = existing.get(finess)
            if service is None:
                new_rows.append({"source": "finess", "source_id": finess, **values})
                report.created += 1
            else:
                _update(session, service, values, edited.get(service.id, set()),
                        structures[finess][0], report, overwrite_edits)
                service.search_text = search_text_for(service, communes.get(
                    service.commune_insee or ""))
                report.updated += 1
        if new_rows:
            session.execute(insert(DirectoryService), new_rows)
        session.flush()


def _update(session: Session, service: DirectoryService, values: dict[str, Any],
            edited: set[str], number: int, report: ImportReport, overwrite: bool) -> None:
    """What a re-import changes: what FINESS says, but not an admin's corrections (unless
    `overwrite`), nor what FINESS never carries (modalities, languages, other sources'
    extras), nor an admin's more recent verification date."""
    for derived in ("search_text", "name_key", "modalities", "languages"):
        values.pop(derived)
    values["extra"] = {**(service.extra or {}), **values["extra"]}
    for name, kept, given in keep_hand_edits(session, service, values, edited,
                                             source="finess", overwrite=overwrite):
        report.conflicts.append((number, conflict_message(service.finess or "", name,
                                                          kept, given, overwrite)))
    service.name_key = fold(service.name)


def _service_values(finess: str, values: dict[str, str],
                    coordinates: dict[str, tuple[int, float, float]],
                    communes: dict[str, str]) -> dict[str, Any]:
    _number, lat, lon = coordinates.get(finess, (0, None, None))
    insee = values["departement"] + values["commune"]
    name = (values["rslongue"] or values["rs"]).strip()
    postcode = values["ligneacheminement"][:5]
    row: dict[str, Any] = {
        "finess": finess, "name": name, "name_key": fold(name),
        "category": BY_FINESS[values["categetab"]].code,
        "address": " ".join(p for p in (values["numvoie"], values["typvoie"],
                                        values["voie"]) if p).strip() or None,
        "postcode": postcode if postcode.isdigit() else None, "commune_insee": insee,
        "phones": [{"number": values["telephone"], "label": "standard"}]
        if values["telephone"] else [],
        "latitude": lat, "longitude": lon, "is_demo": False,
        "last_verified_on": _date(values["datemaj"]),
        "extra": {"finess_ej": values["nofinessej"], "siret": values["siret"],
                  "finess_category": values["categetab"]},
        "modalities": [], "languages": [],
    }
    row["search_text"] = search_text_for(DirectoryService(**{
        k: row[k] for k in ("name", "category", "postcode", "address", "commune_insee")}),
        communes.get(insee))
    return row


def _check_structure(row: list[str], number: int, seen: dict[str, tuple[int, dict[str, str]]],
                     departements: set[str], categories: set[str],
                     communes: dict[str, str]) -> str | None:
    if len(row) != len(STRUCTURE_FIELDS) + 1:
        return f"{len(row)} champs au lieu de {len(STRUCTURE_FIELDS) + 1} (structureet)"
    values = dict(zip(STRUCTURE_FIELDS, row[1:], strict=True))
    finess = values["nofinesset"]
    if not _FINESS.match(finess):
        return f"numéro FINESS invalide « {finess[:20]} »"
    if departements and values["departement"].zfill(2) not in departements:
        return "out_of_scope"
    if values["categetab"] not in categories:
        return "out_of_scope" if values["categetab"].isdigit() else \
            f"catégorie invalide « {values['categetab'][:20]} »"
    if values["categetab"] not in BY_FINESS:
        return f"catégorie {values['categetab']} absente de l'annuaire"
    insee = values["departement"] + values["commune"]
    if not re.fullmatch(r"(\d{2}|2[AB])\d{3}", insee):
        return f"code commune INSEE invalide « {insee[:10]} »"
    if insee not in communes:
        return f"commune INSEE {insee} inconnue du référentiel"
    if finess in seen:
        return f"numéro FINESS {finess} déjà présent ligne {seen[finess][0]}"
    return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
