"""Forms of the public page: an organisation's presentation, the way to the building."""

from __future__ import annotations

from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from pole.forms import Form

_LONG = Length(max=2000, message="2 000 caractères au plus.")
_SHORT = Length(max=500, message="500 caractères au plus.")


class PresentationForm(Form):
    """What an organisation tells the public: who it is, what it offers, to whom, when, how."""

    public_presentation = TextAreaField("Présentation", validators=[_LONG])
    public_offer = TextAreaField("Ce que nous proposons", validators=[_LONG])
    public_audience = TextAreaField("Pour qui", validators=[_SHORT])
    public_hours = TextAreaField("Nos horaires d'accueil", validators=[_SHORT])
    public_contact = TextAreaField("Comment nous joindre", validators=[_SHORT])
    public_shown = BooleanField("Afficher cette organisation sur la page publique")


class DirectionsForm(Form):
    directions = TextAreaField("Comment venir", validators=[_LONG])
