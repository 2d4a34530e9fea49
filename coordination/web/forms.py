"""HTML forms (Flask-WTF: CSRF token on every form, typed values kept on errors)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.calls import CallerType, CallOutcome, Channel
from coordination.domain.consent import INFORMATION_METHODS
from coordination.domain.errors import ValidationError
from coordination.domain.identity import IdentityStatus, LegalProtection, Sex

REQUIRED = "Ce champ est obligatoire."


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class Form(FlaskForm):
    """Every form of the application: WTForms' own French messages ("N'est pas un choix valide")."""

    class Meta:
        locales = ("fr_FR", "fr")


class LoginForm(Form):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})


class SecondFactorForm(Form):
    code = StringField("Code à 6 chiffres (ou code de secours)",
                       validators=[DataRequired(REQUIRED), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autofocus": True,
                                  "inputmode": "text", "spellcheck": "false"})


class PasswordChangeForm(Form):
    current_password = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "Nouveau mot de passe (12 caractères au moins)", validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"})


class OrganisationForm(Form):
    name = StringField("Nom", validators=[DataRequired(REQUIRED), Length(max=200)])
    type = SelectField("Type", choices=[(k.value, k.label) for k in OrganisationType])
    is_health_professional_team = SelectField(
        "Équipe de soins (partage sans consentement explicite, CSP L1110-4)",
        choices=[("", "Selon le type"), ("yes", "Oui"), ("no", "Non")])
    finess = StringField("N° FINESS (facultatif)", validators=[Optional(), Length(max=9)])
    agreement_signed_on = DateField("Convention signée le", validators=[Optional()])
    agreement_ends_on = DateField("Convention valable jusqu'au", validators=[Optional()])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    full_name = StringField("Nom et prénom", validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    organisation_id = SelectField("Organisation", coerce=int)
    roles = MultiCheckboxField("Rôles", choices=[(r.value, r.label) for r in Role])
    password = PasswordField("Mot de passe initial (12 caractères au moins)",
                             validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})


class ConfirmForm(Form):
    """A button that changes state: POST with a CSRF token, nothing else."""

    enabled = BooleanField()


def apply_errors(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's per-field messages next to the fields they concern."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


# --- persons -----------------------------------------------------------------------------------

def _choices(enum_cls: type, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(member.value, member.label) for member in enum_cls]  # type: ignore[attr-defined]
    return [("", blank), *options] if blank is not None else options


class PersonForm(Form):
    birth_name = StringField("Nom de naissance", validators=[DataRequired(REQUIRED),
                                                             Length(max=100)])
    birth_first_names = StringField(
        "Prénoms de naissance (tous, dans l'ordre de l'état civil)",
        validators=[DataRequired(REQUIRED), Length(max=200)])
    first_birth_first_name = StringField("Premier prénom de naissance",
                                         validators=[Optional(), Length(max=100)])
    birth_date = DateField("Date de naissance", validators=[DataRequired(REQUIRED)])
    # No default: a pre-selected sex is an identity error waiting to happen (RNIV). The
    # service requires it, with the form's other problems at once.
    sex = SelectField("Sexe", choices=_choices(Sex, "— à choisir —"))
    birth_place_insee = StringField("Lieu de naissance (commune d'Occitanie par son nom, "
                                    "ou code commune INSEE)",
                                    validators=[Optional(), Length(max=100)])
    birth_country_insee = StringField("ou code pays INSEE si né·e à l'étranger",
                                      validators=[Optional(), Length(max=5)])
    used_name = StringField("Nom utilisé", validators=[Optional(), Length(max=100)])
    used_first_name = StringField("Prénom utilisé", validators=[Optional(), Length(max=100)])
    identity_status = SelectField("Statut de l'identité", choices=_choices(IdentityStatus))
    ins = StringField("Matricule INS (identité récupérée ou qualifiée)",
                      validators=[Optional(), Length(max=21)])
    commune_insee = StringField("Commune de résidence (nom ou code INSEE)",
                                validators=[Optional(), Length(max=100)])
    address = StringField("Adresse", validators=[Optional(), Length(max=300)])
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30)])
    gp_name = StringField("Médecin traitant", validators=[Optional(), Length(max=200)])
    gp_phone = StringField("Téléphone du médecin traitant", validators=[Optional(),
                                                                        Length(max=30)])
    caregiver_name = StringField("Aidant", validators=[Optional(), Length(max=200)])
    caregiver_relation = StringField("Lien avec la personne", validators=[Optional(),
                                                                          Length(max=100)])
    caregiver_phone = StringField("Téléphone de l'aidant", validators=[Optional(),
                                                                       Length(max=30)])
    legal_protection = SelectField("Mesure de protection juridique",
                                   choices=_choices(LegalProtection))
    legal_protection_holder = StringField("Mandataire (nom, service)",
                                          validators=[Optional(), Length(max=200)])
    version = HiddenField()
    force = BooleanField("Je confirme qu'il s'agit d'une autre personne")
    force_reason = StringField("Pourquoi ce n'est pas un doublon", validators=[Optional(),
                                                                               Length(max=500)])

    PERSON_FIELDS = ("birth_name", "birth_first_names", "first_birth_first_name", "birth_date",
                     "sex", "birth_place_insee", "birth_country_insee", "used_name",
                     "used_first_name", "identity_status", "ins", "commune_insee", "address",
                     "phone", "gp_name", "gp_phone", "caregiver_name", "caregiver_relation",
                     "caregiver_phone", "legal_protection", "legal_protection_holder")

    def person_data(self) -> dict[str, object]:
        return {name: getattr(self, name).data for name in self.PERSON_FIELDS}


class ConsentForm(Form):
    kind = HiddenField()
    # The service checks these against the kind of record (422 naming the field).
    method = SelectField("Comment la personne a-t-elle été informée ?",
                         choices=[("", "—"), *INFORMATION_METHODS.items()],
                         validate_choice=False)
    organisation_id = SelectField("Organisation (hors équipe de soins)", coerce=_int_or_none,
                                  choices=[], validate_choice=False)
    scope = StringField("Portée du consentement", validators=[Optional(), Length(max=200)])
    covers_health_details = BooleanField(
        "Le consentement couvre aussi les informations de santé (troubles psychiques, "
        "addictions, handicap, violences, risque suicidaire)")
    recorded_on = DateField("Date", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])

    def consent_data(self) -> dict[str, object]:
        return {"kind": self.kind.data, "method": self.method.data or None,
                "organisation_id": self.organisation_id.data, "scope": self.scope.data,
                "covers_health_details": bool(self.covers_health_details.data),
                "recorded_on": self.recorded_on.data, "note": self.note.data}


class RevokeForm(Form):
    reason = StringField("Motif", validators=[Optional(), Length(max=500)])


class MergeForm(Form):
    survivor_id = RadioField("Fiche à conserver", coerce=int, choices=[])
    reason = StringField("Pourquoi ces deux fiches sont la même personne",
                         validators=[DataRequired(REQUIRED), Length(max=500)])


# --- calls -------------------------------------------------------------------------------------

class CallForm(Form):
    """The call screen: every field on one screen, in the order a call unfolds."""

    caller_name = StringField("Appelant", validators=[Length(max=200)],
                              render_kw={"autofocus": True, "list": "known-callers",
                                         "autocomplete": "off"})
    caller_phone = StringField("Téléphone", validators=[Length(max=30)],
                               render_kw={"type": "tel", "autocomplete": "off"})
    caller_type = RadioField("Qui appelle ?", choices=_choices(CallerType),
                             default=CallerType.PROFESSIONAL.value)
    caller_role = StringField("Fonction", validators=[Length(max=120)],
                              render_kw={"list": "known-roles"})
    caller_organisation = StringField("Structure", validators=[Length(max=200)],
                                      render_kw={"list": "known-organisations",
                                                 "autocomplete": "off"})
    motives = MultiCheckboxField("Motif(s) de l'appel", choices=[])
    person_label = StringField("Personne concernée (si elle est nommée : nom, âge, commune)",
                               validators=[Length(max=200)])
    person_id = HiddenField()
    outcome = RadioField("Suite donnée", choices=_choices(CallOutcome),
                         default=CallOutcome.INFORMATION.value)
    service_query = StringField("Chercher un service dans l'annuaire",
                                render_kw={"type": "search", "autocomplete": "off"})
    service_ids = MultiCheckboxField("Services proposés à l'appelant", coerce=int, choices=[],
                                     validate_choice=False)
    situation_id = StringField("N° de la situation existante", validators=[Length(max=12)],
                               render_kw={"inputmode": "numeric"})
    callback_due_at = DateTimeLocalField("Rappeler le", validators=[Optional()],
                                         format="%Y-%m-%dT%H:%M")
    notes = TextAreaField("Notes", validators=[Length(max=5000)], render_kw={"rows": 3})
    received_at = DateTimeLocalField("Reçu le", validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    channel = SelectField("Canal", choices=_choices(Channel), default=Channel.PHONE.value)
    duration = StringField("Durée (min:s)", validators=[Length(max=8)],
                           render_kw={"inputmode": "numeric", "data-call-timer": "1",
                                      "autocomplete": "off"})
    # the timer's own state, so that it keeps running after a refused save (app.js)
    timer_started = HiddenField(validators=[Length(max=20)])
    timer_corrected = HiddenField(validators=[Length(max=1)])

    def call_data(self, zone: object) -> dict[str, object]:
        received = self.received_at.data
        due = self.callback_due_at.data
        return {
            "caller_name": self.caller_name.data, "caller_phone": self.caller_phone.data,
            "caller_type": self.caller_type.data, "caller_role": self.caller_role.data,
            "caller_organisation": self.caller_organisation.data,
            "motives": list(self.motives.data or []),
            "person_label": self.person_label.data,
            "person_id": _int_or_none(self.person_id.data),
            "outcome": self.outcome.data, "service_ids": list(self.service_ids.data or []),
            "situation_id": _situation_number(self.situation_id.data),
            "callback_due_at": due.replace(tzinfo=zone) if due else None,  # type: ignore[arg-type]
            "notes": self.notes.data, "channel": self.channel.data,
            "received_at": received.replace(tzinfo=zone) if received else None,  # type: ignore[arg-type]
            "duration": self.duration.data or "",
        }


def _situation_number(text: str | None) -> object:
    text = (text or "").strip().lstrip("n°º ").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else text


class CallbackForm(Form):
    note = TextAreaField("Ce qui a été dit au rappel", validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})


class CallMotiveForm(Form):
    code = StringField("Code (minuscules, sans espace)", validators=[DataRequired(REQUIRED),
                                                                     Length(max=40)])
    label = StringField("Libellé", validators=[DataRequired(REQUIRED), Length(max=120)])
