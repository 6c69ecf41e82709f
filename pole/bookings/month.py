"""A month of the building or of one resource: how busy each day is, each day a link.

Loads the month like the grids do (pole.bookings.agenda.columns_for: three queries), then asks
the rule pole.bookings.rules.month how open and how taken each column is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from pole.bookings import agenda, grid_links
from pole.bookings.rules.month import LEVEL_WORDS, fill_level, month_weeks, open_and_booked
from pole.core.html import escape_html
from pole.db import utcnow
from pole.formatting import format_date, format_duration
from pole.resources.models import Resource, Site


@dataclass
class MonthDay:
    day: date
    href: str
    is_today: bool
    open_minutes: int = 0
    booked_minutes: int = 0
    bookings: int = 0

    @property
    def level(self) -> int | None:
        return fill_level(self.open_minutes, self.booked_minutes)

    @property
    def text(self) -> str:
        """What the day's square says: hours taken, or that it is closed."""
        if self.level is None:
            return "fermé"
        return format_duration(self.booked_minutes) if self.booked_minutes else "libre"

    @property
    def spoken(self) -> str:
        day = format_date(self.day, "EEEE d MMMM")
        if self.level is None:
            return f"{day} : fermé"
        count = f"{self.bookings} réservation{'s' if self.bookings > 1 else ''}"
        if not self.bookings:
            return f"{day} : libre"
        return (
            f"{day} : {count}, {format_duration(self.booked_minutes)} occupées, "
            + (LEVEL_WORDS[self.level])
        )


def month_days(
    site: Site,
    year: int,
    month: int,
    viewer: object,
    resource: Resource | None = None,
    now: datetime | None = None,
) -> list[list[MonthDay | None]]:
    """The weeks of the month, each day with its open hours, hours taken and bookings."""
    now = now or utcnow()
    weeks = month_weeks(year, month)
    days = [d for week in weeks for d in week if d is not None]
    resources = [resource] if resource else agenda.shown_resources(site)
    resources = [r for r in resources if r.site_id == site.id]
    # The month links each day to its day view, never a free time to the booking form.
    heads = [agenda.DayKey(r, d) for d in days for r in resources]
    columns = agenda.columns_for(
        site, heads, resources, days[0], days[-1], viewer, now, blocks_shown=False
    )
    current = agenda.today(site, now)
    by_day: dict[date, MonthDay] = {}
    day_url = grid_links.link_pattern("bookings.day", "date").format
    for d in days:
        by_day[d] = MonthDay(d, day_url(d.isoformat()), d == current)
    for head, column in zip(heads, columns, strict=True):
        busy = [(b.start, b.busy_until, b.quantity) for b in column.blocks]
        opened, booked = open_and_booked(
            column.opening, busy, column.closures, column.missing, column.capacity
        )
        shown = by_day[head.day]
        shown.open_minutes += opened
        shown.booked_minutes += booked
        shown.bookings += sum(1 for b in column.blocks if b.start < b.end)
    return [[by_day[d] if d else None for d in week] for week in weeks]


def weeks_html(weeks: list[list[MonthDay | None]]) -> Markup:
    """The month's rows (inside <tbody>) as the template's loop wrote them, byte for byte: one
    string format per day where the loop paid a lookup and an escape for each of its values."""
    return Markup("".join([_week_html(week) for week in weeks]))  # noqa: S704 (escaped below)


_OUT_OF_MONTH = '\n      <td class="m-out"></td>'


def _week_html(week: list[MonthDay | None]) -> str:
    cells = "".join([_OUT_OF_MONTH if d is None else _day_html(d) for d in week])
    return f"\n    <tr>{cells}\n    </tr>"


def _day_html(d: MonthDay) -> str:
    level = d.level
    shade = " m-closed" if level is None else f" m-level-{level}"
    today, said = (" is-today", ", aujourd’hui") if d.is_today else ("", "")
    return (
        f'\n      <td class="m-day{shade}{today}">'
        f'\n        <a href="{escape_html(d.href)}">'
        f'<span class="m-n" aria-hidden="true">{d.day.day}</span>'
        f'<span class="m-text" aria-hidden="true">{escape_html(d.text)}</span>'
        '<span class="m-bar" aria-hidden="true"></span>'
        f'<span class="visually-hidden">{escape_html(d.spoken)}{said}</span></a>'
        "\n      </td>"
    )
