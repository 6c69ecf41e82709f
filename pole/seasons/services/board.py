"""The manager's board: per resource, every request, the clashes, quotas and bookings in the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.db import db
from pole.formatting import format_hours, format_when
from pole.quotas import services as quotas
from pole.resources.models import Resource
from pole.seasons import rules
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services.plan import slot_of
from pole.timeutil import local_to_utc


@dataclass
class RequestLine:
    request: SeasonRequest
    weekly: str  # "4 h par semaine"
    clashes_with: list[int] = field(default_factory=list)
    bookings_in_the_way: list[str] = field(default_factory=list)
    quota_problems: list[str] = field(default_factory=list)


@dataclass
class ResourceBoard:
    resource: Resource
    lines: list[RequestLine]
    pattern: dict[int, list[RequestLine]]  # weekday -> requests on it, by start time
    totals: list[str] = field(default_factory=list)  # per association: hours vs quotas


def occurrences(request: SeasonRequest, season: Season) -> list[tuple[datetime, datetime]]:
    """The request's dates in the season, excluded ranges left out, as UTC periods."""
    slot = slot_of(request)
    tz = season.site.tz
    return [
        (local_to_utc(day, slot.start, tz), local_to_utc(day, slot.end, tz))
        for day in rules.days_of(slot)
        if not rules.is_excluded(day, season.excluded_ranges)
    ]


def _bookings_in_the_way(request: SeasonRequest, season: Season) -> list[str]:
    periods = occurrences(request, season)
    if not periods:
        return []
    buffer = request.resource.buffer_minutes
    found = db.session.scalars(
        db.select(Booking)
        .where(
            Booking.resource_id == request.resource_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.meeting(periods[0][0], periods[-1][1]),
        )
        .order_by(Booking.start)
    ).all()
    tz = season.site.tz
    pad = timedelta(minutes=buffer)
    return [
        f"{b.organisation.name} : {format_when(b.start, b.end, tz)}"
        for b in found
        if b.series_id is None or b.series_id != request.series_id
        if any(b.start < e + pad and s < b.end + pad for s, e in periods)
    ]


def _quota_problems(request: SeasonRequest, season: Season, now: datetime) -> list[str]:
    found = quotas.quota_reasons(
        request.organisation, request.resource, occurrences(request, season), now
    )
    messages: list[str] = []
    for reasons in found:
        for reason in reasons:
            if reason.message not in messages:
                messages.append(reason.message)
    return messages[:3]


def board(season: Season, now: datetime) -> list[ResourceBoard]:
    """Per resource, the requests still in play (declined or withdrawn ones listed, not
    counted)."""
    requests = list(season.requests)
    live = [r for r in requests if r.is_live]
    buffers = {r.resource_id: r.resource.buffer_minutes for r in live}
    pairs = rules.clashes([slot_of(r) for r in live], buffers)
    boards: dict[int, ResourceBoard] = {}
    for r in sorted(requests, key=lambda r: (r.resource.position, r.resource_id, r.start_time)):
        slot = slot_of(r)
        line = RequestLine(r, f"{format_hours(rules.weekly_minutes(slot))} par semaine")
        if r.is_live:
            line.clashes_with = [b if a == r.id else a for a, b in pairs if r.id in (a, b)]
            line.bookings_in_the_way = _bookings_in_the_way(r, season)
            line.quota_problems = _quota_problems(r, season, now)
        b = boards.setdefault(r.resource_id, ResourceBoard(r.resource, [], {}))
        b.lines.append(line)
        for day in slot.weekdays if r.is_live else ():
            b.pattern.setdefault(day, []).append(line)
    for b in boards.values():
        b.totals = _totals(b, season)
    return list(boards.values())


def _totals(resource_board: ResourceBoard, season: Season) -> list[str]:
    """Per association, what its live requests ask a week, and the fullest period of each
    quota it would get if all were accepted."""
    by_org: dict[int, list[SeasonRequest]] = {}
    for line in resource_board.lines:
        if line.request.is_live:
            by_org.setdefault(line.request.organisation_id, []).append(line.request)
    texts = []
    for requests in by_org.values():
        organisation, resource = requests[0].organisation, resource_board.resource
        weekly = sum(rules.weekly_minutes(slot_of(r)) for r in requests)
        periods = [p for r in requests for p in occurrences(r, season)]
        parts = [f"{format_hours(weekly)} par semaine"]
        for rule in quotas.rules_for(organisation, resource.id):
            found = rules.busiest(rule, periods, season.site.tz)
            if found is not None:
                parts.append(rules.quota_line(rule, found))
        texts.append(f"{organisation.name} : " + " ; ".join(parts))
    return texts
