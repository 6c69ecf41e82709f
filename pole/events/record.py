"""Write what happened, in the change's own transaction, and tell who listens.

A service that changes something that matters calls, inside its `write_transaction`:

    record("booking.moved", actor=user, now=now, booking=booking,
           before=state(booking_before), after=state(booking))

`record` adds one Event row to the current session (it never flushes nor commits: the
row is inserted with the change, or rolled back with it; on PostgreSQL, when the change
writes mails, by the mails' own INSERT: `take_unwritten`) and returns it. Then it calls,
synchronously and in the same transaction, each listener whose pattern matches the kind:

    @listen("booking.*")
    def tell_the_author(event: Event) -> None:
        ...  # e.g. add an outbox mail row: it commits or rolls back with the change

Patterns are shell-style (fnmatch): "booking.*", "closure.added", "*". A listener must
not commit; if it raises, the whole change rolls back. Listeners are registered at import
time by the module that defines them (code, not state: every process registers the same).

Subjects other than a booking are passed as one keyword, e.g. `series=series`,
`closure=closure`, `appointment=appointment`: stored as subject_type + subject_id.
`before`/`after` are small dicts of plain values; a beneficiary reference or a note is
refused (ValueError), so it can never end up in the record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import sqlalchemy as sa

from pole.db import db
from pole.events.models import Event

Listener = Callable[[Event], None]
_listeners: list[tuple[str, Listener]] = []

# Keys that would carry what the record must never hold.
FORBIDDEN_KEYS = frozenset({"beneficiary_ref", "beneficiary", "note", "description"})


def listen(pattern: str) -> Callable[[Listener], Listener]:
    """Register a listener for the events whose kind matches `pattern` (fnmatch)."""

    def register(listener: Listener) -> Listener:
        _listeners.append((pattern, listener))
        return listener

    return register


def listeners_for(kind: str) -> list[Listener]:
    return [listener for pattern, listener in _listeners if fnmatchcase(kind, pattern)]


def _id(value: Any) -> int | None:
    """A model's id, or the id itself (None stays None)."""
    if value is None or isinstance(value, int):
        return value
    return value.id


def _clean(values: dict | None) -> dict | None:
    if values is None:
        return None
    bad = FORBIDDEN_KEYS & set(values)
    if bad:
        raise ValueError(f"an event never holds {sorted(bad)}")
    return values


def record(
    kind: str,
    *,
    actor: Any,
    now: datetime,
    organisation: Any = None,
    resource: Any = None,
    booking: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    **subject: Any,
) -> Event:
    """Add the event of a change to the current transaction and run its listeners."""
    if len(subject) > 1:
        raise TypeError(f"one subject at most, got {sorted(subject)}")
    subject_type, subject_value = next(iter(subject.items()), (None, None))
    data = {}
    if before is not None:
        data["before"] = _clean(before)
    if after is not None:
        data["after"] = _clean(after)
    if booking is not None and not isinstance(booking, int):
        organisation = organisation if organisation is not None else booking.organisation_id
        resource = resource if resource is not None else booking.resource_id
    event = Event(
        at=now,
        kind=kind,
        actor_id=_id(actor),
        organisation_id=_id(organisation),
        resource_id=_id(resource),
        booking_id=_id(booking),
        subject_type=subject_type,
        subject_id=_id(subject_value),
        data=data,
    )
    db.session.add(event)
    for listener in listeners_for(kind):
        listener(event)
    return event


# An event's columns, as a statement that writes events itself inserts them: all but its id,
# read from the table so that a column added to Event is never left out.
COLUMNS = tuple(column.key for column in Event.__table__.c if not column.primary_key)


def take_unwritten(at_most: int) -> list[Event]:
    """This transaction's events not inserted yet, taken out of the session: for a statement
    that inserts them itself, in this transaction (on PostgreSQL, the mails' INSERT: one round
    trip for both). Call it only as the transaction commits, after every `record`; what is
    not written that way goes back with `give_back`. Nothing is taken when there are more
    than `at_most` (a closure over a busy month): the session writes those as usual."""
    # In the order they were recorded, as the session would have inserted them (their ids).
    events = sorted(
        (row for row in db.session.new if isinstance(row, Event)),
        key=lambda event: sa.inspect(event).insert_order,
    )
    if len(events) > at_most:
        return []
    for event in events:
        db.session.expunge(event)
    return events


def give_back(events: list[Event]) -> None:
    """Events `take_unwritten` took and nothing wrote: the session inserts them again."""
    db.session.add_all(events)


def values_of(event: Event) -> dict[str, Any]:
    """An event's row, as `COLUMNS`."""
    values = {name: getattr(event, name) for name in COLUMNS}
    if values["data"] is None:
        values["data"] = {}
    return values


def record_series_change(
    kind: str, occurrence: Any, actor: Any, now: datetime, count: int
) -> Event:
    """One event for a change to a series from one of its occurrences (moved, cut)."""
    return record(
        kind,
        actor=actor,
        now=now,
        organisation=occurrence.organisation_id,
        resource=occurrence.resource_id,
        after={"from": occurrence.start.isoformat(), "count": count},
        series=occurrence.series_id,
    )
