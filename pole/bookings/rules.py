"""Booking rules of the building, as pure functions over plain data (no web, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.formatting import (
    WEEKDAYS,
    format_day,
    format_duration,
    format_hhmm,
    format_numeric_date,
    join_words,
)
from pole.timeutil import (
    MINUTES_PER_DAY,
    NonexistentLocalTime,
    combine_minutes,
    local_to_utc,
    minutes_of_day,
    to_local,
)

UNIT_SINGULAR, UNIT_PLURAL = "unité", "unités"  # equipment whose unit has no name
KIND_AUDIENCE_FR = {
    "association": "aux associations",
    "partner": "aux partenaires",
    "ccas": "au CCAS",
}


@dataclass(frozen=True)
class Policy:
    """How a resource (room, kitchen or pooled equipment) may be booked."""

    name: str
    is_room: bool
    quantity: int
    opening_hours: Mapping[int, Sequence[tuple[int, int]]]
    granularity: int
    min_duration: int
    max_duration: int
    max_days_ahead: int
    min_notice: int
    buffer: int
    allowed_kinds: frozenset[str]
    tz: ZoneInfo
    # Singular and plural noun for one unit, used in messages ("table pliante", "tables pliantes").
    units: tuple[str, str] = (UNIT_SINGULAR, UNIT_PLURAL)


@dataclass(frozen=True)
class Occupation:
    """An existing pending or confirmed booking of the same resource."""

    start: datetime
    end: datetime
    quantity: int
    label: str
    booking_id: int | None = None


@dataclass(frozen=True)
class ClosurePeriod:
    """A period when the resource cannot be booked at all."""

    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class BookingRequest:
    """What someone asks to book."""

    start: datetime
    end: datetime
    quantity: int
    organisation_kind: str
    is_member: bool
    is_manager: bool


@dataclass(frozen=True, order=True)
class _Span:
    start: datetime
    end: datetime = field(compare=False)


def unit_noun(n: int, singular: str, plural: str) -> str:
    """0 and 1 take the singular in French ("1 table pliante"), 2 and more the plural."""
    return singular if abs(n) < 2 else plural


def quantity_text(n: int, singular: str, plural: str) -> str:
    """ "1 table pliante", "10 tables pliantes"."""
    return f"{n} {unit_noun(n, singular, plural)}"


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Two periods overlap when each starts before the other ends; touching is not overlapping."""
    return a_start < b_end and b_start < a_end


def period_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """A period in local time, as short as it can be said ('le mar. 24/11 de 10:00 à 12:00')."""
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    whole_days = minutes_of_day(local_start) == 0 and minutes_of_day(local_end) == 0
    if whole_days:
        last_day = local_end.date() - timedelta(days=1)
        if last_day <= local_start.date():
            return f"le {format_day(local_start.date())}"
        return f"du {format_day(local_start.date())} au {format_day(last_day)}"
    first, at, until = (
        format_day(local_start.date()),
        format_hhmm(local_start),
        format_hhmm(local_end),
    )
    if local_start.date() == local_end.date():
        return f"le {first} de {at} à {until}"
    return f"du {first} à {at} au {format_day(local_end.date())} à {until}"


def _times_text(start: datetime, end: datetime, tz: ZoneInfo, ref_day: date) -> str:
    """'de 10:00 à 12:00' when on the request's day, otherwise with the dates."""
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    if local_start.date() == ref_day and local_end.date() == ref_day:
        return f"de {format_hhmm(local_start)} à {format_hhmm(local_end)}"
    return period_text(start, end, tz)


def _longest_days(policy: Policy) -> int:
    """How many days after its first one the longest booking allowed can reach."""
    return policy.max_duration // MINUTES_PER_DAY + 1


def _opening_spans(policy: Policy, first_day: date, last_day: date) -> list[_Span]:
    """Opening intervals of each local day as instants, merged when they touch at midnight.

    Never walks further than the longest booking the policy allows: beyond it the spans stop,
    which reads as closed.
    """
    spans: list[_Span] = []
    day = first_day
    last_day = min(last_day, first_day + timedelta(days=_longest_days(policy)))
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


def _check_opening_hours(req: BookingRequest, policy: Policy) -> Reason | None:
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


def _check_grid(req: BookingRequest, policy: Policy) -> list[Reason]:
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


def _check_quantity(req: BookingRequest, policy: Policy) -> Reason | None:
    if policy.is_room:
        if req.quantity != 1:
            return Reason("quantity", "quantity", "Une salle se réserve en entier : quantité 1.")
        return None
    singular, plural = policy.units
    if req.quantity < 1:
        return Reason("quantity", "quantity", "Indiquez une quantité d'au moins 1.")
    if req.quantity > policy.quantity:
        noun = unit_noun(policy.quantity, singular, plural)
        return Reason("quantity", "quantity", f"Il n'y a que {policy.quantity} {noun} en tout.")
    return None


def _room_conflicts(
    req: BookingRequest, policy: Policy, occupied: Sequence[Occupation]
) -> list[Reason]:
    """A room holds one booking at a time, each followed by its cleaning time."""
    tz, buffer = policy.tz, timedelta(minutes=policy.buffer)
    ref_day = to_local(req.start, tz).date()
    reasons = []
    for occ in sorted(occupied, key=lambda o: o.start):
        if not overlaps(req.start, req.end + buffer, occ.start, occ.end + buffer):
            continue
        when = _times_text(occ.start, occ.end, tz, ref_day)
        if overlaps(req.start, req.end, occ.start, occ.end):
            message = f"Ce créneau est déjà pris : {occ.label}, {when}."
        else:
            message = (
                f"Trop près d'une autre réservation ({occ.label}, {when}) : il faut laisser "
                f"{format_duration(policy.buffer)} libres entre deux réservations pour le ménage."
            )
        reasons.append(Reason("overlap", "start", message))
    return reasons


def _pool_shortage(
    req: BookingRequest, policy: Policy, occupied: Sequence[Occupation]
) -> Reason | None:
    """At every moment of the request, units already lent plus those asked stay within stock."""
    tz, buffer = policy.tz, timedelta(minutes=policy.buffer)
    window_start, window_end = req.start, req.end + buffer
    # Sweep over the boundaries: a plain total would wrongly add bookings that never meet.
    deltas: dict[datetime, int] = {}
    for occ in occupied:
        occ_start, occ_end = occ.start, occ.end + buffer
        if occ.quantity <= 0 or not overlaps(window_start, window_end, occ_start, occ_end):
            continue
        a, b = max(occ_start, window_start), min(occ_end, window_end)
        deltas[a] = deltas.get(a, 0) + occ.quantity
        deltas[b] = deltas.get(b, 0) - occ.quantity
    if not deltas:
        return None
    used = 0
    worst = 0
    worst_start: datetime | None = None
    worst_end: datetime | None = None
    points = sorted(deltas)
    for here, following in pairwise(points):
        used += deltas[here]
        if used > worst:
            worst, worst_start, worst_end = used, here, following
        elif used == worst and worst_end == here:
            # Report the whole stretch at the worst level, not a sliver of it.
            worst_end = following
    if worst + req.quantity <= policy.quantity or worst_start is None or worst_end is None:
        return None
    left = max(policy.quantity - worst, 0)
    singular, plural = policy.units
    when = (
        f"entre {format_hhmm(to_local(worst_start, tz))} et {format_hhmm(to_local(worst_end, tz))}"
    )
    if to_local(worst_start, tz).date() != to_local(req.start, tz).date():
        when = f"le {format_day(to_local(worst_start, tz).date())} {when}"
    if left == 0:
        message = f"Il n'y a plus de {plural} disponibles {when}."
    else:
        noun = unit_noun(left, singular, plural)
        adjective = "disponible" if left == 1 else "disponibles"
        message = f"Il ne reste que {left} {noun} {adjective} {when}."
    if policy.buffer:
        message += (
            f" Il faut compter {format_duration(policy.buffer)} de battement après chaque emprunt."
        )
    return Reason("overlap", "quantity", message)


def check_booking(
    req: BookingRequest,
    policy: Policy,
    occupied: Sequence[Occupation],
    closures: Sequence[ClosurePeriod],
    now: datetime,
) -> list[Reason]:
    """Every reason this booking cannot be made; an empty list means it can be booked."""
    for name, value in (("start", req.start), ("end", req.end), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    tz = policy.tz
    reasons: list[Reason] = []

    if req.organisation_kind not in policy.allowed_kinds:
        audience = KIND_AUDIENCE_FR.get(req.organisation_kind, "à ce type d'organisation")
        what = "Cette salle n'est pas ouverte" if policy.is_room else "Ce matériel n'est pas prêté"
        reasons.append(Reason("kind", "organisation", f"{what} {audience}."))
    if not req.is_member and not req.is_manager:
        reasons.append(
            Reason(
                "membership",
                "organisation",
                "Vous ne pouvez réserver que pour une organisation dont vous êtes membre.",
            )
        )
    quantity_problem = _check_quantity(req, policy)
    if quantity_problem:
        reasons.append(quantity_problem)

    if req.end <= req.start:
        # Without a real period the remaining time checks would only add noise.
        reasons.append(Reason("order", "end", "La fin doit venir après le début."))
        return reasons

    if req.start < now:
        reasons.append(Reason("past", "start", "Ce créneau est déjà passé."))
    elif req.start < now + timedelta(minutes=policy.min_notice):
        # A past start already says it all, so notice is only checked for future starts.
        reasons.append(
            Reason(
                "notice",
                "start",
                f"Il faut réserver au moins {format_duration(policy.min_notice)} à l'avance.",
            )
        )
    last_bookable = to_local(now, tz).date() + timedelta(days=policy.max_days_ahead)
    if to_local(req.start, tz).date() > last_bookable:
        reasons.append(_too_far(policy, last_bookable, "start"))

    reasons.extend(_check_grid(req, policy))
    elapsed = (req.end - req.start) / timedelta(minutes=1)
    if elapsed < policy.min_duration:
        reasons.append(
            Reason(
                "too_short",
                "end",
                f"Une réservation dure au moins {format_duration(policy.min_duration)}.",
            )
        )
    too_long = elapsed > policy.max_duration
    if too_long:
        reasons.append(_too_long(policy))

    # Opening hours are walked day by day: only over a period the policy allows.
    hours_problem = None if too_long else _check_opening_hours(req, policy)
    if hours_problem:
        reasons.append(hours_problem)
    for closure in sorted(closures, key=lambda c: c.start):
        if overlaps(req.start, req.end, closure.start, closure.end):
            text = f"Fermeture {period_text(closure.start, closure.end, tz)}"
            text += f" : {closure.reason}." if closure.reason else "."
            reasons.append(Reason("closure", "start", text))

    if quantity_problem is None:
        if policy.is_room:
            reasons.extend(_room_conflicts(req, policy, occupied))
        else:
            shortage = _pool_shortage(req, policy, occupied)
            if shortage:
                reasons.append(shortage)
    return reasons


def _too_far(policy: Policy, last_bookable: date, field_name: str) -> Reason:
    return Reason(
        "too_far",
        field_name,
        f"On ne peut pas réserver plus de {policy.max_days_ahead} jours à l'avance "
        f"(jusqu'au {format_numeric_date(last_bookable)}).",
    )


def _too_long(policy: Policy, field_name: str = "end") -> Reason:
    return Reason(
        "too_long",
        field_name,
        f"Une réservation ne peut pas dépasser {format_duration(policy.max_duration)}.",
    )


def check_dates(first_day: date, last_day: date, policy: Policy, today: date) -> list[Reason]:
    """Dates no booking of this resource can have, refused before any time is computed.

    A booking starts at most `max_days_ahead` days after today and cannot span more days than
    its maximum duration reaches; the exact checks come later, in check_booking.
    """
    reasons = []
    last_bookable = today + timedelta(days=policy.max_days_ahead)
    if first_day > last_bookable:
        reasons.append(_too_far(policy, last_bookable, "date"))
    if (last_day - first_day).days > _longest_days(policy):
        reasons.append(_too_long(policy, "end_date"))
    return reasons


def nonexistent_time_reason(error: NonexistentLocalTime, field_name: str = "start") -> Reason:
    """A wall time skipped by the spring clock change, said beside the field that holds it."""
    return Reason("nonexistent_time", field_name, str(error))


def suggest_free_times(
    policy: Policy,
    occupied: Sequence[Occupation],
    closures: Sequence[ClosurePeriod],
    day: date,
    duration: timedelta,
    quantity: int,
    around: datetime,
    now: datetime,
    org_kind: str,
    limit: int = 3,
) -> list[tuple[datetime, datetime]]:
    """The free slots of that day nearest to the wished time, each bookable as it stands."""
    if limit <= 0 or duration <= timedelta(0):
        return []
    step = max(policy.granularity, 1)
    found: list[tuple[datetime, datetime]] = []
    seen: set[datetime] = set()
    for open_min, close_min in policy.opening_hours.get(day.weekday(), ()):
        first = -(-open_min // step) * step
        for minutes in range(first, close_min, step):
            try:
                start = combine_minutes(day, minutes, policy.tz)
            except NonexistentLocalTime:
                continue
            if start in seen:
                continue
            seen.add(start)
            req = BookingRequest(
                start=start,
                end=start + duration,
                quantity=quantity,
                organisation_kind=org_kind,
                is_member=True,
                is_manager=True,
            )
            if not check_booking(req, policy, occupied, closures, now):
                found.append((req.start, req.end))
    found.sort(key=lambda slot: (abs(slot[0] - around), slot[0]))
    return found[:limit]


# Approval and changes -------------------------------------------------------------------------


def needs_approval(requires_approval: bool, by_manager: bool) -> bool:
    """A resource lent on request waits for the manager's approval, unless she books it."""
    return requires_approval and not by_manager


def status_after_move(status: str, moved: bool, requires_approval: bool, by_manager: bool) -> str:
    """A confirmed booking that is moved goes back to pending if its resource needs approval."""
    if moved and status == "confirmed" and needs_approval(requires_approval, by_manager):
        return "pending"
    return status


def clash_within_series(
    start: datetime,
    end: datetime,
    others: Sequence[tuple[datetime, datetime]],
    buffer: timedelta,
    is_room: bool,
) -> Reason | None:
    """Two dates of one series moved together must not clash, cleaning time included."""
    if not is_room:
        return None
    for other_start, other_end in others:
        if overlaps(start, end + buffer, other_start, other_end + buffer):
            return Reason("overlap", "start", "Deux dates de la série se chevauchent.")
    return None


def keep_wall_times(
    occurrence_start: datetime, new_start: datetime, new_end: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """A series moved to 14:00 keeps each date and takes 14:00 local time on it.

    Raises NonexistentLocalTime when the new hours do not exist on that date.
    """
    day = to_local(occurrence_start, tz).date()
    start_local, end_local = to_local(new_start, tz), to_local(new_end, tz)
    extra_days = (end_local.date() - start_local.date()).days
    start = local_to_utc(day, start_local.time(), tz)
    end = local_to_utc(day + timedelta(days=extra_days), end_local.time(), tz)
    return start, end


__all__ = [
    "BookingRequest",
    "ClosurePeriod",
    "Occupation",
    "Policy",
    "Reason",
    "check_booking",
    "check_dates",
    "clash_within_series",
    "keep_wall_times",
    "needs_approval",
    "period_text",
    "status_after_move",
    "nonexistent_time_reason",
    "opening_hours_text",
    "overlaps",
    "suggest_free_times",
]
