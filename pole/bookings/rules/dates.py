"""How far ahead and how long: the horizon, the longest booking, times the clocks skip."""

from __future__ import annotations

from datetime import date, timedelta

from pole.bookings.rules.policy import Policy
from pole.core.refusals import Reason
from pole.formatting import format_duration, format_numeric_date
from pole.timeutil import MINUTES_PER_DAY, NonexistentLocalTime


def longest_days(policy: Policy) -> int:
    """How many days after its first one the longest booking allowed can reach."""
    return policy.max_duration // MINUTES_PER_DAY + 1


def too_far_reason(policy: Policy, last_bookable: date, field_name: str) -> Reason:
    """A booking starts at most max_days_ahead days from today: the last day is said."""
    return Reason(
        "too_far",
        field_name,
        f"On ne peut pas réserver plus de {policy.max_days_ahead} jours à l'avance "
        f"(jusqu'au {format_numeric_date(last_bookable)}).",
    )


def too_long_reason(policy: Policy, field_name: str = "end") -> Reason:
    """A booking lasts at most the resource's maximum duration."""
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
        reasons.append(too_far_reason(policy, last_bookable, "date"))
    if (last_day - first_day).days > longest_days(policy):
        reasons.append(too_long_reason(policy, "end_date"))
    return reasons


def nonexistent_time_reason(error: NonexistentLocalTime, field_name: str = "start") -> Reason:
    """A wall time skipped by the spring clock change, said beside the field that holds it."""
    return Reason("nonexistent_time", field_name, str(error))
