"""Persons: identity, duplicate detection, search, information/consent, merge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from coordination.db import utcnow
from coordination.domain import identity
from coordination.domain.consent import (
    INFORMATION_METHODS,
    ConsentKind,
    SharingDecision,
    SharingFacts,
    sharing_decision,
)
from coordination.domain.errors import (
    Conflict,
    NotFound,
    ValidationError,
    check_version,
    is_id,
)
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex
from coordination.domain.identity_matching import (
    IdentityTraits,
    MatchScore,
    birth_date_variants,
    compare,
    first_name_key,
    first_word,
    fold,
    phonetic_key,
)
from coordination.models import (
    ConsentRecord,
    IdentityStatusChange,
    Organisation,
    Person,
    PersonMerge,
    User,
)
from coordination.services import accounts, audit, policy
from coordination.services.pagination import Page, paginate
from directory import services as directory_services
from directory import text as directory_text

# Tables holding a person_id that a merge moves to the survivor. Later modules (calls,
# situations) register theirs with `register_person_reference`.
PERSON_REFERENCES: list[type] = [ConsentRecord]


def register_person_reference(model: type) -> None:
    if model not in PERSON_REFERENCES:
        PERSON_REFERENCES.append(model)


TEXT_FIELDS = {  # field -> (max length, required)
    "birth_name": (100, True), "birth_first_names": (200, True),
    "first_birth_first_name": (100, False), "used_name": (100, False),
    "used_first_name": (100, False), "address": (300, False), "phone": (30, False),
    "gp_name": (200, False), "gp_phone": (30, False), "caregiver_name": (200, False),
    "caregiver_relation": (100, False), "caregiver_phone": (30, False),
    "legal_protection_holder": (200, False),
}
PHONE_FIELDS = ("phone", "gp_phone", "caregiver_phone")


def _looks_like_phone(value: str) -> bool:
    """Digits (8 to 15, a leading + allowed) with the usual separators: « 04 68 11 22 33 »,
    « +33 6 12 34 56 78 », « 04.68.11.22.33 »; never « abc »."""
    digits = "".join(c for c in value if c.isdigit())
    return 8 <= len(digits) <= 15 and all(c.isdigit() or c in " .-+()/" for c in value)


CODE_FIELDS = ("birth_place_insee", "birth_country_insee", "commune_insee", "ins")
EDITABLE_FIELDS = (*TEXT_FIELDS, *CODE_FIELDS, "birth_date", "sex", "identity_status",
                   "legal_protection", "gp_directory_service_id")
MAX_CANDIDATES = 10


class DuplicatePerson(Conflict):
    """Creating would likely duplicate existing persons (HTTP 409 with the candidates)."""

    code = "duplicate_person"


@dataclass(frozen=True)
class Candidate:
    person: Person
    match: MatchScore


# --- validation ----------------------------------------------------------------------------

def _parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError


def clean_person_fields(data: Mapping[str, Any], today: date,
                        partial: bool = False) -> dict[str, Any]:
    """Validated, normalised values of the fields present in `data` (all required fields
    when not `partial`); ValidationError naming every bad field otherwise."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, (limit, required) in TEXT_FIELDS.items():
        if name not in data and partial:
            continue
        raw = data.get(name)
        if raw is not None and not isinstance(raw, str):
            errors[name] = ["Texte attendu."]
            continue
        value = " ".join((raw or "").split())
        if required and not value:
            errors[name] = ["Ce champ est obligatoire."]
        elif len(value) > limit:
            errors[name] = [f"{limit} caractères au plus."]
        elif name in PHONE_FIELDS and value and not _looks_like_phone(value):
            errors[name] = ["Numéro de téléphone attendu (ex. 04 68 11 22 33 ou +33 6 …)."]
        else:
            clean[name] = value or None
    if "birth_date" in data or not partial:
        try:
            born = _parse_date(data.get("birth_date"))
        except ValueError:
            errors["birth_date"] = ["Date attendue au format AAAA-MM-JJ."]
        else:
            if born is None:
                errors["birth_date"] = ["Ce champ est obligatoire."]
            elif problem := identity.birth_date_problem(born, today):
                errors["birth_date"] = [problem]
            else:
                clean["birth_date"] = born
    _choice(data, "sex", Sex, errors, clean, required=not partial,
            message="Valeurs possibles : F, M ou I (indéterminé).")
    _choice(data, "identity_status", IdentityStatus, errors, clean, required=False,
            message="Valeurs possibles : provisoire, recuperee, validee, qualifiee.")
    _choice(data, "legal_protection", LegalProtection, errors, clean, required=False,
            message="Mesure de protection inconnue.")
    for name in CODE_FIELDS:
        if name not in data:
            continue
        raw = data.get(name)
        if raw is not None and not isinstance(raw, str):
            errors[name] = ["Texte attendu."]
            continue
        value = (raw or "").strip().upper()
        if not value:
            clean[name] = None
        elif name == "ins":
            if problem := identity.ins_problem(value):
                errors[name] = [problem]
            else:
                clean[name] = identity.compact_ins(value)
        elif name == "birth_country_insee":
            if not identity.is_country_code(value):
                errors[name] = ["Code pays INSEE attendu (5 chiffres commençant par 99, "
                                "ex. 99134 pour l'Espagne)."]
            else:
                clean[name] = value
        elif not identity.is_commune_code(value):
            errors[name] = ["Code commune INSEE invalide (5 caractères, ex. 11069)."]
        else:
            clean[name] = value
    if "gp_directory_service_id" in data:
        raw = data.get("gp_directory_service_id")
        if raw in (None, ""):
            clean["gp_directory_service_id"] = None
        elif is_id(raw):
            clean["gp_directory_service_id"] = raw
        else:
            errors["gp_directory_service_id"] = ["Identifiant de service attendu."]
    if clean.get("birth_first_names") and not clean.get("first_birth_first_name") \
            and "first_birth_first_name" not in errors:
        clean["first_birth_first_name"] = clean["birth_first_names"].split()[0]
    if clean.get("first_birth_first_name") and clean.get("birth_first_names") and \
            not _is_one_of(clean["first_birth_first_name"], clean["birth_first_names"]):
        errors.setdefault("first_birth_first_name", []).append(
            "Le premier prénom doit figurer dans la liste des prénoms de naissance.")
    if errors:
        raise ValidationError(errors)
    return clean


def _is_one_of(first: str, names: str) -> bool:
    """'Jean' is one of 'Jean Pierre', 'Jean-Pierre' of 'Jean-Pierre Marie'; 'Jean' is not
    one of 'Jeanne Marie'."""
    wanted = fold(first).split()
    words = fold(names).split()
    return any(words[i:i + len(wanted)] == wanted for i in range(len(words)))


def _choice(data: Mapping[str, Any], name: str, enum_cls: Any, errors: dict[str, list[str]],
            clean: dict[str, Any], *, required: bool, message: str) -> None:
    if name not in data and not required:
        return
    raw = data.get(name)
    try:
        clean[name] = enum_cls(raw)
    except ValueError:
        errors[name] = ["Ce champ est obligatoire." if raw in (None, "") else message]


def _refresh_keys(person: Person) -> None:
    person.name_key = phonetic_key(person.birth_name)
    person.used_name_key = phonetic_key(person.used_name) if person.used_name else None
    person.first_name_key = first_name_key(person.first_birth_first_name)
    person.search_text = fold(" ".join(filter(None, [
        person.birth_name, person.used_name, person.birth_first_names,
        person.used_first_name])))


def _status_consistency(values: Mapping[str, Any]) -> None:
    status = values.get("identity_status") or IdentityStatus.PROVISIONAL
    if problem := identity.status_problem(status, values.get("ins")):
        raise ValidationError({"identity_status": [problem]})
    if values.get("ins") and (problem := identity.ins_mismatch(
            values["ins"], values.get("sex"), values.get("birth_date"))):
        raise ValidationError({"ins": [problem]})


# --- duplicates ----------------------------------------------------------------------------

def traits_of(person: Person | Mapping[str, Any]) -> IdentityTraits:
    get = (lambda k: getattr(person, k)) if isinstance(person, Person) else person.get
    sex = get("sex")
    return IdentityTraits(
        birth_name=get("birth_name"), first_names=get("birth_first_names"),
        birth_date=get("birth_date"), sex=sex.value if sex is not None else None,
        used_name=get("used_name"), used_first_name=get("used_first_name"))


def find_duplicates(session: Session, traits: IdentityTraits, exclude_id: int | None = None,
                    only_likely: bool = True, visible_to: User | None = None
                    ) -> list[Candidate]:
    """Candidates selected by birth date (and its day/month swap) or by phonetic keys of
    name and first name, then scored; best first. With `visible_to`, only persons that
    user may see: a duplicate warning must not tell that another DAC follows someone."""
    name_keys = {phonetic_key(traits.birth_name)}
    if traits.used_name:
        name_keys.add(phonetic_key(traits.used_name))
    first_keys = {first_name_key(traits.first_names)}
    # Inverted entries ("Jean" typed as the name) meet through the crossed keys.
    crossed = {phonetic_key(first_word(traits.first_names))}
    query = select(Person).where(
        Person.merged_into_id.is_(None),
        or_(Person.birth_date.in_(birth_date_variants(traits.birth_date)),
            and_(or_(Person.name_key.in_(name_keys), Person.used_name_key.in_(name_keys)),
                 Person.first_name_key.in_(first_keys)),
            and_(Person.name_key.in_(crossed), Person.first_name_key.in_(name_keys))))
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    if visible_to is not None:
        query = query.where(policy.visible_persons_clause(visible_to))
    scored = [Candidate(p, compare(traits, traits_of(p))) for p in session.scalars(query)]
    if only_likely:
        scored = [c for c in scored if c.match.is_likely_duplicate]
    scored.sort(key=lambda c: c.match.score, reverse=True)
    return scored[:MAX_CANDIDATES]


# --- create, read, update ------------------------------------------------------------------

def _audit_shown(session: Session, shown: list[Person], detail: str) -> None:
    """Identities shown in a list or a warning are reads too; committed at once so that a
    refusal that follows does not drop them."""
    for person in shown:
        audit.record_read(session, person, detail=detail)
    session.commit()


def _same_ins(actor: User, ins: str) -> Any:
    """Records with this INS among those `actor` sees: each DAC of a region keeps its own
    files, and another DAC's record must not be revealed (not even that it exists) by a
    duplicate warning."""
    return select(Person).where(Person.ins == ins, Person.merged_into_id.is_(None),
                                policy.visible_persons_clause(actor))


def _check_ins_free(session: Session, actor: User, ins: str | None,
                    person_id: int | None) -> None:
    if not ins:
        return
    query = _same_ins(actor, ins)
    if person_id is not None:
        query = query.where(Person.id != person_id)
    holder = session.scalar(query)
    if holder is not None:
        raise ValidationError({"ins": [f"Ce matricule INS est déjà celui de la fiche "
                                       f"n° {holder.id}."]})

def _clean_with_communes(session: Session, data: Mapping[str, Any], today: date,
                         partial: bool = False) -> dict[str, Any]:
    """clean_person_fields, communes typed by name included; every problem named at once."""
    resolved, problems = _communes_by_code(session, data)
    try:
        values = clean_person_fields(resolved, today, partial=partial)
    except ValidationError as exc:
        raise ValidationError({**exc.fields, **problems}) from None
    if problems:
        raise ValidationError(problems)
    return values


def _communes_by_code(session: Session, data: Mapping[str, Any]
                      ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A commune typed by name (« Narbonne ») becomes its INSEE code; a name several
    communes share is refused listing them, so the coordinator picks one."""
    resolved = dict(data)
    problems: dict[str, list[str]] = {}
    for name in ("commune_insee", "birth_place_insee"):
        raw = data.get(name)
        if not isinstance(raw, str) or not raw.strip() \
                or identity.is_commune_code(raw.strip().upper()):
            continue
        found = directory_services.communes_named(session, raw)
        if len(found) == 1:
            resolved[name] = found[0][0]
            continue
        resolved.pop(name)  # named below, not again as an invalid code
        problems[name] = ["Plusieurs communes portent ce nom : " + ", ".join(
            f"{label} ({departement}) : {insee}" for insee, label, departement
            in found[:8]) + ". Indiquez le code INSEE."] if found else [
            f"Commune « {raw.strip()[:60]} » inconnue : indiquez son nom exact ou son "
            "code INSEE (ex. 11069)."]
    return resolved, problems


def create_person(session: Session, actor: User, data: Mapping[str, Any], *,
                  force: bool = False, force_reason: str | None = None,
                  today: date | None = None) -> Person:
    if not policy.can_edit_person(actor):
        raise NotFound()
    values = _clean_with_communes(session, data, today or date.today())
    _status_consistency(values)
    reason = " ".join((force_reason or "").split())
    if force and not reason:
        raise ValidationError({"reason": ["Expliquez pourquoi il ne s'agit pas d'un doublon."]})
    if values.get("ins"):
        same_ins = session.scalar(_same_ins(actor, values["ins"]))
        if same_ins is not None:
            _audit_shown(session, [same_ins], "même INS")
            raise DuplicatePerson("Une personne porte déjà ce matricule INS.",
                                  {"candidates": [candidate_json(Candidate(
                                      same_ins, compare(traits_of(values),
                                                        traits_of(same_ins))))]})
    if not force:
        candidates = find_duplicates(session, traits_of(values), visible_to=actor)
        if candidates:
            _audit_shown(session, [c.person for c in candidates], "candidats doublon")
            raise DuplicatePerson(
                "Cette personne ressemble à une ou plusieurs personnes déjà enregistrées : "
                "vérifiez avant de créer.",
                {"candidates": [candidate_json(c) for c in candidates]})
    person = Person(**values, created_by_user_id=actor.id,
                    duplicate_override_reason=reason if force else None)
    _refresh_keys(person)
    session.add(person)
    session.flush()
    session.add(IdentityStatusChange(person_id=person.id, from_status=None,
                                     to_status=person.identity_status,
                                     reason="Création" + (f" (doublon écarté : {reason})"
                                                          if force else ""),
                                     changed_by_user_id=actor.id))
    if force:
        audit.record(session, "duplicate_override", "persons", person.id, detail=reason[:500])
    session.commit()
    return person


def get_person(session: Session, actor: User, person_id: int, *, follow_merge: bool = True,
               detail: str | None = None) -> Person:
    """The person, audited as read; a merged record resolves to its survivor."""
    person = session.get(Person, person_id)
    hops = 0
    while follow_merge and person is not None and person.merged_into_id is not None \
            and hops < 10:
        person = session.get(Person, person.merged_into_id)
        hops += 1
    if person is None or not policy.can_view_person(session, actor, person):
        raise NotFound("Personne introuvable.")
    audit.record_read(session, person, detail=detail)
    return person


def update_person(session: Session, actor: User, person: Person, data: Mapping[str, Any],
                  expected_version: int | None, today: date | None = None) -> Person:
    """Everything is checked before anything changes: a refusal leaves the record as it
    was."""
    if not policy.can_edit_person(actor) or person.is_tombstone:
        raise NotFound("Personne introuvable.")
    check_version(person.version, expected_version, "cette personne")
    values = _clean_with_communes(session, {k: v for k, v in data.items()
                                            if k in EDITABLE_FIELDS},
                                  today or date.today(), partial=True)
    requested_status = values.pop("identity_status", None)
    changed = {k for k, v in values.items() if getattr(person, k) != v}
    lowered = identity.status_after_strict_trait_edit(person.identity_status, changed)
    new_status = lowered.new_status if lowered else (requested_status or person.identity_status)
    new_ins = values.get("ins", person.ins)
    _status_consistency({"identity_status": new_status, "ins": new_ins,
                         "sex": values.get("sex", person.sex),
                         "birth_date": values.get("birth_date", person.birth_date)})
    if "ins" in changed:
        _check_ins_free(session, actor, new_ins, person.id)
    for name in changed:
        setattr(person, name, values[name])
    if lowered is not None:
        _change_status(session, actor, person, lowered.new_status, lowered.reason)
    elif new_status != person.identity_status:
        _change_status(session, actor, person, new_status, "Statut modifié")
    _refresh_keys(person)
    session.commit()
    return person


def _change_status(session: Session, actor: User, person: Person,
                   new_status: IdentityStatus, reason: str) -> None:
    session.add(IdentityStatusChange(person_id=person.id, from_status=person.identity_status,
                                     to_status=new_status, reason=reason,
                                     changed_by_user_id=actor.id))
    person.identity_status = new_status


def name_matches(text: str | None) -> list[ColumnElement[bool]]:
    """Conditions on Person: every word of `text` in the person's names (accents, case
    and hyphens ignored); none for an empty text."""
    return [Person.search_text.contains(word, autoescape=True)
            for word in fold(text or "").split()]


def search_persons(session: Session, actor: User, text: str | None, birth_date: date | None,
                   page: int, per_page: int) -> Page[Person]:
    query = select(Person).where(Person.merged_into_id.is_(None),
                                 policy.visible_persons_clause(actor))
    query = query.where(*name_matches(text))
    if birth_date is not None:
        query = query.where(Person.birth_date.in_(birth_date_variants(birth_date)))
    # the folded names: « Élodie » sorts among the E, not after the Z
    query = query.order_by(Person.search_text, Person.id)
    result = paginate(session, query, page, per_page)
    _audit_shown(session, result.items, "recherche")
    return result


# --- information, opposition, consent ------------------------------------------------------

def record_consent(session: Session, actor: User, person: Person, data: Mapping[str, Any],
                   today: date | None = None) -> ConsentRecord:
    if not policy.can_edit_person(actor) or person.is_tombstone:
        raise NotFound("Personne introuvable.")
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    try:
        kind = ConsentKind(data.get("kind"))
    except ValueError:
        raise ValidationError({"kind": ["Valeurs possibles : information, opposition, "
                                        "consent."]}) from None
    try:
        recorded_on = _parse_date(data.get("recorded_on")) or today
    except ValueError:
        errors["recorded_on"] = ["Date attendue au format AAAA-MM-JJ."]
        recorded_on = today
    if recorded_on > today:
        errors["recorded_on"] = ["La date ne peut pas être dans le futur."]
    elif recorded_on < person.birth_date:
        errors["recorded_on"] = ["La date précède la naissance de la personne."]
    organisation = None
    organisation_id = data.get("organisation_id")
    if kind is not ConsentKind.CONSENT and organisation_id not in (None, ""):
        errors["organisation_id"] = ["Seul un consentement nomme une organisation."]
    if kind is ConsentKind.CONSENT:
        organisation = session.get(Organisation, organisation_id) \
            if is_id(organisation_id) else None
        if organisation is None:
            errors["organisation_id"] = ["Choisissez l'organisation à laquelle la personne "
                                         "consent à partager ses informations."]
        elif organisation.is_health_professional_team:
            errors["organisation_id"] = ["Cette organisation est une équipe de soins : "
                                         "l'information de la personne suffit."]
    method = data.get("method")
    if kind is ConsentKind.INFORMATION and method not in INFORMATION_METHODS:
        errors["method"] = ["Indiquez comment la personne a été informée : "
                            + ", ".join(INFORMATION_METHODS.values()).lower() + "."]
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = ["Texte attendu."]
    scope = data.get("scope")
    if scope is not None and (not isinstance(scope, str) or len(scope) > 200):
        errors["scope"] = ["Texte de 200 caractères au plus."]
    covers_health = data.get("covers_health_details", False)
    if covers_health in (None, ""):
        covers_health = False
    if not isinstance(covers_health, bool):
        errors["covers_health_details"] = ["Oui ou non attendu (true ou false)."]
    elif covers_health and kind is not ConsentKind.CONSENT:
        errors["covers_health_details"] = ["Seul un consentement nommant une organisation "
                                           "peut couvrir les informations de santé."]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord(person_id=person.id, kind=kind, organisation=organisation,
                           covers_health_details=covers_health is True,
                           scope=scope or None, method=method if kind is
                           ConsentKind.INFORMATION else None, recorded_on=recorded_on,
                           recorded_by_user_id=actor.id, note=(note or None))
    session.add(record)
    session.commit()
    return record


def revoke_consent(session: Session, actor: User, person: Person, record_id: int,
                   reason: str | None, today: date | None = None) -> ConsentRecord:
    """Revoke a consent, or lift an opposition. Information records are facts: never
    revoked."""
    record = session.get(ConsentRecord, record_id)
    if record is None or record.person_id != person.id or not policy.can_edit_person(actor):
        raise NotFound("Enregistrement introuvable.")
    if record.kind is ConsentKind.INFORMATION:
        raise Conflict("Une information délivrée ne se révoque pas.")
    if record.revoked_on is not None:
        raise Conflict("Cet enregistrement est déjà révoqué.")
    record.revoked_on = today or date.today()
    record.revoked_by_user_id = actor.id
    record.revocation_reason = " ".join((reason or "").split())[:500] or None
    session.commit()
    return record


def may_share_with(session: Session, person: Person,
                   organisation: Organisation) -> SharingDecision:
    """The one answer to "may this organisation see this person's situation?"."""
    active = list(session.scalars(select(ConsentRecord).where(
        ConsentRecord.person_id == person.id, ConsentRecord.revoked_on.is_(None))))
    return _decide(active, organisation)


def _decide(active: list[ConsentRecord], organisation: Organisation) -> SharingDecision:
    return sharing_decision(SharingFacts(
        informed=any(r.kind is ConsentKind.INFORMATION for r in active),
        opposition=any(r.kind is ConsentKind.OPPOSITION for r in active),
        organisation_is_health_team=organisation.is_health_professional_team,
        consent_for_organisation=any(r.kind is ConsentKind.CONSENT
                                     and r.organisation_id == organisation.id for r in active),
    ))


# --- merge ---------------------------------------------------------------------------------

def merge_persons(session: Session, actor: User, survivor_id: int, merged_id: int,
                  reason: str | None) -> PersonMerge:
    """Move everything that points to `merged` onto `survivor`; `merged` stays as a
    tombstone pointing to the survivor so that old links still resolve."""
    if not policy.can_merge_persons(actor):
        raise NotFound()
    survivor = session.get(Person, survivor_id) if is_id(survivor_id) else None
    merged = session.get(Person, merged_id) if is_id(merged_id) else None
    # a person of another DAC is absent for this actor: never merged into or from
    if merged is None or not policy.can_view_person(session, actor, merged):
        raise NotFound("Personne introuvable.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": ["Indiquez pourquoi ces deux fiches sont la même "
                                          "personne."]})
    if survivor_id == merged_id:
        raise Conflict("Impossible de fusionner une personne avec elle-même.")
    if survivor is None or not policy.can_view_person(session, actor, survivor):
        raise NotFound("Personne introuvable.")
    if survivor.is_tombstone:
        raise Conflict(f"La fiche n° {survivor.id} a déjà été fusionnée dans la fiche "
                       f"n° {survivor.merged_into_id} : fusionnez dans celle-ci.")
    if merged.is_tombstone:
        raise Conflict(f"La fiche n° {merged.id} a déjà été fusionnée.")
    if survivor.ins and merged.ins and survivor.ins != merged.ins:
        raise Conflict("Ces deux fiches portent des matricules INS différents : ce ne sont "
                       "pas la même personne (ou un INS est erroné : corrigez-le d'abord).")
    if merged.ins and not survivor.ins:
        # The national identifier follows the person; the checked status does not.
        survivor.ins = merged.ins
        merged.ins = None
    moved: dict[str, list[int]] = {}
    for model in PERSON_REFERENCES:
        # One object at a time: each move goes through the audit hook.
        rows = list(session.scalars(select(model).where(model.person_id == merged.id)))
        for row in rows:
            row.person_id = survivor.id
        if rows:
            moved[model.__tablename__] = [row.id for row in rows]
    merged.merged_into_id = survivor.id
    merged.merged_at = utcnow()
    record = PersonMerge(survivor_id=survivor.id, merged_id=merged.id, reason=reason,
                         moved=moved, performed_by_user_id=actor.id)
    session.add(record)
    audit.record(session, "merge", "persons", merged.id, detail=f"into {survivor.id}")
    session.commit()
    session.expire_all()
    return record


def undo_merge(session: Session, actor: User, merge_id: int) -> PersonMerge:
    if not policy.can_undo_merge(actor):
        raise NotFound()
    record = session.get(PersonMerge, merge_id)
    if record is None:
        raise NotFound("Fusion introuvable.")
    if record.undone_at is not None:
        raise Conflict("Cette fusion a déjà été annulée.")
    merged = session.get(Person, record.merged_id)
    survivor = session.get(Person, record.survivor_id)
    if merged is None or survivor is None or merged.merged_into_id != record.survivor_id:
        raise Conflict("La fiche fusionnée a changé depuis : annulation impossible.")
    if survivor.is_tombstone:
        raise Conflict(f"La fiche n° {survivor.id} a depuis été fusionnée dans la fiche "
                       f"n° {survivor.merged_into_id} : annulez d'abord cette fusion-là.")
    tables = {model.__tablename__: model for model in PERSON_REFERENCES}
    for table, ids in record.moved.items():
        model = tables[table]
        for row in session.scalars(select(model).where(model.id.in_(ids),
                                                       model.person_id == record.survivor_id)):
            row.person_id = merged.id
    merged.merged_into_id = None
    merged.merged_at = None
    record.undone_at = utcnow()
    record.undone_by_user_id = actor.id
    audit.record(session, "merge_undone", "persons", merged.id,
                 detail=f"from {record.survivor_id}")
    session.commit()
    session.expire_all()
    return record


def list_merges(session: Session, actor: User) -> list[PersonMerge]:
    if not policy.can_undo_merge(actor):
        raise NotFound()
    return list(session.scalars(select(PersonMerge).order_by(PersonMerge.id.desc()).limit(200)))


# --- representation ------------------------------------------------------------------------

def candidate_json(candidate: Candidate) -> dict[str, Any]:
    person = candidate.person
    return {
        "id": person.id, "birth_name": person.birth_name, "used_name": person.used_name,
        "birth_first_names": person.birth_first_names,
        "birth_date": person.birth_date.isoformat(), "sex": person.sex.value,
        "commune_insee": person.commune_insee,
        "birth_place_insee": person.birth_place_insee,
        "birth_country_insee": person.birth_country_insee,
        "identity_status": person.identity_status.value,
        "score": candidate.match.score,
        "scores": {"name": candidate.match.name, "first_name": candidate.match.first_name,
                   "birth_date": candidate.match.birth_date},
    }


@dataclass(frozen=True)
class PersonOverview:
    person: Person
    sharing: list[tuple[Organisation, SharingDecision]]
    duplicates: list[Candidate] | None
    merges: list[PersonMerge]
    situations: list[Any]  # theirs that the reader sees (none for an admin)
    commune_names: dict[str, str]  # INSEE code -> name, for the communes shown


def person_overview(session: Session, actor: User, person_id: int,
                    with_duplicates: bool = False) -> PersonOverview:
    """Everything the person page shows: identity (communes by name), who may see the
    situation and why, duplicate candidates on demand, merges into this record, their
    situations."""
    from coordination.services import situations

    person = get_person(session, actor, person_id, detail="fiche")
    sharing = sharing_options(session, person)
    duplicates = (find_duplicates(session, traits_of(person), exclude_id=person.id,
                                   visible_to=actor)
                  if with_duplicates else None)
    if duplicates:
        _audit_shown(session, [c.person for c in duplicates], "doublons possibles")
    merges = list(session.scalars(select(PersonMerge).where(
        PersonMerge.survivor_id == person.id).order_by(PersonMerge.id)))
    return PersonOverview(
        person, sharing, duplicates, merges,
        situations.list_situations(session, actor, person_id=person.id, per_page=20).items,
        directory_services.commune_names(session, [person.commune_insee,
                                                   person.birth_place_insee]))


def non_health_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(
        Organisation.is_health_professional_team.is_(False)).order_by(Organisation.name)))


@dataclass(frozen=True)
class MergePreview:
    first: Person
    second: Person
    match: MatchScore


def merge_preview(session: Session, actor: User, first_id: int, second_id: int) -> MergePreview:
    if not policy.can_merge_persons(actor):
        raise NotFound()
    first = get_person(session, actor, first_id, follow_merge=False, detail="fusion")
    second = get_person(session, actor, second_id, follow_merge=False, detail="fusion")
    return MergePreview(first, second, compare(traits_of(first), traits_of(second)))


# The traits a duplicate warning shows side by side: (field of candidate_json, label).
COMPARED_TRAITS = (("birth_name", "Nom de naissance"), ("used_name", "Nom d'usage"),
                   ("birth_first_names", "Prénoms"), ("birth_date", "Naissance"),
                   ("sex", "Sexe"), ("birth_place_insee", "Lieu de naissance"),
                   ("commune_insee", "Commune"))


def compare_with_candidates(session: Session, typed: Mapping[str, Any],
                            candidates: list[dict[str, Any]]
                            ) -> list[tuple[str, str, list[tuple[str, bool]]]]:
    """The identity typed beside each candidate (candidate_json), trait by trait: (trait,
    typed as shown, [(theirs as shown, differs)]). Values compare folded (accents, case,
    hyphens aside; digits kept, unlike the matcher's fold); dates, sexes and communes are
    shown as a person reads them."""
    places = ("birth_place_insee", "commune_insee")
    names = directory_services.commune_names(session, [
        row.get(key) for row in (typed, *candidates) for key in places])
    sexes = {sex.value: sex.label for sex in Sex}

    def shown(key: str, value: Any) -> str:
        if not value:
            return "—"
        if key == "birth_date":
            return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
        if key == "sex":
            return sexes.get(value, value)
        if key in places and value in names:
            return f"{names[value]} ({value})"
        return str(value)

    rows = []
    for key, label in COMPARED_TRAITS:
        mine = directory_text.fold(str(typed.get(key) or ""))
        rows.append((label, shown(key, typed.get(key)), [
            (shown(key, row.get(key)),
             bool(mine or row.get(key))
             and mine != directory_text.fold(str(row.get(key) or "")))
            for row in candidates]))
    return rows


def sharing_options(session: Session, person: Person,
                    organisations: Sequence[Organisation] | None = None
                    ) -> list[tuple[Organisation, SharingDecision]]:
    """Every organisation (or those given: a screen asking for several persons reads them
    once) with the answer for this person (share forms)."""
    active = [record for record in person.consents if record.revoked_on is None]
    if organisations is None:
        organisations = accounts.list_organisations(session)
    return [(organisation, _decide(active, organisation)) for organisation in organisations]
