"""HTML forms (Flask-WTF: CSRF token on every form, typed values kept on errors)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coordination.domain.accounts import OrganisationType, Role
from coordination.domain.errors import ValidationError

REQUIRED = "Ce champ est obligatoire."


class Form(FlaskForm):
    """Every form of the application: WTForms' own French messages ("N'est pas un choix valide")."""

    class Meta:
        locales = ("fr_FR", "fr")


class LoginForm(Form):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})


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
