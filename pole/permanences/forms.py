"""Forms of the permanences: publish or change a pattern, book a slot, call a date off."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from pole.formatting import WEEKDAYS, format_duration
from pole.forms import DayField, Form, Given
from pole.permanences import rules
from pole.permanences.services import AppointmentData, PatternData, PermanenceData


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PatternForm(Form):
    """Weekdays, hours, slot length, optional pause, from a date until a date."""

    weekdays = CheckboxesField(
        "Jours",
        coerce=int,
        choices=[SelectChoice(str(i), name.capitalize()) for i, name in enumerate(WEEKDAYS)],
        validators=[DataRequired("Choisissez au moins un jour.")],
    )
    start_time = TimeField("De", validators=[Given("Indiquez l'heure de début.")])
    end_time = TimeField("À", validators=[Given("Indiquez l'heure de fin.")])
    slot_minutes = SelectField(
        "Durée d'un créneau",
        coerce=int,
        choices=[SelectChoice(str(n), format_duration(n)) for n in rules.SLOT_LENGTHS],
        default=30,
    )
    pause_start = TimeField("Pause de", validators=[Optional()])
    pause_end = TimeField("à", validators=[Optional()])
    first_day = DayField("À partir du", validators=[Given("Indiquez le premier jour.")])
    until = DayField("Jusqu'au", validators=[Given("Indiquez le dernier jour.")])

    def pattern_data(self) -> PatternData:
        """The pattern as the services take it."""
        return PatternData(
            weekdays=frozenset(self.weekdays.data or ()),
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            slot_minutes=self.slot_minutes.data,
            first_day=self.first_day.data,
            until=self.until.data,
            pause_start=self.pause_start.data,
            pause_end=self.pause_end.data,
        )


class PublishForm(PatternForm):
    resource_id = SelectField("Salle", coerce=int)
    organisation_id = SelectField("Pour", coerce=int)
    title = StringField(
        "Intitulé",
        default="Permanence de l'assistante sociale",
        filters=[_strip],
        validators=[
            DataRequired("Donnez un intitulé à la permanence."),
            Length(max=120, message="120 caractères au plus."),
        ],
    )
    open_days_ahead = IntegerField(
        "Les créneaux s'ouvrent (jours avant)",
        default=21,
        validators=[
            InputRequired("Indiquez combien de jours avant."),
            NumberRange(1, 365, "Entre 1 et 365 jours."),
        ],
    )
    fair_share_limit = IntegerField(
        "Créneaux par association et par permanence",
        default=2,
        validators=[InputRequired("Indiquez une limite."), NumberRange(1, 50, "Entre 1 et 50.")],
    )
    fair_share_hours = IntegerField(
        "Limite levée (heures avant)",
        default=48,
        validators=[
            InputRequired("Indiquez un nombre d'heures."),
            NumberRange(0, 24 * 30, "Entre 0 et 720 heures."),
        ],
    )
    skip_conflicts = BooleanField("Publier sans les dates indisponibles")

    def to_data(self) -> PermanenceData:
        """The permanence to publish, as the services take it."""
        return PermanenceData(
            resource_id=self.resource_id.data,
            organisation_id=self.organisation_id.data,
            title=self.title.data,
            pattern=self.pattern_data(),
            open_days_ahead=self.open_days_ahead.data,
            fair_share_limit=self.fair_share_limit.data,
            fair_share_hours=self.fair_share_hours.data,
        )


class ChangeForm(PatternForm):
    skip_conflicts = BooleanField("Appliquer sans les dates indisponibles")

    def to_data(self) -> PatternData:
        """The new pattern, as the services take it."""
        return self.pattern_data()


class BookSlotForm(Form):
    organisation_id = SelectField("Pour l'association", coerce=int)
    for_whom = RadioField(
        "Pour qui",
        choices=[SelectChoice(key, label) for key, label in rules.FOR_WHOM.items()],
        default="beneficiary",
        validators=[InputRequired("Indiquez pour qui est le rendez-vous.")],
    )
    purpose = SelectField(
        "Objet",
        choices=[
            SelectChoice("", "Choisissez…"),
            *(SelectChoice(key, label) for key, label in rules.PURPOSES.items()),
        ],
        validators=[InputRequired("Choisissez l'objet du rendez-vous.")],
        validate_choice=False,  # validate_purpose says it in French
    )
    beneficiary_ref = StringField(
        "Initiales ou n° de dossier",
        filters=[_strip],
        validators=[
            Length(
                max=rules.REFERENCE_MAX,
                message=f"{rules.REFERENCE_MAX} caractères au plus : des initiales ou un "
                "numéro de dossier, jamais un nom.",
            )
        ],
        render_kw={"maxlength": rules.REFERENCE_MAX, "autocomplete": "off"},
    )
    note = TextAreaField(
        "Note pour la travailleuse sociale",
        filters=[_strip],
        validators=[Length(max=rules.NOTE_MAX, message=f"{rules.NOTE_MAX} caractères au plus.")],
        render_kw={"maxlength": rules.NOTE_MAX, "rows": 3},
    )

    def validate_purpose(self, field) -> None:  # noqa: ANN001
        if field.data and field.data not in rules.PURPOSES:
            raise ValidationError("Choisissez l'objet dans la liste.")

    def to_data(self) -> AppointmentData:
        """The appointment asked for, as the services take it."""
        return AppointmentData(
            organisation_id=self.organisation_id.data,
            purpose=self.purpose.data,
            for_whom=self.for_whom.data,
            note=self.note.data or "",
            beneficiary_ref=self.beneficiary_ref.data or "",
        )


class CancelDateForm(Form):
    reason = StringField(
        "Motif (envoyé aux associations)",
        filters=[_strip],
        validators=[Optional(), Length(max=200, message="200 caractères au plus.")],
        render_kw={"placeholder": "Jour férié, congé…"},
    )


def book_form(organisations: Iterable, slot_key: str, blank: bool = False) -> BookSlotForm:
    """The booking form of one slot; ids stay unique when a page holds several."""
    form = BookSlotForm(formdata=None) if blank else BookSlotForm()
    form.organisation_id.choices = choices_of(organisations)
    for name in ("organisation_id", "for_whom", "purpose", "beneficiary_ref", "note"):
        field = form[name]
        field.id = field.label.field_id = f"{name}-{slot_key}"
    return form


def choices_of(rows: Iterable) -> list[SelectChoice]:
    """Options of a select from rows that have an id and a name."""
    return [SelectChoice(str(row.id), row.name) for row in rows]
