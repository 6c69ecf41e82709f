"""Every reason a booking cannot be made, from who asks to what is already booked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pole.bookings.rules.conflicts import check_quantity, pool_shortage, room_conflicts
from pole.bookings.rules.dates import too_far_reason, too_long_reason
from pole.bookings.rules.opening_hours import check_grid, check_opening_hours
from pole.bookings.rules.periods import overlaps, period_text
from pole.bookings.rules.policy import BookingRequest, ClosurePeriod, Occupation, Policy
from pole.core.refusals import Reason
from pole.formatting import format_duration
from pole.timeutil import to_local

KIND_AUDIENCE_FR = {
    "association": "aux associations",
    "partner": "aux partenaires",
    "ccas": "au CCAS",
}


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
    quantity_problem = check_quantity(req, policy)
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
        reasons.append(too_far_reason(policy, last_bookable, "start"))

    reasons.extend(check_grid(req, policy))
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
        reasons.append(too_long_reason(policy))

    # Opening hours are walked day by day: only over a period the policy allows.
    hours_problem = None if too_long else check_opening_hours(req, policy)
    if hours_problem:
        reasons.append(hours_problem)
    for closure in sorted(closures, key=lambda c: c.start):
        if overlaps(req.start, req.end, closure.start, closure.end):
            text = f"Fermeture {period_text(closure.start, closure.end, tz)}"
            text += f" : {closure.reason}." if closure.reason else "."
            reasons.append(Reason("closure", "start", text))

    if quantity_problem is None:
        if policy.is_room:
            reasons.extend(room_conflicts(req, policy, occupied))
        else:
            shortage = pool_shortage(req, policy, occupied)
            if shortage:
                reasons.append(shortage)
    return reasons
