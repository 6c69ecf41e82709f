"""Booking rules of the building, as pure functions over plain data (no web, no database).

One module per job; callers import the package (`from pole.bookings import rules`):
  policy         the plain data the rules read (Policy, BookingRequest, Occupation, ...)
  periods        overlap of two periods, a period said in French
  dates          how far ahead, how long, times the spring clock change skips
  opening_hours  opening hours and the booking grid
  conflicts      what is already booked: rooms, pooled stock, quantities
  check          check_booking: every reason a booking cannot be made
  suggestions    free times to offer instead
  approval       bookings that wait for the manager
  series         moving the dates of a series together
"""

from __future__ import annotations

from pole.bookings.rules.approval import needs_approval, status_after_move
from pole.bookings.rules.check import KIND_AUDIENCE_FR, check_booking
from pole.bookings.rules.dates import check_dates, nonexistent_time_reason
from pole.bookings.rules.opening_hours import opening_hours_text
from pole.bookings.rules.periods import overlaps, period_text
from pole.bookings.rules.policy import (
    UNIT_PLURAL,
    UNIT_SINGULAR,
    BookingRequest,
    ClosurePeriod,
    Occupation,
    Policy,
    quantity_text,
    unit_noun,
)
from pole.bookings.rules.series import clash_within_series, keep_wall_times
from pole.bookings.rules.suggestions import nearest_fit, suggest_free_times
from pole.core.refusals import Reason

__all__ = [
    "KIND_AUDIENCE_FR",
    "UNIT_PLURAL",
    "UNIT_SINGULAR",
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
    "nonexistent_time_reason",
    "opening_hours_text",
    "overlaps",
    "period_text",
    "quantity_text",
    "status_after_move",
    "nearest_fit",
    "suggest_free_times",
    "unit_noun",
]
