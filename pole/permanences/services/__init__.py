"""Permanences: publish them, book their slots, call dates off, purge old appointments.

Writes that decide who gets a slot run in `write_transaction()` (SQLite: BEGIN IMMEDIATE)
after locking the permanence row (PostgreSQL: SELECT ... FOR UPDATE), so the checks (slot
free, fair share, date not cancelled) and the insert see the same world. The partial unique
index `uq_appointment_active_slot` backs this up: a lost race is a clean refusal.

The room itself is booked through the booking services, as a series owned by the CCAS, so
every booking rule applies and clashes are listed before publishing. Beneficiary references
and notes never leave this module except towards the social worker and the booking
association: not in mails, not in feeds, not in logs.
"""

from pole.permanences.services.appointments import (
    book_slot,
    cancel_appointment,
    cancel_from_sheet,
    mark_appointment,
    restore_appointment,
)
from pole.permanences.services.data import (
    AppointmentData,
    AppointmentRefused,
    Outcome,
    PatternData,
    PermanenceData,
    PermanenceRefused,
)
from pole.permanences.services.dates import block_slot, cancel_date, unblock_slot
from pole.permanences.services.loading import get_permanence, lock_permanence, tz_of
from pole.permanences.services.publishing import (
    ccas_of,
    change_pattern,
    preview_permanence,
    publish_permanence,
    publishable_rooms,
)
from pole.permanences.services.retention import Purged, purge
from pole.permanences.services.screens import (
    DaySheet,
    Session,
    SlotEntry,
    bookable_organisations,
    current_permanences,
    day_sheet,
    organisation_appointments,
    session_on,
    sessions_of,
    upcoming_sessions,
    week_sessions,
)

__all__ = [
    "AppointmentData",
    "AppointmentRefused",
    "DaySheet",
    "Outcome",
    "PatternData",
    "PermanenceData",
    "PermanenceRefused",
    "Purged",
    "Session",
    "SlotEntry",
    "block_slot",
    "book_slot",
    "bookable_organisations",
    "cancel_appointment",
    "cancel_date",
    "cancel_from_sheet",
    "ccas_of",
    "change_pattern",
    "current_permanences",
    "day_sheet",
    "get_permanence",
    "lock_permanence",
    "mark_appointment",
    "organisation_appointments",
    "preview_permanence",
    "publish_permanence",
    "publishable_rooms",
    "purge",
    "restore_appointment",
    "session_on",
    "sessions_of",
    "tz_of",
    "unblock_slot",
    "upcoming_sessions",
    "week_sessions",
]
