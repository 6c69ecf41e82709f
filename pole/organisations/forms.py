"""Forms of the organisation pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from pole.auth.forms import EMAIL_MESSAGE, normalise_email
from pole.organisations.models import KIND_LABELS, ROLE_LABELS


class InviteForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail de la personne",
        validators=[InputRequired("Indiquez son adresse e-mail."), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
    )
    name = StringField("Son nom (facultatif)", validators=[Optional(), Length(max=120)])
    role = RadioField(
        "Rôle",
        choices=list(ROLE_LABELS.items()),
        default="volunteer",
        validators=[InputRequired("Choisissez un rôle.")],
    )


class RoleForm(FlaskForm):
    role = SelectField("Rôle", choices=list(ROLE_LABELS.items()))


class OrganisationForm(FlaskForm):
    name = StringField("Nom", validators=[InputRequired("Indiquez le nom."), Length(max=120)])
    short_name = StringField(
        "Nom court (agenda)",
        validators=[InputRequired("Indiquez un nom court."), Length(max=40)],
    )
    kind = SelectField("Type", choices=list(KIND_LABELS.items()))
    colour = StringField(
        "Couleur",
        default="#4a5568",
        validators=[
            InputRequired("Choisissez une couleur."),
            Regexp(
                r"^#[0-9a-fA-F]{6}$", message="Une couleur au format #RRVVBB, par exemple #c53030."
            ),
        ],
        render_kw={"type": "color"},
    )
    email = EmailField(
        "E-mail de contact (facultatif)",
        validators=[Optional(), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
    )
