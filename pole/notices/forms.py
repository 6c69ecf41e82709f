"""The notice form: title, text, last day, to whom; handed back as frozen data."""

from __future__ import annotations

from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from pole.forms import DayField, Form, Given
from pole.notices import rules
from pole.notices.services import NoticeData


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoticeForm(Form):
    title = StringField(
        "Titre",
        validators=[Given("Indiquez un titre."), Length(max=rules.TITLE_MAX)],
    )
    text = TextAreaField(
        "Texte",
        validators=[Given("Écrivez l'annonce."), Length(max=rules.TEXT_MAX)],
        render_kw={"rows": 5},
    )
    until = DayField("Affichée jusqu'au", validators=[Given("Indiquez jusqu'à quel jour.")])
    to_all = BooleanField("Pour toutes les organisations")
    organisation_ids = _Checkboxes("Pour", coerce=int, validate_choice=False)

    def notice_data(self) -> NoticeData:
        return NoticeData(
            title=self.title.data.strip(),
            text=self.text.data.strip(),
            until=self.until.data,
            to_all=bool(self.to_all.data),
            organisation_ids=frozenset(self.organisation_ids.data or ()),
        )


def notice_form(organisations: list, manager: bool) -> NoticeForm:
    form = NoticeForm()
    form.organisation_ids.choices = [(o.id, o.name) for o in organisations]
    form.shows_to_all = manager
    if not manager and len(organisations) == 1 and not form.is_submitted():
        form.organisation_ids.data = [organisations[0].id]  # her only association, ticked
    return form
