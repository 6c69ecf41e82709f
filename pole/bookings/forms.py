"""Forms of the booking screens: book (once or repeatedly), edit, cancel."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from pole.bookings import recurrence as rec
from pole.bookings import rules, services
from pole.core.forms import apply_reasons
from pole.formatting import WEEKDAYS, format_hhmm
from pole.forms import FIRST_DAY, LAST_DAY, DayField, Form, Given
from pole.timeutil import NonexistentLocalTime, local_to_utc

_TIME = re.compile(r"^\s*(\d{1,2})\s*[:hH.]\s*(\d{2})(?::(\d{2}))?\s*$")
SCOPE_LABELS = {
    "one": "Cette date seulement",
    "following": "Cette date et les suivantes",
    "all": "Toute la série",
}
SCOPE_CHOICES = [SelectChoice(value, label) for value, label in SCOPE_LABELS.items()]
MONTH_WEEK_LABELS = {"1": "1er", "2": "2e", "3": "3e", "4": "4e", "-1": "dernier"}


def optional_id(value: object) -> int | None:
    """A select's value as an id; the empty "Choisissez…" option gives None."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def parse_time(text: str) -> time:
    """'14:30', '14h30' or '9:05' as a time; ValueError with a French message otherwise."""
    match = _TIME.match(text or "")
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError("Indiquez une heure comme 14:30.")


class HourField(StringField):
    """A wall-clock time, typed or picked, shown as HH:MM."""

    def __init__(self, label: str, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"type": "time"})
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_time(valuelist[0])

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_hhmm(self.data) if self.data else ""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _PeriodMixin:
    """Date and hours typed in local time, turned into UTC instants of the site."""

    asks_quantity = False  # set by the view: only pooled equipment asks how many
    multi_day = True  # set by the view: a room's end date is a hidden field
    # Set by the view: the resource's policy and the site's today, so that dates no booking
    # can have are refused here, before any service computes over them.
    policy: rules.Policy | None = None
    today: date | None = None

    date: DayField
    start: HourField
    end: HourField
    end_date: DayField

    def end_day(self) -> date:
        """The day the booking ends: end_date, or the same day; an end at 00:00 means midnight."""
        if self.end_date.data:
            return self.end_date.data
        if self.end.data == time(0, 0):
            return self.date.data + timedelta(days=1)
        return self.date.data

    def period(self, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The asked period in UTC, or None with the wall time that does not exist explained."""
        try:
            start = local_to_utc(self.date.data, self.start.data, tz)
        except NonexistentLocalTime as error:
            apply_reasons(self, [rules.nonexistent_time_reason(error, "start")])
            return None
        try:
            end = local_to_utc(self.end_day(), self.end.data, tz)
        except NonexistentLocalTime as error:
            apply_reasons(self, [rules.nonexistent_time_reason(error, "end")])
            return None
        return start, end

    def shows(self, name: str) -> bool:
        """Whether the field is on screen, so that an error about it can be read beside it."""
        if name == "quantity":
            return self.asks_quantity
        if name == "end_date":
            return self.multi_day
        return True

    def check_period(self) -> None:
        """Refuse what no booking can be: no quantity for pooled equipment, impossible dates."""
        # Only pooled equipment asks how many; a room or a single item is always 1. (Not a
        # validate_quantity: Optional() would stop the chain before it on an empty field.)
        if self.asks_quantity and self.quantity.data is None and not self.quantity.errors:
            self.quantity.errors = [*self.quantity.errors, "Indiquez une quantité."]
        self._raise_hidden_errors()
        fields = (self.date, self.start, self.end, self.end_date)
        if self.policy is None or self.today is None or any(f.errors for f in fields):
            return
        if self.date.data is None or self.end.data is None:
            return
        apply_reasons(
            self, rules.check_dates(self.date.data, self.end_day(), self.policy, self.today)
        )

    def _raise_hidden_errors(self) -> None:
        """An error about a field that is not on screen is said above the form."""
        for field in (self.end_date, self.quantity):
            if field.errors and not self.shows(field.name):
                self.form_errors.extend(e for e in field.errors if e not in self.form_errors)

    def validate_end_date(self, field: DayField) -> None:
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError("La date de fin ne peut pas précéder la date de début.")


class _BookingFields(_PeriodMixin, Form):
    """The fields a booking and its edit share."""

    title = StringField(
        "Titre",
        validators=[
            Given("Donnez un titre, par exemple « Distribution » ou « Atelier cuisine »."),
            Length(max=120, message="120 caractères au plus."),
        ],
    )
    date = DayField("Date", validators=[Given("Indiquez la date.")])
    start = HourField("Début", validators=[Given("Indiquez l'heure de début.")])
    end = HourField("Fin", validators=[Given("Indiquez l'heure de fin.")])
    end_date = DayField("Jusqu'au (prêt sur plusieurs jours)", validators=[Optional()])
    quantity = IntegerField(
        "Quantité",
        default=1,
        validators=[Optional(), NumberRange(1, 100000, "Indiquez une quantité d'au moins 1.")],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    description = TextAreaField(
        "Précisions (facultatif)",
        validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")],
    )
    is_public = BooleanField("Afficher le titre sur l'agenda public du pôle")
    expected_people = IntegerField(
        "Personnes attendues (facultatif)",
        validators=[Optional(), NumberRange(1, 10000, "Entre 1 et 10 000 personnes.")],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    quota_override_note = TextAreaField(
        "Motif du dépassement de quota",
        validators=[Optional(), Length(max=1000, message="1000 caractères au plus.")],
        render_kw={"rows": 2},
    )


class BookingForm(_BookingFields):
    """Book a resource for an organisation, once or again and again."""

    resource_id = SelectField("Salle ou matériel", coerce=optional_id, validate_choice=False)
    organisation_id = SelectField("Pour", coerce=optional_id, validate_choice=False)

    repeat = BooleanField("Répéter cette réservation")
    freq = RadioField(
        "Fréquence",
        choices=[SelectChoice("weekly", "Chaque semaine"), SelectChoice("monthly", "Chaque mois")],
        default="weekly",
        validate_choice=False,
    )
    interval = IntegerField(
        "Toutes les … semaines ou mois",
        default=1,
        validators=[Optional(), NumberRange(1, 52, "Entre 1 et 52.")],
        render_kw={"inputmode": "numeric", "min": 1, "max": 52},
    )
    weekdays = MultiCheckboxField(
        "Les jours",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAYS)],
        coerce=int,
        validate_choice=False,
    )
    month_week = SelectField("Le jour du mois", default="", validate_choice=False)
    ends = RadioField(
        "Fin de la série",
        choices=[
            SelectChoice("count", "Après un nombre de fois"),
            SelectChoice("until", "À une date"),
        ],
        default="count",
        validate_choice=False,
    )
    count = IntegerField(
        "Nombre de fois",
        default=10,
        validators=[Optional(), NumberRange(1, 200, "Entre 1 et 200 fois.")],
        render_kw={"inputmode": "numeric", "min": 1, "max": 200},
    )
    until = DayField("Jusqu'au", validators=[Optional()])
    confirm = HiddenField()
    skip = MultiCheckboxField("Ignorer", choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.month_week.choices = self.month_week_choices()

    def month_week_choices(self) -> list[SelectChoice]:
        day = self.date.data if isinstance(self.date.data, date) else None
        weekday = WEEKDAYS[day.weekday()] if day else "même jour de la semaine"
        on_day = f"le {day.day} de chaque mois" if day else "le même jour de chaque mois"
        return [SelectChoice("", on_day)] + [
            SelectChoice(value, f"le {label} {weekday} du mois")
            for value, label in MONTH_WEEK_LABELS.items()
        ]

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        self.check_period()
        if self.repeat.data:
            self._validate_series()
        return valid and not any(f.errors for f in self) and not self.form_errors

    def _validate_series(self) -> None:
        if self.end_date.data and self.end_date.data != self.date.data:
            self.end_date.errors = [
                *self.end_date.errors,
                "Une série se répète sur une seule journée : laissez la date de fin vide.",
            ]
        if self.start.data and self.end.data and self.end.data <= self.start.data:
            # A series repeats within one day; a single booking leaves this to the rules.
            self.end.errors = [*self.end.errors, "La fin doit venir après le début, le même jour."]
        if self.ends.data == "until":
            if not self.until.data:
                self.until.errors = [*self.until.errors, "Indiquez la date de la dernière fois."]
            elif self.date.data and self.until.data < self.date.data:
                self.until.errors = [
                    *self.until.errors,
                    "La dernière date ne peut pas précéder la première.",
                ]
        elif not self.count.data:
            self.count.errors = [*self.count.errors, "Indiquez combien de fois."]
        if any(not 0 <= day <= 6 for day in self.weekdays.data or ()):
            self.weekdays.errors = [*self.weekdays.errors, "Choisissez des jours de la semaine."]
        if self.month_week.data not in ("", *MONTH_WEEK_LABELS):
            self.month_week.errors = [*self.month_week.errors, "Choisissez dans la liste."]

    def booking_data(self, start: datetime, end: datetime) -> services.BookingData:
        return services.BookingData(
            resource_id=self.resource_id.data,
            organisation_id=self.organisation_id.data,
            start=start,
            end=end,
            title=self.title.data.strip(),
            description=(self.description.data or "").strip(),
            is_public=self.is_public.data,
            quantity=self.quantity.data if self.asks_quantity else 1,
            expected_people=self.expected_people.data,
            quota_override_note=(self.quota_override_note.data or "").strip(),
        )

    def recurrence(self) -> rec.Recurrence:
        monthly = self.freq.data == "monthly"
        # A monthly series falls on the first date's weekday; a weekly one on the days ticked,
        # or on the first date's weekday when none is.
        weekdays: frozenset[int] = frozenset()
        if not monthly:
            weekdays = frozenset(self.weekdays.data or ()) or frozenset({self.date.data.weekday()})
        until = self.until.data if self.ends.data == "until" else None
        return rec.Recurrence(
            first_day=self.date.data,
            start_time=self.start.data,
            end_time=self.end.data,
            freq="monthly" if monthly else "weekly",
            interval=self.interval.data or 1,
            weekdays=weekdays,
            month_week=int(self.month_week.data) if monthly and self.month_week.data else None,
            until=until,
            count=None if until else self.count.data,
        )

    def series_data(self) -> services.SeriesData:
        return services.SeriesData(
            resource_id=self.resource_id.data,
            organisation_id=self.organisation_id.data,
            title=self.title.data.strip(),
            recurrence=self.recurrence(),
            description=(self.description.data or "").strip(),
            is_public=self.is_public.data,
            quantity=self.quantity.data if self.asks_quantity else 1,
            expected_people=self.expected_people.data,
            quota_override_note=(self.quota_override_note.data or "").strip(),
        )

    def skipped_days(self) -> set[date]:
        days = set()
        for value in self.skip.data or ():
            try:
                days.add(date.fromisoformat(value))
            except ValueError:
                continue
        return days


class EditForm(_BookingFields):
    """Move a booking or change its details, for this date or more of its series."""

    scope = RadioField("Appliquer à", choices=SCOPE_CHOICES, default="one", validate_choice=False)

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        self.check_period()
        if self.scope.data not in SCOPE_LABELS:
            self.scope.errors = [*self.scope.errors, "Choisissez à quelles dates appliquer."]
        return valid and not any(f.errors for f in self) and not self.form_errors


class CancelForm(Form):
    scope = RadioField("Annuler", choices=SCOPE_CHOICES, default="one", validate_choice=False)


def fill_from_slot(slot: str) -> dict[str, str] | None:
    """Read a suggested slot 'YYYY-MM-DDTHH:MM/YYYY-MM-DDTHH:MM' into form values."""
    try:
        first, last = (datetime.fromisoformat(part) for part in slot.split("/"))
    except ValueError:
        return None
    if not FIRST_DAY <= first.date() <= last.date() <= LAST_DAY:
        return None
    end_date = "" if last.date() == first.date() else last.date().isoformat()
    if last.date() == first.date() + timedelta(days=1) and last.time() == time(0, 0):
        end_date = ""
    return {
        "date": first.date().isoformat(),
        "start": format_hhmm(first),
        "end": format_hhmm(last),
        "end_date": end_date,
    }
