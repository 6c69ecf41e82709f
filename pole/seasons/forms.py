"""Forms of the season's plan: open a season, ask for a regular slot, decline with a note,
write to the associations."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from pole.bookings.forms import HourField, MultiCheckboxField
from pole.formatting import WEEKDAYS
from pole.forms import DayField, Form, Given
from pole.seasons.services.messages import MESSAGE_MAX, MessageData
from pole.seasons.services.plan import RequestData, SeasonData
from pole.timeutil import local_to_utc


class SeasonForm(Form):
    """A season's plan: its dates, a closure left out, the deadline for requests."""

    name = StringField(
        "Nom",
        validators=[
            InputRequired("Nommez la saison."),
            Length(max=120, message="120 caractères au plus."),
        ],
    )
    first_day = DayField("Premier jour", validators=[Given("Indiquez le premier jour.")])
    last_day = DayField("Dernier jour (inclus)", validators=[Given("Indiquez le dernier jour.")])
    excluded_first = DayField("Fermeture : du", validators=[Optional()])
    excluded_last = DayField("au (inclus)", validators=[Optional()])
    deadline = DayField(
        "Demandes jusqu'au (inclus)", validators=[Given("Indiquez la date limite.")]
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        if valid and self.last_day.data < self.first_day.data:
            self.last_day.errors = [*self.last_day.errors, "La fin ne peut pas précéder le début."]
        if bool(self.excluded_first.data) != bool(self.excluded_last.data):
            self.excluded_last.errors = [*self.excluded_last.errors, "Indiquez les deux dates."]
        elif self.excluded_first.data and self.excluded_last.data < self.excluded_first.data:
            self.excluded_last.errors = [*self.excluded_last.errors, "La fin suit le début."]
        return valid and not any(f.errors for f in self)

    def season_data(self, tz: ZoneInfo) -> SeasonData:
        excluded = ()
        if self.excluded_first.data:
            excluded = ((self.excluded_first.data, self.excluded_last.data),)
        deadline = local_to_utc(self.deadline.data + timedelta(days=1), time(0, 0), tz)
        return SeasonData(
            self.name.data, self.first_day.data, self.last_day.data, deadline, excluded
        )


class RequestForm(Form):
    """One regular need of an association."""

    organisation_id = SelectField("Association", coerce=int, validate_choice=False)
    resource_id = SelectField("Salle ou matériel", coerce=int, validate_choice=False)
    weekdays = MultiCheckboxField(
        "Jours",
        coerce=int,
        choices=[SelectChoice(i, name.capitalize()) for i, name in enumerate(WEEKDAYS)],
        validate_choice=False,
    )
    start_time = HourField("De", validators=[Given("Indiquez l'heure de début.")])
    end_time = HourField("À", validators=[Given("Indiquez l'heure de fin.")])
    from_day = DayField("Du", validators=[Given("Indiquez le premier jour.")])
    until = DayField("Au (inclus)", validators=[Given("Indiquez le dernier jour.")])
    priority = IntegerField(
        "Priorité (1 haute, 3 basse)",
        default=2,
        validators=[InputRequired("Indiquez la priorité."), NumberRange(1, 3, "De 1 à 3.")],
    )
    note = TextAreaField(
        "Note", validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")]
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        for f in (self.organisation_id, self.resource_id):
            if f.data not in {c.value for c in f.choices}:
                f.errors = [*f.errors, "Choisissez dans la liste."]
        if any(d not in range(7) for d in self.weekdays.data or ()):
            self.weekdays.errors = [*self.weekdays.errors, "Choisissez parmi les jours."]
        return valid and not any(f.errors for f in self)

    def request_data(self) -> RequestData:
        return RequestData(
            self.organisation_id.data,
            self.resource_id.data,
            frozenset(self.weekdays.data or ()),
            self.start_time.data,
            self.end_time.data,
            self.from_day.data,
            self.until.data,
            self.priority.data,
            self.note.data or "",
        )


class DeclineForm(Form):
    manager_note = TextAreaField(
        "Pourquoi (envoyé à l'association)",
        validators=[Length(max=2000, message="2 000 caractères au plus.")],
    )


class MessageForm(Form):
    """The manager's message to some associations of the plan."""

    organisation_ids = MultiCheckboxField(
        "Associations destinataires", coerce=int, validate_choice=False
    )
    body = TextAreaField(
        "Message",
        validators=[
            InputRequired("Écrivez le message."),
            Length(max=MESSAGE_MAX, message=f"{MESSAGE_MAX} caractères au plus."),
        ],
        render_kw={"rows": 6},
    )
    resource_id = HiddenField()

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        allowed = {c.value for c in self.organisation_ids.choices}
        chosen = set(self.organisation_ids.data or ())
        if self.organisation_ids.errors or not chosen or not chosen <= allowed:
            # One French sentence, in place of WTForms' own for a value that is no number.
            self.organisation_ids.errors = ["Choisissez au moins une association dans la liste."]
        return valid and not any(f.errors for f in self)

    def message_data(self) -> MessageData:
        resource = str(self.resource_id.data or "")
        return MessageData(
            frozenset(self.organisation_ids.data or ()),
            self.body.data or "",
            int(resource) if resource.isdigit() else None,
        )
