"""The site field of the forms that choose one (a resource's site, the picker)."""

from __future__ import annotations

from wtforms import SelectField, ValidationError


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
