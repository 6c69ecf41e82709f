"""The day on a phone: per resource, a short list of its bookings and free windows, in order.

Built from the columns the day grid already loaded (no query of its own); the free windows are
the rule pole.bookings.rules.windows.free_windows, so the list and the grid agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from pole.bookings import grid
from pole.bookings.agenda import Agenda, Head
from pole.bookings.agenda_rows import BlockView
from pole.bookings.rules.start_times import earliest_start, start_times
from pole.bookings.rules.windows import Window, free_windows
from pole.core.html import escape_html
from pole.db import utcnow
from pole.formatting import HHMM, format_date, format_hhmm


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a day lists
# some 30 items.
@dataclass(slots=True)
class Item:
    """One line of a resource's day: a booking, a free window or a closure."""

    kind: str  # "booking", "free", "closed"
    start: int
    when: str  # "12:00–20:00"
    text: str = ""  # free: "6 tables libres"; closed: why
    href: str = ""  # free: the booking form, filled
    block: BlockView | None = None  # booking
    # free: ("14:00", the form from 14:00, escaped for its attribute), in order
    starts: tuple[tuple[str, str], ...] = ()


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


def _starts(head: Head, window: Window, now: datetime, tz: ZoneInfo, rule: tuple) -> tuple:
    """The window's start times, each with the form filled from it for an hour (or less).

    `rule`: the resource's step, minimum length, notice and earliest start that day."""
    step, min_length, notice, earliest = rule
    minutes = start_times(
        window,
        head.day,
        now,
        tz,
        step=step,
        min_length=min_length,
        notice=notice,
        earliest=earliest,
    )
    return tuple([(HHMM[m], head.window_url(m, window.end, html=True)) for m in minutes])


def _items(head: Head, column: grid.Column, now: datetime, tz: ZoneInfo) -> list[Item]:
    items = [Item("booking", b.start, b.payload.when, block=b.payload) for b in column.blocks]
    windows = column_windows(column)
    if windows:
        resource = head.resource  # read once: its attributes are the same for every window
        step, notice = resource.granularity_minutes, resource.min_notice_minutes
        earliest = earliest_start(head.day, now, tz, notice=notice, step=max(step, 1))
        rule = (step, resource.min_duration_minutes, notice, earliest)
    for window in windows:
        text = ""
        if window.available is not None:
            left = head.resource.quantity_label(window.available)
            text = f"{left} libre{'s' if window.available > 1 else ''}"
        href = head.window_url(window.start, window.end)
        when = f"{HHMM[window.start]}–{HHMM[window.end % 1440]}"
        starts = _starts(head, window, now, tz, rule)
        items.append(Item("free", window.start, when, text, href, starts=starts))
    for start, end, reason in column.closures:
        for a, b in column.opening:  # a loop, not any(): a generator costs a call per step
            if start < b and a < end:
                items.append(Item("closed", start, _span(start, end), reason))
                break
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


# The lists' HTML. A day lists some 30 bookings and windows, and a window offers up to a dozen
# starts: written here, each line is one string format, where the template paid a lookup and an
# escape call for every value it printed. What comes from people (titles, names) is escaped.


def lists_html(lists: list[ResourceDay], week_url: str) -> Markup:
    """The resources' days as the phone's list prints them (inside <div class="day-list">)."""
    return Markup("".join([_resource_day_html(rd, week_url) for rd in lists]))  # noqa: S704


def _resource_day_html(rd: ResourceDay, week_url: str) -> str:
    resource = rd.head.resource
    name = escape_html(resource.name)
    link = escape_html(week_url.format(resource.id))
    if not rd.is_open:
        body = '\n      <p class="dl-none">Fermé ce jour-là.</p>'
    elif not rd.items:
        body = '\n      <p class="dl-none">Plus rien de libre à réserver.</p>'
    else:
        lines = "".join([_item_html(item, name) for item in rd.items])
        body = f'\n      <ul class="dl-items">{lines}\n      </ul>'
    return (
        f'\n    <section class="resource-day" aria-labelledby="rd-{resource.id}">'
        f'\n      <h3 id="rd-{resource.id}"><a href="{link}">{name}</a></h3>{body}'
        "\n    </section>"
    )


def _item_html(item: Item, name: str) -> str:
    if item.kind == "booking":
        b = item.block
        pending = " pending" if b.is_pending else ""
        status = ' <span class="b-status">en attente</span>' if b.is_pending else ""
        if b.url:
            opening, closing = f'<a href="{escape_html(b.url)}">', "</a>"
        else:
            opening, closing = '<span class="dl-box">', "</span>"
        return (
            f'\n        <li class="dl-item dl-booking org-{b.organisation_id}{pending}">{opening}'
            f'<span class="dl-when">{escape_html(item.when)}</span> '
            f'<span class="dl-label">{escape_html(b.label)}</span>{status}{closing}</li>'
        )
    text = escape_html(item.text)
    if item.kind == "free":
        label = f' <span class="dl-label">{text}</span>' if text else ""
        starts = ""
        if len(item.starts) > 1:
            choices = "".join(
                [
                    f'\n              <li><a href="{href}"'
                    f' aria-label="Commencer à {hhmm}, {name}">{hhmm}</a></li>'
                    for hhmm, href in item.starts
                ]
            )
            starts = (
                '\n          <div class="dl-starts"><span class="dl-starts-label"'
                ' aria-hidden="true">Commencer à&nbsp;:</span>'
                f'\n            <ul aria-label="Heures de début, libre {item.when}, {name}">'
                f"{choices}\n            </ul>\n          </div>"
            )
        return (
            f'\n        <li class="dl-item dl-free"><a href="{escape_html(item.href)}">'
            f'<span class="dl-when">libre {item.when}</span>{label}'
            '<span class="dl-go" aria-hidden="true">Réserver ›</span>'
            f'<span class="visually-hidden"> : réserver {name}</span></a>{starts}</li>'
        )
    reason = f" : {text}" if text else ""
    return (
        f'\n        <li class="dl-item dl-closed"><span class="dl-box">'
        f'<span class="dl-when">{item.when}</span> <span class="dl-label">Fermé{reason}</span>'
        "</span></li>"
    )


def strip_html(days: list[date], link: str, shown: date, current: date) -> Markup:
    """The strip's days, each a link (`link` a pattern for the ISO date), as the <ul> holds them."""
    lines = []
    for day in days:
        css = (" is-shown" if day == shown else "") + (" is-today" if day == current else "")
        aria = ' aria-current="date"' if day == shown else ""
        today = ", aujourd’hui" if day == current else ""
        named = format_date(day, "EEEE d MMMM").capitalize()
        href = escape_html(link.format(day.isoformat()))
        lines.append(
            f'\n      <li><a href="{href}" class="strip-day{css}"{aria}>'
            f'<span class="strip-wd" aria-hidden="true">{named[:3]}</span>'
            f'<span class="strip-n" aria-hidden="true">{day.day}</span>'
            f'<span class="visually-hidden">{named}{today}</span></a></li>'
        )
    return Markup("".join(lines))  # noqa: S704 (dates and a link, escaped)
