"""Forms of the account pages."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional

from pole.auth.passwords import MIN_LENGTH
from pole.forms import Form

EMAIL_MESSAGE = "Saisissez une adresse e-mail valide, par exemple marie@exemple.fr."


def normalise_email(value: str | None) -> str:
    return (value or "").strip().lower()


def strip_text(value: str | None) -> str:
    """Typed text without its surrounding spaces, so that "   " counts as nothing typed."""
    return (value or "").strip()


class LoginForm(Form):
    email = EmailField(
        "Adresse e-mail",
        validators=[InputRequired("Saisissez votre adresse e-mail."), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[InputRequired("Saisissez votre mot de passe.")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Rester connecté·e sur cet appareil")


class NewPasswordForm(Form):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[
            InputRequired("Choisissez un mot de passe."),
            Length(
                min=MIN_LENGTH,
                max=200,
                message=f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[
            InputRequired("Saisissez à nouveau le mot de passe."),
            EqualTo("password", "Les deux mots de passe ne sont pas identiques."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInvitationForm(NewPasswordForm):
    name = StringField(
        "Votre nom",
        validators=[
            DataRequired("Indiquez votre nom."),
            Length(max=120, message="120 caractères au plus."),
        ],
        filters=[strip_text],
        render_kw={"autocomplete": "name"},
    )


class ResetRequestForm(Form):
    email = EmailField(
        "Adresse e-mail",
        validators=[InputRequired("Saisissez votre adresse e-mail."), Email(EMAIL_MESSAGE)],
        filters=[normalise_email],
        render_kw={"autocomplete": "email"},
    )


class AccountForm(Form):
    name = StringField(
        "Nom",
        validators=[
            DataRequired("Indiquez votre nom."),
            Length(max=120, message="120 caractères au plus."),
        ],
        filters=[strip_text],
    )
    phone = StringField(
        "Téléphone",
        validators=[Optional(), Length(max=40, message="40 caractères au plus.")],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Mot de passe actuel",
        validators=[InputRequired("Saisissez votre mot de passe actuel.")],
        render_kw={"autocomplete": "current-password"},
    )
