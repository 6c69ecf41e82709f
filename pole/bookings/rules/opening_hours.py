"""Opening hours and the booking grid: a booking fits inside the hours, on the wall-clock grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pole.bookings.rules.dates import longest_days
from pole.bookings.rules.policy import BookingRequest, Policy
from pole.core.refusals import Reason
from pole.formatting import WEEKDAYS, format_duration, format_hhmm, join_words
from pole.timeutil import MINUTES_PER_DAY, combine_minutes, minutes_of_day, to_local


@dataclass(frozen=True, order=True)
class _Span:
    start: datetime
    end: datetime = field(compare=False)


def _opening_spans(policy: Policy, first_day: date, last_day: date) -> list[_Span]:
    """Opening intervals of each local day as instants, merged when they touch at midnight.

    Never walks further than the longest booking the policy allows: beyond it the spans stop,
    which reads as closed.
    """
    spans: list[_Span] = []
    day = first_day
    last_day = min(last_day, first_day + timedelta(days=longest_days(policy)))
    while day <= last_day:
        for open_min, close_min in policy.opening_hours.get(day.weekday(), ()):
            if not 0 <= open_min < close_min <= MINUTES_PER_DAY:
                raise ValueError(f"bad opening interval {open_min}-{close_min} in {policy.name}")
            # An edge in the spring-forward gap counts as the moment the clocks jump.
            start = combine_minutes(day, open_min, policy.tz, shift_gap=True)
            end = combine_minutes(day, close_min, policy.tz, shift_gap=True)
            if start < end:
                spans.append(_Span(start, end))
        day += timedelta(days=1)
    spans.sort()
    merged: list[_Span] = []
    for span in spans:
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = _Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def _first_uncovered(spans: Sequence[_Span], start: datetime, end: datetime) -> datetime | None:
    """The first instant of [start, end) outside the given sorted, disjoint spans, if any."""
    cursor = start
    for span in spans:
        if span.start <= cursor < span.end:
            cursor = span.end
        if cursor >= end:
            return None
    return cursor


def opening_hours_text(policy: Policy, weekday: int) -> str:
    """One weekday's hours in French: 'Le mardi, la salle est ouverte de 08:00 à 19:00.'."""
    day_name = WEEKDAYS[weekday]
    intervals = sorted(policy.opening_hours.get(weekday, ()))
    if not intervals:
        if policy.is_room:
            return f"La salle est fermée le {day_name}."
        return f"Le matériel ne se réserve pas le {day_name}."
    hours = join_words(
        f"de {format_hhmm(a, say_midnight=True)} à {format_hhmm(b, say_midnight=True)}"
        for a, b in intervals
    )
    if policy.is_room:
        return f"Le {day_name}, la salle est ouverte {hours}."
    return f"Le {day_name}, le matériel se réserve {hours}."


def check_opening_hours(req: BookingRequest, policy: Policy) -> Reason | None:
    """A booking must fit entirely inside the opening hours, midnight included."""
    tz = policy.tz
    first_day = to_local(req.start, tz).date()
    last_day = to_local(req.end, tz).date()
    spans = _opening_spans(policy, first_day, last_day)
    gap = _first_uncovered(spans, req.start, req.end)
    if gap is None:
        return None
    gap_day = to_local(gap, tz).date()
    where = "start" if gap == req.start else "end"
    return Reason(
        "closed_hours",
        where,
        "Ce créneau sort des horaires d'ouverture. "
        + opening_hours_text(policy, gap_day.weekday()),
    )


def check_grid(req: BookingRequest, policy: Policy) -> list[Reason]:
    """Start and end sit on the local grid (every 15 or 30 minutes...) shown on the wall clock."""
    step = policy.granularity
    if step <= 1:
        return []
    reasons = []
    for name, instant in (("start", req.start), ("end", req.end)):
        local = to_local(instant, policy.tz)
        minutes = minutes_of_day(local)
        if minutes % step == 0 and local.second == 0 and local.microsecond == 0:
            continue
        before = minutes - minutes % step
        after = min(before + step, MINUTES_PER_DAY)
        label = "de début" if name == "start" else "de fin"
        reasons.append(
            Reason(
                "granularity",
                name,
                f"Les réservations se font par tranches de {format_duration(step)} : "
                f"choisissez une heure {label} comme {format_hhmm(before, say_midnight=True)} "
                f"ou {format_hhmm(after, say_midnight=True)}.",
            )
        )
    return reasons
