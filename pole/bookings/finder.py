"""Trouver un créneau: load the days asked in three queries, then ask the pure rule.

The free windows are those of the day view (pole.bookings.day_list.column_windows): opening
hours, closures, buffers, notice and horizon included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for

from pole.bookings import agenda, services
from pole.bookings.day_list import column_windows
from pole.bookings.find_forms import FindQuery
from pole.bookings.rules.finder import Candidate, find_times
from pole.db import utcnow
from pole.formatting import format_hhmm
from pole.resources.models import Resource, Site
from pole.resources.services import active_resources


@dataclass(frozen=True)
class Answer:
    resource: Resource
    day: date
    free: str  # "libre 14:00–18:00"
    book: str  # "14:00–15:00"
    href: str  # the booking form, filled
    needs_approval: bool
    available: int | None


def _hhmm(minute: int) -> str:
    return format_hhmm(minute % 1440)


def find(site: Site, query: FindQuery, viewer: object, now: datetime | None = None) -> list[Answer]:
    """The free resources and times that answer the query, day by day."""
    now = now or utcnow()
    resources = [
        r for r in active_resources(site) if r.site_id == site.id and query.kind in ("", r.kind)
    ]
    days = [query.first + timedelta(days=i) for i in range((query.last - query.first).days + 1)]
    if not resources:
        return []
    form_url = url_for("bookings.new")
    heads = [agenda.Head(r, d, r.name, r.name, False, form_url) for d in days for r in resources]
    columns = agenda.columns_for(
        site, heads, resources, days[0], days[-1], viewer, now, blocks_shown=False
    )
    candidates = [
        Candidate(
            head,
            head.day,
            column_windows(column),
            is_room=head.resource.is_room,
            seats=head.resource.capacity,
            step=max(head.resource.granularity_minutes, 1),
            longest=head.resource.max_duration_minutes,
        )
        for head, column in zip(heads, columns, strict=True)
    ]
    approval = {r.id: services.needs_approval(r, viewer) for r in resources}
    answers = []
    for found in find_times(candidates, query.earliest, query.latest, query.duration, query.people):
        head = found.key
        end = found.start + query.duration
        answers.append(
            Answer(
                head.resource,
                found.day,
                f"libre {_hhmm(found.start)}–{_hhmm(found.end)}",
                f"{_hhmm(found.start)}–{_hhmm(end)}",
                head.booking_url(found.start, end),
                approval[head.resource.id],
                found.available,
            )
        )
    return answers
