"""The site fields: one site (a resource's site, the picker), or some sites by checkbox."""

from __future__ import annotations

from wtforms import SelectField, SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class SiteField(SelectField):
    """One of the sites offered, by id; anything else is refused in French beside the field."""

    def __init__(self, label: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__(label, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = int(valuelist[0]) if valuelist else None
        except ValueError:
            self.data = None

    def pre_validate(self, form: object) -> None:
        if self.data not in {choice.value for choice in self.choices or ()}:
            raise ValidationError("Choisissez un des sites de la liste.")


class SitesField(SelectMultipleField):
    """Some of the sites offered, by id; anything else (unknown, unreadable) is refused in
    French beside the field, never with WTForms' own message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__(label, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.unreadable = False
        self.data = []
        for value in valuelist:
            try:
                self.data.append(int(value))
            except ValueError:
                self.unreadable = True

    def pre_validate(self, form: object) -> None:
        offered = {choice.value for choice in self.choices or ()}
        if getattr(self, "unreadable", False) or not set(self.data or ()) <= offered:
            raise ValidationError("Cochez des sites de la liste.")
