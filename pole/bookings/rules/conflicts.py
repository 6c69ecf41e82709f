"""What is already booked: a room holds one booking at a time, pooled stock never runs short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from pole.bookings.rules.periods import overlaps, times_text
from pole.bookings.rules.policy import BookingRequest, Occupation, Policy, unit_noun
from pole.core.refusals import Reason
from pole.formatting import format_day, format_duration, format_hhmm
from pole.timeutil import to_local


def check_quantity(req: BookingRequest, policy: Policy) -> Reason | None:
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


def room_conflicts(
    req: BookingRequest, policy: Policy, occupied: Sequence[Occupation]
) -> list[Reason]:
    """A room holds one booking at a time, each followed by its cleaning time."""
    tz, buffer = policy.tz, timedelta(minutes=policy.buffer)
    ref_day = to_local(req.start, tz).date()
    reasons = []
    for occ in sorted(occupied, key=lambda o: o.start):
        if not overlaps(req.start, req.end + buffer, occ.start, occ.end + buffer):
            continue
        when = times_text(occ.start, occ.end, tz, ref_day)
        if overlaps(req.start, req.end, occ.start, occ.end):
            message = f"Ce créneau est déjà pris : {occ.label}, {when}."
        else:
            message = (
                f"Trop près d'une autre réservation ({occ.label}, {when}) : il faut laisser "
                f"{format_duration(policy.buffer)} libres entre deux réservations pour le ménage."
            )
        reasons.append(Reason("overlap", "start", message))
    return reasons


def pool_shortage(
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
