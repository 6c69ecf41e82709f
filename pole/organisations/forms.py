"""Forms of the organisation pages."""

from __future__ import annotations

from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from pole.auth.forms import EMAIL_MESSAGE, normalise_email, strip_text
from pole.forms import Form
from pole.organisations.models import KIND_LABELS, ROLE_LABELS

ROLE_CHOICES = [SelectChoice(role, label) for role, label in ROLE_LABELS.items()]
# What a coordinator may offer: only the building manager appoints coordinators.
VOLUNTEER_ONLY = [SelectChoice("volunteer", ROLE_LABELS["volunteer"])]


class InviteForm(Form):
    email = EmailField(
        "Adresse e-mail de la personne",
        validators=[InputRequired("Indiquez son adresse e-mail."), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
    )
    name = StringField(
        "Son nom (facultatif)",
        validators=[Optional(), Length(max=120, message="120 caractères au plus.")],
        filters=[strip_text],
    )
    role = RadioField(
        "Rôle",
        choices=ROLE_CHOICES,
        default="volunteer",
        validators=[InputRequired("Choisissez un rôle.")],
    )


class RoleForm(Form):
    role = SelectField("Rôle", choices=ROLE_CHOICES)


class OrganisationForm(Form):
    name = StringField(
        "Nom",
        validators=[
            DataRequired("Indiquez le nom."),
            Length(max=120, message="120 caractères au plus."),
        ],
        filters=[strip_text],
    )
    short_name = StringField(
        "Nom court (agenda)",
        validators=[
            DataRequired("Indiquez un nom court."),
            Length(max=40, message="40 caractères au plus."),
        ],
        filters=[strip_text],
    )
    kind = SelectField("Type", choices=[SelectChoice(k, label) for k, label in KIND_LABELS.items()])
    colour = StringField(
        "Couleur",
        default="#4a5568",
        validators=[
            InputRequired("Choisissez une couleur."),
            Regexp(
                r"^#[0-9a-fA-F]{6}\Z", message="Une couleur au format #RRVVBB, par exemple #c53030."
            ),
        ],
        render_kw={"type": "color"},
    )
    email = EmailField(
        "E-mail de contact (facultatif)",
        validators=[Optional(), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
    )
