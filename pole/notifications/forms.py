"""The "Mes notifications" form: one group of radio buttons per kind of mail."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired

from pole.notifications import rules


def preferences_form(kinds: list[rules.Kind], current: dict[str, str]) -> FlaskForm:
    """A form with a field per kind this person receives, set to their current choices."""

    class PreferencesForm(FlaskForm):
        def chosen(self) -> dict[str, str]:
            """Each kind's choice, as frozen data for the service."""
            return {kind.key: self[kind.key].data for kind in kinds}

    for kind in kinds:
        field = RadioField(
            kind.label,
            choices=[SelectChoice(c, kind.choice_label(c)) for c in kind.choices],
            default=current[kind.key],
            validate_choice=False,
            validators=[
                InputRequired("Choisissez une option."),
                AnyOf(kind.choices, "Choisissez l'une des options proposées."),
            ],
            description=kind.help,
        )
        setattr(PreferencesForm, kind.key, field)
    return PreferencesForm()
