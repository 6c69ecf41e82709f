"""The season's plan as pure rules: clashes between requests, their dates, the deadline.

Pure: no Flask, no database, `now` passed in. Times are the site's wall times ("HH:MM").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.formatting import format_long_day
from pole.quotas import rules as quota_rules


@dataclass(frozen=True)
class Slot:
    """A request as the rules see it: a resource on weekdays, wall hours, a date range."""

    id: int
    resource_id: int
    weekdays: frozenset[int]
    start: time
    end: time
    from_day: date
    until: date  # inclusive


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def clash(a: Slot, b: Slot, buffer_minutes: int = 0) -> bool:
    """Two requests clash when they ask the same resource on a common weekday, at hours that
    overlap once the resource's buffer is kept between them, over overlapping date ranges."""
    if a.id == b.id or a.resource_id != b.resource_id or not a.weekdays & b.weekdays:
        return False
    if a.from_day > b.until or b.from_day > a.until:
        return False
    return (
        _minutes(a.start) < _minutes(b.end) + buffer_minutes
        and _minutes(b.start) < _minutes(a.end) + buffer_minutes
    )


def clashes(slots: Sequence[Slot], buffers: dict[int, int]) -> list[tuple[int, int]]:
    """Every pair of requests that clash, (smaller id, larger id), in order."""
    pairs = []
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if clash(a, b, buffers.get(a.resource_id, 0)):
                pairs.append((min(a.id, b.id), max(a.id, b.id)))
    return sorted(pairs)


def is_excluded(day: date, excluded: Iterable[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in excluded)


def excluded_days(slot: Slot, excluded: Iterable[tuple[date, date]]) -> list[date]:
    """The days of the request that fall in an excluded range (the Christmas closure)."""
    excluded = list(excluded)
    return [d for d in days_of(slot) if is_excluded(d, excluded)]


def days_of(slot: Slot) -> list[date]:
    """Every day of the request's date range on one of its weekdays."""
    days, day = [], slot.from_day
    while day <= slot.until:
        if day.weekday() in slot.weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def weekly_minutes(slot: Slot) -> int:
    """What the request takes in a full week, in minutes."""
    return len(slot.weekdays) * max(0, _minutes(slot.end) - _minutes(slot.start))


def check_request(slot: Slot, first_day: date, last_day: date) -> list[Reason]:
    """A request asks at least one weekday, ends after it starts, and stays inside the season."""
    reasons = []
    if not slot.weekdays:
        reasons.append(Reason("weekdays", "weekdays", "Choisissez au moins un jour."))
    if _minutes(slot.end) <= _minutes(slot.start):
        reasons.append(Reason("hours", "end_time", "L'heure de fin doit suivre l'heure de début."))
    if slot.from_day < first_day or slot.until > last_day:
        reasons.append(
            Reason(
                "outside",
                "from_day",
                f"Les dates doivent rester dans la saison, du {format_long_day(first_day)} "
                f"au {format_long_day(last_day)}.",
            )
        )
    if slot.until < slot.from_day:
        reasons.append(Reason("dates", "until", "La date de fin doit suivre la date de début."))
    return reasons


def deadline_reason(deadline: datetime, status: str, now: datetime) -> Reason | None:
    """Requests are entered until the deadline, and only while the plan is open."""
    if status != "open":
        return Reason("published", "", "Ce plan est publié : les demandes sont closes.")
    if now >= deadline:
        return Reason(
            "deadline", "", "La date limite est passée : les demandes ne se modifient plus."
        )
    return None


def entry_reason(deadline: datetime, status: str, now: datetime, by_manager: bool) -> Reason | None:
    """Coordinators enter and change their requests until the deadline; the manager until
    the plan is published."""
    if by_manager and status == "open":
        return None
    return deadline_reason(deadline, status, now)


def may_change_request(
    request_status: str, deadline: datetime, status: str, now: datetime, by_manager: bool
) -> bool:
    """A request can be changed or withdrawn while entries are open, unless withdrawn."""
    return request_status != "withdrawn" and entry_reason(deadline, status, now, by_manager) is None


def next_year(day: date) -> date:
    """The same day (or moment) a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def busiest(
    rule: quota_rules.QuotaRule, periods: Iterable[tuple[datetime, datetime]], tz: ZoneInfo
) -> tuple[quota_rules.Window, int] | None:
    """The period of the quota the requests fill most, and what they take of it (the quota's
    unit: minutes or bookings); None when they fall in none of its periods."""
    totals: dict[datetime, tuple[quota_rules.Window, int]] = {}
    for start, end in periods:
        for window in quota_rules.windows_of(rule, start, end, tz):
            _, total = totals.get(window.start, (window, 0))
            totals[window.start] = (window, total + quota_rules.amount(rule, window, start, end))
    return max(totals.values(), key=lambda wt: wt[1], default=None)


def quota_line(rule: quota_rules.QuotaRule, found: tuple[quota_rules.Window, int]) -> str:
    """'jusqu'à 13 h sur 30 h (janvier 2027) dans le hall', with '— dépassé' past the limit."""
    window, used = found
    text = (
        f"jusqu'à {quota_rules.quantity_text(rule, used)} sur "
        f"{quota_rules.quantity_text(rule, rule.limit)} ({window.label}) {rule.place}"
    )
    return text + (" — dépassé" if used > rule.limit else "")
