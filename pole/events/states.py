"""What a row looked like, as the plain values an event keeps (never a note or a reference)."""

from __future__ import annotations

from typing import Any

from pole.bookings.models import Booking
from pole.db import db
from pole.events.record import record


def booking_state(booking: Any) -> dict:
    """A booking's times, status, title and quantity (its description is left out)."""
    return {
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "status": booking.status,
        "title": booking.title,
        "quantity": booking.quantity,
    }


def period_state(row: Any, **extra: Any) -> dict:
    """The period of a closure, an appointment or a slot, with a few plain extras."""
    return {"start": row.start.isoformat(), "end": row.end.isoformat(), **extra}


def changed_kind(before: dict, after: dict) -> str | None:
    """ "booking.moved" when its times changed, "booking.edited" for the rest, None if nothing."""
    if (before["start"], before["end"]) != (after["start"], after["end"]):
        return "booking.moved"
    return "booking.edited" if before != after else None


def record_booking(
    kind: str,
    booking: Any,
    actor: Any,
    now: Any,
    before: dict | None = None,
    message: str = "",
    **subject: Any,
) -> Any:
    """Record a change of one booking, its state after the change taken from the row."""
    after = booking_state(booking) | ({"message": message} if message else {})
    return record(
        kind, actor=actor, now=now, booking=booking, before=before, after=after, **subject
    )


def record_booking_change(booking: Any, actor: Any, now: Any, before: dict, **subject: Any) -> None:
    """Record a booking's edit or move, or nothing when nothing changed."""
    kind = changed_kind(before, booking_state(booking))
    if kind is not None:
        record_booking(kind, booking, actor, now, before, **subject)


def series_subject(booking: Any, scope: str) -> dict:
    """The series an occurrence's event names when the change is made to the whole series.

    Occurrences changed together carry their series: the booking's history shows them,
    while the journal and the notices show the one series event instead.
    """
    if scope != "one" and booking.series_id is not None:
        return {"series": booking.series_id}
    return {}


def record_new_series(series: Any, actor: Any, now: Any) -> None:
    """Record a new series and each of its occurrences (for their own history)."""
    db.session.flush()
    occurrences = db.session.scalars(db.select(Booking).where(Booking.series_id == series.id))
    for occurrence in occurrences:
        record_booking("booking.created", occurrence, actor, now, series=series.id)
    after = {
        "first_day": series.first_day.isoformat(),
        "until": series.until.isoformat() if series.until else None,
        "start_time": series.start_time,
        "end_time": series.end_time,
        "weekdays": list(series.weekdays or ()),
        "title": series.title,
    }
    record(
        "series.created",
        actor=actor,
        now=now,
        organisation=series.organisation_id,
        resource=series.resource_id,
        after=after,
        series=series,
    )


def record_decision(booking: Any, manager: Any, now: Any) -> None:
    """Record the manager's approval or refusal of a request, with the reason given."""
    kind = "booking.approved" if booking.status == "confirmed" else "booking.refused"
    before = {**booking_state(booking), "status": "pending"}
    record_booking(kind, booking, manager, now, before, booking.decision_note)


def record_closure(kind: str, closure: Any, actor: Any, now: Any) -> None:
    """Record a closure added or removed: its period, its reason, its resource if only one."""
    state = period_state(closure, reason=closure.reason)
    record(
        kind,
        actor=actor,
        now=now,
        resource=closure.resource_id,
        before=state if kind == "closure.removed" else None,
        after=state if kind == "closure.added" else None,
        closure=closure.id,
    )


def record_appointment(kind: str, appointment: Any, actor: Any, now: Any, before: str = "") -> None:
    """Record an appointment's change: its slot, its status, its permanence; never whom for."""
    after = period_state(appointment, status=appointment.status, day=appointment.day.isoformat())
    record(
        kind,
        actor=actor,
        now=now,
        organisation=appointment.organisation_id,
        before={"status": before} if before else None,
        after={**after, "permanence_id": appointment.permanence_id},
        appointment=appointment.id,
    )


def record_permanence(kind: str, permanence: Any, actor: Any, now: Any, **after: Any) -> None:
    """Record a permanence published, changed or a date of it cancelled."""
    record(
        kind,
        actor=actor,
        now=now,
        organisation=permanence.organisation_id,
        resource=permanence.resource_id,
        after={"title": permanence.title, **after},
        permanence=permanence.id,
    )


def record_feed_link(kind: str, token: Any, actor: Any, now: Any) -> None:
    """Record a feed link made or revoked: which feed, never the secret."""
    organisation = token.organisation_id if token.kind in ("organisation", "member") else None
    record(
        kind,
        actor=actor,
        now=now,
        organisation=organisation,
        after={"feed": token.kind},
        feed_link=token.id,
    )


def record_membership(kind: str, membership: Any, actor: Any, now: Any, before: str = "") -> None:
    """Record someone joining, changing role in or leaving an organisation."""
    record(
        kind,
        actor=actor,
        now=now,
        organisation=membership.organisation_id,
        before={"role": before} if before else None,
        after={"user_id": membership.user_id, "role": membership.role},
        membership=membership.id,
    )
