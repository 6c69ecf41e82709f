"""The day on a phone: per resource, a short list of its bookings and free windows, in order.

Built from the columns the day grid already loaded (no query of its own); the free windows are
the rule pole.bookings.rules.windows.free_windows, so the list and the grid agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from pole.bookings import grid
from pole.bookings.agenda import Agenda, Head
from pole.bookings.agenda_rows import BlockView
from pole.bookings.rules.start_times import start_times
from pole.bookings.rules.windows import Window, free_windows
from pole.db import utcnow
from pole.formatting import format_hhmm


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a resource's day: a booking, a free window or a closure."""

    kind: str  # "booking", "free", "closed"
    start: int
    when: str  # "12:00–20:00"
    text: str = ""  # free: "6 tables libres"; closed: why
    href: str = ""  # free: the booking form, filled
    block: BlockView | None = None  # booking
    starts: tuple[tuple[str, str], ...] = ()  # free: ("14:00", the form from 14:00), in order
    starts_html: Markup = Markup()  # free: the starts as the list's items (a day has dozens)


@dataclass
class ResourceDay:
    head: Head
    items: list[Item] = field(default_factory=list)
    is_open: bool = True


def _span(start: int, end: int) -> str:
    return f"{format_hhmm(start)}–{format_hhmm(end % 1440)}"


def column_windows(column: grid.Column) -> list[Window]:
    """A column's free windows, by the one rule."""
    return free_windows(
        column.opening,
        [(b.start, b.busy_until, b.quantity) for b in column.blocks],
        column.closures,
        column.missing,
        capacity=column.capacity,
        buffer=column.buffer,
        bookable_from=column.bookable_from,
        min_length=column.min_length,
    )


def _starts(head: Head, window: Window, now: datetime, tz: ZoneInfo) -> tuple:
    """The window's start times, each with the form filled from it for an hour (or less)."""
    resource = head.resource
    minutes = start_times(
        window,
        head.day,
        now,
        tz,
        step=resource.granularity_minutes,
        min_length=resource.min_duration_minutes,
        notice=resource.min_notice_minutes,
    )
    return tuple((format_hhmm(m), head.window_url(m, window.end)) for m in minutes)


_START = '\n              <li><a href="{}" aria-label="Commencer à {}, {}">{}</a></li>'


def _starts_html(starts: tuple[tuple[str, str], ...], name: Markup) -> Markup:
    """The start times as the list's items, written once here rather than a loop in Jinja."""
    return Markup("".join([_START.format(escape(href), hhmm, name, hhmm) for hhmm, href in starts]))  # noqa: S704


def _items(head: Head, column: grid.Column, now: datetime, tz: ZoneInfo) -> list[Item]:
    items = [Item("booking", b.start, b.payload.when, block=b.payload) for b in column.blocks]
    name = escape(head.resource.name)
    for window in column_windows(column):
        text = ""
        if window.available is not None:
            left = head.resource.quantity_label(window.available)
            text = f"{left} libre{'s' if window.available > 1 else ''}"
        href = head.window_url(window.start, window.end)
        when = _span(window.start, window.end)
        starts = _starts(head, window, now, tz)
        starts_html = _starts_html(starts, name) if len(starts) > 1 else Markup()
        item = Item("free", window.start, when, text, href, starts=starts, starts_html=starts_html)
        items.append(item)
    for start, end, reason in column.closures:
        if any(start < b and a < end for a, b in column.opening):
            items.append(Item("closed", start, _span(start, end), reason))
    items.sort(key=lambda item: (item.start, item.kind != "closed"))
    return items


def day_lists(agenda: Agenda, tz: ZoneInfo, now: datetime | None = None) -> list[ResourceDay]:
    """Each resource of the day grid as a list of what happens and what is free."""
    now = now or utcnow()
    return [
        ResourceDay(head, _items(head, column, now, tz), is_open=bool(column.opening))
        for head, column in zip(agenda.heads, agenda.columns, strict=True)
    ]


def week_strip(day: date) -> list[date]:
    """The week of `day` and the next, Monday to Sunday: "next Tuesday" is always one tap."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(14)]
