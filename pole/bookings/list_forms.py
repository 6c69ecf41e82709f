"""The filters of 'Nos réservations': a GET form that works without JavaScript."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from pole.forms import Form

WHEN_CHOICES = [SelectChoice("a-venir", "À venir"), SelectChoice("passees", "Passées")]


class ListFiltersForm(Form):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    quand = SelectField("Quand", choices=WHEN_CHOICES, default="a-venir")
    ressource = SelectField("Salle ou matériel", coerce=int, default=0, choices=[])
    organisation_id = SelectField("Organisation", coerce=int, default=0, choices=[])
    moi = BooleanField("Seulement celles que j'ai faites")
    page = IntegerField(
        "Page",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=10_000, message="Page inconnue.")],
    )
