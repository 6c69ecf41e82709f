"""Bookings: load what the rules need, call them, and write under a lock.

Every write that books runs in `write_transaction()` (SQLite: BEGIN IMMEDIATE, so writers
are serialised) after locking the resource row (PostgreSQL: SELECT ... FOR UPDATE), so the
check and the insert see the same world. On PostgreSQL the exclusion constraint
`ex_booking_no_overlap` backs this up for rooms; hitting it is reported like any conflict.

One module per job: checks (what the rules need, refusals), booking (create, edit,
cancel), series, decisions (approvals and their mail), queries (what the screens ask).
"""

from __future__ import annotations

from pole.bookings.services.booking import (
    SCOPES,
    BookingChanges,
    BookingData,
    cancel_booking,
    create_booking,
    edit_booking,
)
from pole.bookings.services.checks import (
    BookingRefused,
    SeriesConflict,
    SeriesRefused,
    active_bookings,
    booking_label,
    booking_request,
    check,
    closures_for,
    lock_resource,
    needs_approval,
    new_booking,
    occupations,
    policy_of,
)
from pole.bookings.services.decisions import (
    approve_booking,
    pending_bookings,
    pending_count,
    reject_booking,
)
from pole.bookings.services.queries import (
    Booked,
    active_rows,
    bookable_organisations,
    site_closures,
    suggestions,
)
from pole.bookings.services.series import (
    SeriesData,
    SeriesPreview,
    create_series,
    preview_series,
    recurrence_of,
)

__all__ = [
    "Booked",
    "BookingChanges",
    "BookingData",
    "BookingRefused",
    "SCOPES",
    "SeriesConflict",
    "SeriesData",
    "SeriesPreview",
    "SeriesRefused",
    "active_bookings",
    "active_rows",
    "approve_booking",
    "bookable_organisations",
    "booking_label",
    "booking_request",
    "cancel_booking",
    "check",
    "closures_for",
    "create_booking",
    "create_series",
    "edit_booking",
    "lock_resource",
    "needs_approval",
    "new_booking",
    "occupations",
    "pending_bookings",
    "pending_count",
    "policy_of",
    "preview_series",
    "recurrence_of",
    "reject_booking",
    "site_closures",
    "suggestions",
]
