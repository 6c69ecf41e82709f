"""The periods a report covers: a month, a quarter, a year, or any dates (both included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pole.formatting import MONTHS, format_long_day


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both local dates included."""

    first: date
    last: date

    @property
    def label(self) -> str:
        """'année 2026', 'mars 2026', '1er trimestre 2026', 'du 3 mars 2026 au 9 avril 2026'."""
        if self == whole_year(self.first.year):
            return f"année {self.first.year}"
        if self == month(self.first.year, self.first.month):
            return f"{MONTHS[self.first.month - 1]} {self.first.year}"
        q = (self.first.month - 1) // 3 + 1
        if self == quarter(self.first.year, q):
            return f"{'1er' if q == 1 else f'{q}e'} trimestre {self.first.year}"
        return f"du {format_long_day(self.first)} au {format_long_day(self.last)}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    return Period(month(year, 3 * number - 2).first, month(year, 3 * number).last)


def whole_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))
