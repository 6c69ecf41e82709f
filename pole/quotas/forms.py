"""Forms of the quota pages: a quota, a group of resources, the Partage period."""

from __future__ import annotations

from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from pole.auth.forms import strip_text
from pole.forms import DayField, Form, Given
from pole.quotas.models import PERIOD_LABELS, UNIT_LABELS

WHO_KINDS = {"kind:association": "Chaque association", "kind:partner": "Chaque partenaire"}


class QuotaForm(Form):
    """One quota: who, on what, per which period, how much."""

    who = SelectField("Pour", validate_choice=False)
    what = SelectField("Sur", validate_choice=False)
    period = RadioField(
        "Période",
        choices=[SelectChoice(k, v) for k, v in PERIOD_LABELS.items()],
        default="month",
        validate_choice=False,
    )
    season_start = DayField("Début de la saison", validators=[Optional()])
    season_end = DayField("Fin de la saison (incluse)", validators=[Optional()])
    unit = RadioField(
        "Compté en",
        choices=[SelectChoice(k, v) for k, v in UNIT_LABELS.items()],
        default="hours",
        validate_choice=False,
    )
    maximum = IntegerField(
        "Au plus",
        validators=[
            InputRequired("Indiquez le maximum."),
            NumberRange(0, 100000, "Entre 0 et 100 000."),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        for f in (self.who, self.what):
            if f.data not in {c.value for c in f.choices}:
                f.errors = [*f.errors, "Choisissez dans la liste."]
        if self.period.data not in PERIOD_LABELS:
            self.period.errors = [*self.period.errors, "Choisissez une période."]
        if self.unit.data not in UNIT_LABELS:
            self.unit.errors = [*self.unit.errors, "Choisissez heures ou réservations."]
        if self.period.data == "season":
            if not self.season_start.data:
                self.season_start.errors = [*self.season_start.errors, "Indiquez le début."]
            if not self.season_end.data:
                self.season_end.errors = [*self.season_end.errors, "Indiquez la fin."]
            elif self.season_start.data and self.season_end.data < self.season_start.data:
                self.season_end.errors = [
                    *self.season_end.errors,
                    "La fin ne peut pas précéder le début.",
                ]
        return valid and not any(f.errors for f in self)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GroupForm(Form):
    """A named group of resources counted together by a quota."""

    name = StringField(
        "Nom",
        filters=[strip_text],
        validators=[
            Given("Donnez un nom, par exemple « les deux bureaux »."),
            Length(max=80, message="80 caractères au plus."),
        ],
    )
    members = MultiCheckboxField("Ressources", coerce=int, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        allowed = {c.value for c in self.members.choices}
        if not self.members.data or not set(self.members.data) <= allowed:
            self.members.errors = [*self.members.errors, "Cochez au moins une ressource."]
        return valid and not self.members.errors


class SharingForm(Form):
    """The period the Partage page shows: a month by default, or from one day to another."""

    class Meta:
        csrf = False  # a GET filter

    month = StringField("Mois", render_kw={"type": "month"})
    first_day = DayField("Du", validators=[Optional()])
    last_day = DayField("Au (inclus)", validators=[Optional()])
