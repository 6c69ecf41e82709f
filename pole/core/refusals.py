"""Why a change is refused: reasons, field by field, and the exception that carries them.

Pure: no Flask, no database. A reason's `field` is the name of the form field it belongs
beside ('' means the whole form).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """Why a change is refused, to show beside a form field ('' means the whole form)."""

    code: str
    field: str
    message: str


class Refused(Exception):
    """The change cannot be made; `reasons` say why, field by field."""

    def __init__(self, reasons: Iterable[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(r.message for r in self.reasons))

    @classmethod
    def because(cls, message: str, field: str = "", code: str = "refused") -> Refused:
        """Refuse for one reason: `raise BookingRefused.because("...", "start")`."""
        return cls([Reason(code, field, message)])

    def has(self, code: str) -> bool:
        return any(r.code == code for r in self.reasons)


TAKEN_MEANWHILE = "Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez-en un autre."


def taken_meanwhile(code: str, field: str) -> Reason:
    """Someone else booked the time between the screen being shown and the click."""
    return Reason(code, field, TAKEN_MEANWHILE)


# The same words for a booking and an appointment; each sits beside its own form field.
LOST_RACE = taken_meanwhile("overlap", "start")
