"""The journal's filters (a GET form) and the manager's answer to a closure over bookings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from pole.forms import DayField, Form
from pole.timeutil import local_day_bounds

ALL = 0
MAX_JOURNAL_DAYS = 366  # a year at once; more is what an export is for
MAX_PAGE = 10_000


class JournalForm(Form):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    organisation_id = SelectField("Organisation", coerce=int, default=ALL)
    resource_id = SelectField("Salle ou matériel", coerce=int, default=ALL)
    actor_id = SelectField("Personne", coerce=int, default=ALL)
    since = DayField("Du", validators=[Optional()])
    until = DayField("Au", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional()])

    def validate_page(self, field: IntegerField) -> None:
        if field.data is not None and not 1 <= field.data <= MAX_PAGE:
            raise ValidationError("Page inconnue.")

    def validate_until(self, field: DayField) -> None:
        if self.since.data and field.data:
            if field.data < self.since.data:
                raise ValidationError("La fin vient avant le début.")
            if (field.data - self.since.data).days >= MAX_JOURNAL_DAYS:
                raise ValidationError(f"Choisissez au plus {MAX_JOURNAL_DAYS} jours.")

    def chosen(self, field: SelectField) -> int | None:
        return field.data or None

    def bounds(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The chosen days as instants: from the first one's midnight to the last one's end."""
        since = local_day_bounds(self.since.data, tz)[0] if self.since.data else None
        until = None
        if self.until.data:
            until = local_day_bounds(self.until.data, tz)[1]
        return since, until


def journal_form(args: object, organisations: list, resources: list, people: list) -> JournalForm:
    form = JournalForm(formdata=args)
    form.organisation_id.choices = [(ALL, "Toutes")] + [(o.id, o.name) for o in organisations]
    form.resource_id.choices = [(ALL, "Toutes")] + [(r.id, r.name) for r in resources]
    form.actor_id.choices = [(ALL, "Tout le monde")] + [(p.id, p.name) for p in people]
    return form


class ClosureBookingsForm(Form):
    class Meta:
        csrf = False  # CSRFProtect checks the page's token on every POST; ids are prefixed

    message = TextAreaField(
        "Message aux associations",
        validators=[Length(max=300, message="300 caractères au plus.")],
        render_kw={"rows": 2},
    )


def answer_form(closure_id: int, blank: bool = True) -> ClosureBookingsForm:
    """The answer form of one closure; its prefix keeps ids unique when many are listed."""
    prefix = f"closure-{closure_id}"
    if blank:
        return ClosureBookingsForm(formdata=None, prefix=prefix)
    return ClosureBookingsForm(prefix=prefix)
