"""Forms of the resource pages: a room or equipment and its booking policy."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from pole.auth.forms import strip_text
from pole.formatting import WEEKDAYS, format_hhmm
from pole.forms import Form
from pole.organisations.models import KIND_LABELS
from pole.sites.fields import SiteField

_INTERVAL = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s*[-–à]\s*(\d{1,2})[:h](\d{2})\s*$")


def parse_hours(text: str) -> list[list[int]]:
    """Parse "08:00-12:00, 14:00-19:00" into minute intervals; "" means closed."""
    intervals: list[list[int]] = []
    text = (text or "").strip()
    if not text or text.lower() in {"fermé", "ferme", "-"}:
        return intervals
    for part in text.split(","):
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(f"« {part.strip()} » n'est pas une plage comme 08:00-12:00.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or start >= end or end > 1440:
            raise ValueError(f"La plage « {part.strip()} » n'est pas valable.")
        if intervals and start < intervals[-1][1]:
            raise ValueError("Les plages doivent se suivre sans se chevaucher.")
        intervals.append([start, end])
    return intervals


def format_hours(intervals: list) -> str:
    """Minute intervals as typed in the form: "08:00-12:00, 14:00-19:00"."""
    return ", ".join(f"{format_hhmm(a)}-{format_hhmm(b)}" for a, b in intervals)


class HoursField(StringField):
    """One weekday's opening hours, typed as "08:00-12:00, 14:00-19:00"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        try:
            self.data = parse_hours(self.raw)
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_hours(self.data or [])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _minutes(label: str, minimum: int, maximum: int, default: int) -> IntegerField:
    return IntegerField(
        label,
        default=default,
        validators=[
            InputRequired("Indiquez une durée en minutes."),
            NumberRange(minimum, maximum, f"Entre {minimum} et {maximum} minutes."),
        ],
        render_kw={"inputmode": "numeric"},
    )


class ResourceForm(Form):
    # Its choices are the sites the manager manages; removed when there is only one site.
    site_id = SiteField("Site")
    name = StringField(
        "Nom",
        validators=[
            DataRequired("Indiquez le nom."),
            Length(max=120, message="120 caractères au plus."),
        ],
        filters=[strip_text],
    )
    kind = SelectField(
        "Type",
        choices=[SelectChoice("room", "Salle"), SelectChoice("equipment", "Matériel partagé")],
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")],
    )
    practical_info = TextAreaField(
        "Informations pratiques",
        validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")],
    )
    capacity = IntegerField(
        "Capacité (personnes)",
        validators=[Optional(), NumberRange(1, 2000, "Entre 1 et 2000 personnes.")],
    )
    quantity = IntegerField(
        "Nombre d'unités prêtables en même temps",
        default=1,
        validators=[InputRequired("Indiquez un nombre."), NumberRange(1, 10000, "Au moins 1.")],
    )
    unit_singular = StringField(
        "Une unité s'appelle (ex. « table pliante »)",
        validators=[
            Length(max=60, message="60 caractères au plus.")
        ],  # not Optional(): it would skip the pairing check
        filters=[strip_text],
    )
    unit_plural = StringField(
        "Plusieurs unités (ex. « tables pliantes »)",
        validators=[Length(max=60, message="60 caractères au plus.")],
        filters=[strip_text],
    )
    position = IntegerField(
        "Ordre d'affichage",
        default=0,
        validators=[Optional(), NumberRange(-10000, 10000, "Entre -10000 et 10000.")],
    )
    granularity_minutes = _minutes("Pas de réservation (minutes)", 5, 240, 15)
    min_duration_minutes = _minutes("Durée minimale (minutes)", 5, 60 * 24 * 31, 15)
    max_duration_minutes = _minutes("Durée maximale (minutes)", 5, 60 * 24 * 31, 12 * 60)
    max_days_ahead = IntegerField(
        "Réservable jusqu'à (jours à l'avance)",
        default=365,
        validators=[
            InputRequired("Indiquez un nombre de jours."),
            NumberRange(1, 730, "Entre 1 et 730 jours."),
        ],
    )
    min_notice_minutes = _minutes("Délai de prévenance (minutes)", 0, 60 * 24 * 30, 0)
    buffer_minutes = _minutes("Temps libre après chaque usage (minutes)", 0, 24 * 60, 0)
    requires_approval = BooleanField("Les réservations doivent être validées par la gestion")
    allowed_kinds = MultiCheckboxField(
        "Qui peut réserver",
        choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()],
        default=["association", "ccas"],
    )
    is_active = BooleanField("Réservable (décochez pour la retirer de l'agenda)", default=True)

    def validate_max_duration_minutes(self, field: IntegerField) -> None:
        low = self.min_duration_minutes.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError("La durée maximale doit être au moins égale à la durée minimale.")

    def validate_allowed_kinds(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError("Choisissez au moins un type d'organisation.")

    def validate_unit_singular(self, field: StringField) -> None:
        if self.unit_plural.data and not field.data:
            raise ValidationError("Indiquez aussi le nom d'une seule unité (« table pliante »).")

    def validate_unit_plural(self, field: StringField) -> None:
        if self.unit_singular.data and not field.data:
            raise ValidationError("Indiquez aussi le pluriel (« tables pliantes »).")

    def validate_quantity(self, field: IntegerField) -> None:
        if self.kind.data == "room" and field.data != 1:
            raise ValidationError("Une salle se réserve en entier : laissez 1.")


# One opening-hours field per weekday, hours_0 (Monday) to hours_6 (Sunday).
for _day, _name in enumerate(WEEKDAYS):
    setattr(
        ResourceForm,
        f"hours_{_day}",
        HoursField(f"Horaires du {_name}", render_kw={"placeholder": "fermé", "inputmode": "text"}),
    )
