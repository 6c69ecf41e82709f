"""Forms of the manager's screens: refusing a request, closing the building or a room."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from wtforms import SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from pole.forms import DayField, Form, Given
from pole.resources.models import Resource
from pole.timeutil import NonexistentLocalTime, local_day_bounds, local_to_utc

CLOSURE_REASONS = ("Jour férié", "Travaux", "Élections", "Fermeture estivale", "Désinfection")
WHOLE_SITE = 0
MAX_CLOSURE_DAYS = 3 * 366  # works last months, not decades: a longer closure is a typo


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class RejectForm(Form):
    reason = TextAreaField(
        "Motif du refus",
        filters=[_strip],
        validators=[
            DataRequired("Indiquez le motif : il est envoyé à la personne qui a demandé."),
            Length(max=1000, message="1000 caractères au plus."),
        ],
        render_kw={"rows": 2},
    )


def reject_form(booking_id: int, blank: bool = False) -> RejectForm:
    """The refusal form of one request; ids stay unique when the queue lists many."""
    form = RejectForm(formdata=None) if blank else RejectForm()
    form.reason.id = form.reason.label.field_id = f"reason-{booking_id}"
    return form


class ClosureForm(Form):
    """A closure in local wall time; without hours it covers whole days."""

    resource_id = SelectField("Ce qui ferme", coerce=int, default=WHOLE_SITE)
    start_date = DayField(
        "Premier jour", validators=[Given("Indiquez le premier jour de la fermeture.")]
    )
    start_time = TimeField("À partir de (heure)", validators=[Optional()])
    end_date = DayField("Dernier jour", validators=[Optional()])
    end_time = TimeField("Jusqu'à (heure)", validators=[Optional()])
    reason = StringField(
        "Motif",
        filters=[_strip],
        validators=[
            DataRequired("Indiquez le motif, par exemple « Jour férié »."),
            Length(max=200, message="200 caractères au plus."),
        ],
        render_kw={"list": "closure-reasons", "autocomplete": "off"},
    )

    def __init__(self, *args, resources: list[Resource], tz: ZoneInfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.resource_id.choices = [(WHOLE_SITE, "Tout le bâtiment")] + [
            (r.id, r.name) for r in resources
        ]
        self.start: datetime | None = None
        self.end: datetime | None = None

    def validate(self, extra_validators: dict | None = None) -> bool:
        if not super().validate(extra_validators):
            return False
        period = self._period()
        if period is None:
            return False
        self.start, self.end = period
        return True

    def _period(self) -> tuple[datetime, datetime] | None:
        """The closure as aware UTC instants, or None with the errors put beside the fields."""
        first = self.start_date.data
        last = self.end_date.data or first
        if (last - first).days > MAX_CLOSURE_DAYS:
            self.end_date.errors.append("Une fermeture dure trois ans au plus.")
            return None
        start_time, end_time = self.start_time.data, self.end_time.data
        if (start_time is None) != (end_time is None):
            missing = self.end_time if end_time is None else self.start_time
            missing.errors.append(
                "Indiquez les deux heures, ou aucune pour fermer des journées entières."
            )
            return None
        if start_time is None:
            start = local_day_bounds(first, self.tz)[0]
            end = local_day_bounds(last, self.tz)[1]
            end_field = self.end_date
        else:
            start = self._instant(first, start_time, self.start_time)
            end = self._instant(last, end_time, self.end_time)
            if start is None or end is None:
                return None
            end_field = self.end_time if last == first else self.end_date
        if end <= start:
            end_field.errors.append("La fin doit être après le début.")
            return None
        return start, end

    def _instant(self, day, t: time, field) -> datetime | None:  # noqa: ANN001
        try:
            return local_to_utc(day, t, self.tz)
        except NonexistentLocalTime as error:
            field.errors.append(str(error))
            return None

    @property
    def chosen_resource_id(self) -> int | None:
        return None if self.resource_id.data == WHOLE_SITE else self.resource_id.data
