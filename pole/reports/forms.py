"""Forms of the report: the period it covers, and a resource's value from a date."""

from __future__ import annotations

from datetime import date

from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from pole.formatting import MONTHS
from pole.forms import DayField, Form, Given
from pole.reports import rules

PERIOD_KINDS = [("year", "Année"), ("quarter", "Trimestre"), ("month", "Mois"), ("dates", "Dates")]
QUARTERS = ["1er trimestre", "2e trimestre", "3e trimestre", "4e trimestre"]
MAX_DAYS = 3 * 366


class PeriodForm(Form):
    """The period of the report: a year, a quarter, a month, or from one date to another."""

    class Meta:
        csrf = False  # a GET filter

    kind = SelectField(
        "Période", choices=[SelectChoice(k, v) for k, v in PERIOD_KINDS], default="year"
    )
    year = IntegerField("Année", validators=[Optional()])
    quarter = SelectField(
        "Trimestre",
        choices=[SelectChoice(n, name) for n, name in enumerate(QUARTERS, 1)],
        coerce=int,
        default=1,
    )
    month = SelectField(
        "Mois",
        choices=[SelectChoice(n, name) for n, name in enumerate(MONTHS, 1)],
        coerce=int,
        default=1,
    )
    first_day = DayField("Du", validators=[Optional()])
    last_day = DayField("Au (inclus)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        if self.year.data is not None and not 2000 <= self.year.data <= 2099:
            self.year.errors = [*self.year.errors, "Choisissez une année entre 2000 et 2099."]
        if self.kind.data == "dates":
            for f in (self.first_day, self.last_day):
                if f.data is None and not f.errors:
                    f.errors = [*f.errors, "Indiquez une date comme 14/03/2026."]
            first, last = self.first_day.data, self.last_day.data
            if first and last and last < first:
                self.last_day.errors = [*self.last_day.errors, "La fin vient avant le début."]
            elif first and last and (last - first).days >= MAX_DAYS:
                self.last_day.errors = [*self.last_day.errors, "Trois ans au plus."]
        return valid and not any(f.errors for f in self)

    def period(self, today: date) -> rules.Period:
        """The period asked for (the current year when the form is empty or wrong)."""
        year = self.year.data or today.year
        if any(f.errors for f in self):
            return rules.whole_year(today.year)
        if self.kind.data == "quarter":
            return rules.quarter(year, self.quarter.data)
        if self.kind.data == "month":
            return rules.month(year, self.month.data)
        if self.kind.data == "dates":
            return rules.Period(self.first_day.data, self.last_day.data)
        return rules.whole_year(year)


class EuroField(StringField):
    """An amount in euros, typed '25' or '12,50', held in cents (None when left empty)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = rules.parse_euros(valuelist[0])

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return rules.format_euros(self.data).replace("\u00a0€", "") if self.data is not None else ""


PRICINGS = [("hour", "À l'heure"), ("day", "À la demi-journée et à la journée")]


class ValueForm(Form):
    """What a room or a piece of equipment is worth, from a date on."""

    resource_id = SelectField(
        "Salle ou matériel",
        coerce=int,
        validators=[InputRequired("Choisissez une salle ou du matériel.")],
    )
    valid_from = DayField("À partir du", validators=[Given("Indiquez une date comme 14/03/2026.")])
    pricing = RadioField(
        "Valorisation", choices=[SelectChoice(k, v) for k, v in PRICINGS], default="hour"
    )
    per_hour = EuroField("Valeur d'une heure (€)")
    per_half_day = EuroField("Valeur d'une demi-journée, 4 h au plus (€)")
    per_day = EuroField("Valeur d'une journée (€)")

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        if self.pricing.data == "hour" and self.per_hour.data is None and not self.per_hour.errors:
            self.per_hour.errors = [*self.per_hour.errors, "Indiquez la valeur d'une heure."]
        if (
            self.pricing.data == "day"
            and self.per_half_day.data is None
            and self.per_day.data is None
            and not (self.per_half_day.errors or self.per_day.errors)
        ):
            self.per_day.errors = [
                *self.per_day.errors,
                "Indiquez la valeur d'une demi-journée, d'une journée, ou des deux.",
            ]
        return valid and not any(f.errors for f in self)
