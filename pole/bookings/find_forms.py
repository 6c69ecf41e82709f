"""The "Trouver un créneau" form: parse and bound the search, hand back a frozen query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from pole.bookings.forms import HourField
from pole.forms import DayField, Form, Given

MOST_DAYS = 14
# What "afternoon" means when someone looks for a room: wall minutes of the day.
MOMENTS = {
    "journee": ("Toute la journée", 0, 1440),
    "matin": ("Le matin (avant 12:00)", 0, 12 * 60),
    "apres-midi": ("L’après-midi (12:00–18:00)", 12 * 60, 18 * 60),
    "soir": ("En soirée (après 18:00)", 18 * 60, 1440),
}
DURATIONS = [(30, "30 min"), (60, "1 h"), (90, "1 h 30"), (120, "2 h"), (180, "3 h"), (240, "4 h")]
DURATIONS += [(360, "6 h"), (480, "8 h")]
KINDS = [("", "Salles et matériel"), ("room", "Une salle"), ("equipment", "Du matériel")]


@dataclass(frozen=True)
class FindQuery:
    first: date
    last: date
    earliest: int
    latest: int
    duration: int
    people: int | None
    kind: str


class FindForm(Form):
    """Search by day (or up to 14 days), moment or hours, duration, people and kind."""

    class Meta:
        csrf = False  # a search changes nothing; it is a GET that can be bookmarked

    date = DayField("Le", validators=[Given("Indiquez un jour.")])
    until = DayField("Jusqu’au (facultatif)", validators=[Optional()])
    moment = SelectField(
        "Moment", choices=[SelectChoice(k, v[0]) for k, v in MOMENTS.items()], default="journee"
    )
    start = HourField("Entre (facultatif)", validators=[Optional()])
    end = HourField("Et (facultatif)", validators=[Optional()])
    duration = SelectField(
        "Durée", coerce=int, choices=[SelectChoice(*d) for d in DURATIONS], default=60
    )
    people = IntegerField(
        "Nombre de personnes (facultatif)",
        validators=[Optional(), NumberRange(1, 500, "Entre 1 et 500 personnes.")],
        render_kw={"inputmode": "numeric"},
    )
    kind = SelectField("Quoi", choices=[SelectChoice(*k) for k in KINDS], default="")

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        if not super().validate(extra_validators):
            return False
        ok = True
        if self.until.data and self.until.data < self.date.data:
            self.until.errors.append("Choisissez un jour après le premier.")
            ok = False
        elif self.until.data and self.until.data - self.date.data >= timedelta(days=MOST_DAYS):
            self.until.errors.append(f"Cherchez sur {MOST_DAYS} jours au plus.")
            ok = False
        earliest, latest = self._hours()
        if latest - earliest < self.duration.data:
            field = self.end if self.end.data else self.duration
            field.errors.append("Ce moment est plus court que la durée cherchée.")
            ok = False
        return ok

    def _hours(self) -> tuple[int, int]:
        _label, earliest, latest = MOMENTS[self.moment.data]
        if self.start.data:
            earliest = self.start.data.hour * 60 + self.start.data.minute
        if self.end.data:
            latest = self.end.data.hour * 60 + self.end.data.minute or 1440
        return earliest, latest

    def query(self) -> FindQuery:
        earliest, latest = self._hours()
        return FindQuery(
            first=self.date.data,
            last=self.until.data or self.date.data,
            earliest=earliest,
            latest=latest,
            duration=self.duration.data,
            people=self.people.data,
            kind=self.kind.data,
        )
