"""The "Prévenez-moi" button's hidden fields, parsed and bounded, handed back as frozen data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from pole.forms import FIRST_DAY, LAST_DAY, Form


@dataclass(frozen=True)
class WishData:
    resource_id: int
    organisation_id: int
    start: datetime
    end: datetime
    quantity: int


def _instant(text: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    if value.tzinfo is None or not FIRST_DAY <= value.date() <= LAST_DAY:
        return None
    return value.astimezone(UTC)


class WishForm(Form):
    resource_id = IntegerField(validators=[InputRequired("Ressource manquante.")])
    organisation_id = IntegerField(validators=[InputRequired("Organisation manquante.")])
    start = HiddenField()
    end = HiddenField()
    quantity = IntegerField(default=1, validators=[NumberRange(min=1, max=10_000)])

    def validate_start(self, field: HiddenField) -> None:
        if _instant(field.data) is None:
            raise ValidationError("Heure de début illisible.")

    def validate_end(self, field: HiddenField) -> None:
        if _instant(field.data) is None:
            raise ValidationError("Heure de fin illisible.")

    def data_of(self) -> WishData:
        return WishData(
            self.resource_id.data,
            self.organisation_id.data,
            _instant(self.start.data),
            _instant(self.end.data),
            self.quantity.data or 1,
        )


class WithdrawForm(Form):
    """Only the CSRF token: withdrawing is a POST."""
