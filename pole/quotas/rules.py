"""Quota arithmetic: which quotas apply, the periods a booking falls in, usage, refusals.

Pure: no Flask, no database, `now` passed in. Periods follow the site's local calendar
(weeks Monday to Sunday, months, a season's dates inclusive); hours are real elapsed time
(UTC arithmetic), so a booking across the clock change counts what it really lasts. A
booking straddling the end of a period counts its hours in each; counted in bookings, it
belongs to the period it starts in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.formatting import format_date, format_hours, format_long_day
from pole.timeutil import local_to_utc, to_local

COUNTED = ("pending", "confirmed")  # cancelled and refused bookings give their time back
LATE_CANCELLATION = timedelta(hours=48)


@dataclass(frozen=True)
class QuotaRule:
    """A quota as the arithmetic sees it; `place` says where, in words ("dans le hall")."""

    id: int
    maximum: int
    unit: str  # "hours" | "bookings"
    period: str  # "week" | "month" | "season"
    resource_ids: frozenset[int]
    target: tuple[str, int]  # ("resource", id) or ("group", id)
    place: str
    organisation_id: int | None = None
    organisation_kind: str | None = None
    season: tuple[date, date] | None = None  # first and last day, inclusive

    @property
    def limit(self) -> int:
        """The maximum in the unit usage is counted in: minutes, or bookings."""
        return self.maximum * 60 if self.unit == "hours" else self.maximum


@dataclass(frozen=True)
class Held:
    """A booking of the organisation that may count against its quotas."""

    start: datetime
    end: datetime
    resource_id: int
    status: str = "confirmed"


@dataclass(frozen=True)
class Window:
    """One period of a quota: [start, end) in UTC, and its name ("décembre 2026")."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    label: str


@dataclass(frozen=True)
class Excess:
    """Asking `asked` more would take the quota over its limit in this window."""

    rule: QuotaRule
    window: Window
    used: int
    asked: int


def applicable(
    rules: Iterable[QuotaRule], organisation_id: int, organisation_kind: str, resource_id: int
) -> list[QuotaRule]:
    """The quotas on this organisation's bookings of this resource.

    An organisation's own quota replaces the default of its kind for the same resource (or
    group) and the same period.
    """
    matching = [
        r
        for r in rules
        if resource_id in r.resource_ids
        and (
            r.organisation_id == organisation_id
            or (r.organisation_id is None and r.organisation_kind == organisation_kind)
        )
    ]
    own = {(r.target, r.period) for r in matching if r.organisation_id is not None}
    return [r for r in matching if r.organisation_id is not None or (r.target, r.period) not in own]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def window_at(rule: QuotaRule, day: date, tz: ZoneInfo) -> Window | None:
    """The period of the quota that contains this local day (None outside a season)."""
    if rule.period == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        label = f"semaine du {format_long_day(first)}"
    elif rule.period == "month":
        first = _month_start(day)
        last = _next_month(day) - timedelta(days=1)
        label = format_date(first, "MMMM y")
    else:
        if rule.season is None or not rule.season[0] <= day <= rule.season[1]:
            return None
        first, last = rule.season
        label = f"saison du {format_long_day(first)} au {format_long_day(last)}"
    start = local_to_utc(first, time(0, 0), tz)
    end = local_to_utc(last + timedelta(days=1), time(0, 0), tz)
    return Window(start, end, first, last, label)


def windows_of(rule: QuotaRule, start: datetime, end: datetime, tz: ZoneInfo) -> list[Window]:
    """Every period of the quota that [start, end) meets, in order."""
    windows: list[Window] = []
    day = to_local(start, tz).date()
    last_day = to_local(max(start, end - timedelta(microseconds=1)), tz).date()
    while day <= last_day:
        window = window_at(rule, day, tz)
        if window is None:
            if rule.season is None or day > rule.season[1]:
                break
            day = max(day + timedelta(days=1), rule.season[0])
            continue
        if window.start < end and window.end > start:
            windows.append(window)
        day = window.last_day + timedelta(days=1)
    return windows


def amount(rule: QuotaRule, window: Window, start: datetime, end: datetime) -> int:
    """What [start, end) takes of the window: minutes inside it, or 1 if it starts in it."""
    if rule.unit == "bookings":
        return 1 if window.start <= start < window.end else 0
    inside = min(end, window.end) - max(start, window.start)
    return max(0, int(inside // timedelta(minutes=1)))


def usage(rule: QuotaRule, window: Window, held: Iterable[Held]) -> int:
    """What the organisation already holds in the window: pending and confirmed bookings."""
    return sum(
        amount(rule, window, h.start, h.end)
        for h in held
        if h.status in COUNTED and h.resource_id in rule.resource_ids
    )


Key = tuple[int, datetime]  # a quota's period: the quota's id and the period's start


def key_of(rule: QuotaRule, window: Window) -> Key:
    return (rule.id, window.start)


def windows_needed(
    rules: Sequence[QuotaRule], asked: Sequence[tuple[datetime, datetime]], tz: ZoneInfo
) -> list[tuple[QuotaRule, Window]]:
    """Each period of each quota that some asked booking meets, once, in order."""
    needed: dict[Key, tuple[QuotaRule, Window]] = {}
    for start, end in asked:
        for rule in rules:
            for window in windows_of(rule, start, end, tz):
                needed.setdefault(key_of(rule, window), (rule, window))
    return list(needed.values())


def excesses(
    rules: Sequence[QuotaRule],
    held: Sequence[Held],
    asked: Sequence[tuple[datetime, datetime]],
    tz: ZoneInfo,
) -> list[list[Excess]]:
    """For each asked booking, in order, the quotas it would take over their limit, the
    organisation already holding `held`."""
    used = {key_of(r, w): usage(r, w, held) for r, w in windows_needed(rules, asked, tz)}
    return excesses_given(rules, used, asked, tz)


def excesses_given(
    rules: Sequence[QuotaRule],
    used: Mapping[Key, int],
    asked: Sequence[tuple[datetime, datetime]],
    tz: ZoneInfo,
) -> list[list[Excess]]:
    """`excesses`, from what is already used in each period `windows_needed` lists (minutes
    or bookings, as the database sums them: pole.quotas.services.usages).

    The asked bookings count for the ones after them (a series counts every occurrence),
    except those refused: skipping the dates listed leaves a series that fits.
    """
    totals = dict(used)
    result: list[list[Excess]] = []
    for start, end in asked:
        problems: list[Excess] = []
        adds: list[tuple[Key, int]] = []
        for rule in rules:
            for window in windows_of(rule, start, end, tz):
                key = key_of(rule, window)
                taken = amount(rule, window, start, end)
                if taken and totals[key] + taken > rule.limit:
                    problems.append(Excess(rule, window, totals[key], taken))
                else:
                    adds.append((key, taken))
        if not problems:
            for key, taken in adds:
                totals[key] += taken
        result.append(problems)
    return result


def quantity_text(rule: QuotaRule, value: int) -> str:
    if rule.unit == "hours":
        return format_hours(value)
    return f"{value} réservation{'s' if value > 1 else ''}"


def period_phrase(rule: QuotaRule, window: Window, today: date) -> str:
    """'ce mois-ci' for the period of today, 'ce mois-là' for another one."""
    current = window.first_day <= today <= window.last_day
    if rule.period == "week":
        return "cette semaine" if current else "cette semaine-là"
    if rule.period == "month":
        return "ce mois-ci" if current else "ce mois-là"
    return "sur la saison"


def standing_text(
    rule: QuotaRule, window: Window, used: int, organisation_name: str, today: date
) -> str:
    """Where the organisation stands: 'Restos du cœur : 14 h sur 20 h ce mois-ci dans le hall'."""
    text = (
        f"{organisation_name} : {quantity_text(rule, used)} sur {quantity_text(rule, rule.limit)} "
        f"{period_phrase(rule, window, today)} {rule.place}"
    )
    if not window.first_day <= today <= window.last_day and rule.period != "season":
        text += f" ({window.label})"
    return text


def excess_reason(excess: Excess, organisation_name: str, today: date) -> Reason:
    """The refusal in words, with the period concerned."""
    rule = excess.rule
    standing = standing_text(rule, excess.window, excess.used, organisation_name, today)
    standing = standing.removesuffix(f" ({excess.window.label})")
    if rule.unit == "hours":
        this = f"cette réservation de {format_hours(excess.asked)}"
    else:
        this = "une réservation de plus"
    return Reason(
        "quota",
        "start",
        f"{standing} ; {this} dépasserait le quota ({excess.window.label}).",
    )


@dataclass
class Share:
    """How one organisation used a resource over a period (minutes, and bookings)."""

    booked: int = 0
    used: int = 0
    cancelled_late: int = 0
    bookings: int = 0


@dataclass(frozen=True)
class PastBooking:
    """A booking as the Partage page counts it; `changed_at` dates a cancellation."""

    organisation_id: int
    start: datetime
    end: datetime
    status: str
    changed_at: datetime


def shares(
    bookings: Iterable[PastBooking], start: datetime, end: datetime, now: datetime
) -> dict[int, Share]:
    """Per organisation, over [start, end): hours booked (pending and confirmed), used
    (confirmed and over), cancelled late (less than 48 h before the start), and bookings.
    """
    result: dict[int, Share] = {}
    for b in bookings:
        minutes = int((min(b.end, end) - max(b.start, start)) // timedelta(minutes=1))
        if minutes <= 0:
            continue
        share = result.setdefault(b.organisation_id, Share())
        if b.status in COUNTED:
            share.booked += minutes
            share.bookings += 1 if start <= b.start < end else 0
            if b.status == "confirmed" and b.end <= now:
                share.used += minutes
        elif b.status == "cancelled" and b.changed_at > b.start - LATE_CANCELLATION:
            share.cancelled_late += minutes
    return result
