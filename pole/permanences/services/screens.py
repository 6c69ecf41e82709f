"""What the screens show: sessions and their slots, the day sheet, the week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.core.refusals import Reason
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import (
    Appointment,
    BlockedSlot,
    Permanence,
    PermanenceCancellation,
    PermanencePattern,
)
from pole.permanences.services.loading import today_at, tz_of
from pole.sites.services import organisation_works_in
from pole.timeutil import local_day_bounds

# What the screens show ------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotEntry:
    """A slot as one person sees it; `appointment` only when they may read it."""

    slot: rules.Slot
    state: str  # free, mine, taken, blocked, past, cancelled
    appointment: Appointment | None = None


@dataclass
class Session:
    """One date of a permanence, with its slots."""

    permanence: Permanence
    day: date
    pattern: rules.Pattern
    start: datetime
    end: datetime
    slots: list[SlotEntry]
    cancellation: PermanenceCancellation | None = None
    held: dict[int, int] = field(default_factory=dict)  # organisation id -> active appointments

    @property
    def key(self) -> str:
        return f"{self.permanence.id}-{self.day:%Y%m%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancellation is not None

    @property
    def opens_on(self) -> date:
        return rules.opens_on(self.day, self.permanence.open_days_ahead)

    @property
    def fair_share_ends(self) -> datetime:
        return rules.fair_share_ends(self.start, self.permanence.fair_share)

    def count(self, *states: str) -> int:
        return sum(1 for s in self.slots if s.state in states)

    @property
    def booked(self) -> int:
        return self.count("mine", "taken")

    @property
    def free(self) -> int:
        return self.count("free")

    def is_open(self, now: datetime) -> bool:
        tz = tz_of(self.permanence)
        return rules.has_opened(self.day, self.permanence.open_days_ahead, tz, now)

    def can_book(
        self, entry: SlotEntry, organisations: Sequence[Organisation], now: datetime
    ) -> bool:
        """Whether the slot offers its booking form to a person of these associations."""
        return rules.can_book(entry.state, bool(self.bookers(organisations)), self.is_open(now))

    def bookers(self, organisations: Sequence[Organisation]) -> list[Organisation]:
        """Those of these associations that work in the site the permanence is held in."""
        site_id = self.permanence.resource.site_id
        return [o for o in organisations if organisation_works_in(o.id, site_id)]

    def fair_share_reason(self, organisation_id: int, now: datetime) -> Reason | None:
        return rules.check_fair_share(
            self.held.get(organisation_id, 0), self.start, self.permanence.fair_share, now
        )

    def why_not(
        self, entry: SlotEntry, organisation_ids: Iterable[int], now: datetime
    ) -> list[Reason]:
        """Why this free-looking slot cannot be booked now by these associations."""
        return rules.why_not_bookable(
            entry.slot,
            entry.state,
            session_start=self.start,
            held_by_each=[self.held.get(o, 0) for o in organisation_ids],
            open_days_ahead=self.permanence.open_days_ahead,
            fair_share=self.permanence.fair_share,
            tz=tz_of(self.permanence),
            now=now,
        )


# The screens' statements, built once per process; each call binds its values.
_CURRENT_PERMANENCES = (
    sa.select(Permanence)
    .where(
        Permanence.id.in_(
            sa.select(PermanencePattern.permanence_id).where(
                PermanencePattern.until >= sa.bindparam("yesterday")
            )
        )
    )
    .order_by(Permanence.title, Permanence.id)
)
_CANCELLATIONS = sa.select(PermanenceCancellation).where(
    PermanenceCancellation.permanence_id == sa.bindparam("permanence_id"),
    PermanenceCancellation.day.between(sa.bindparam("first"), sa.bindparam("last")),
)
_APPOINTMENTS = (
    sa.select(Appointment)
    .where(
        Appointment.permanence_id == sa.bindparam("permanence_id"),
        Appointment.day.between(sa.bindparam("first"), sa.bindparam("last")),
        Appointment.status.in_(rules.ACTIVE_APPOINTMENT_STATUSES),
    )
    .options(sa.orm.joinedload(Appointment.organisation))
)
_BLOCKED = sa.select(BlockedSlot.start).where(
    BlockedSlot.permanence_id == sa.bindparam("permanence_id"),
    BlockedSlot.start >= sa.bindparam("day_start"),
    BlockedSlot.start < sa.bindparam("day_end"),
)


def current_permanences(now: datetime | None = None) -> list[Permanence]:
    """Permanences with dates still to come, by title."""
    now = now or utcnow()
    yesterday = (now - timedelta(days=1)).date()
    return list(db.session.scalars(_CURRENT_PERMANENCES, {"yesterday": yesterday}))


def sessions_of(
    permanence: Permanence,
    first: date,
    last: date,
    viewer: User | None,
    now: datetime | None = None,
) -> list[Session]:
    """The dates of a permanence between two days, each slot as `viewer` may see it."""
    now = now or utcnow()
    tz = tz_of(permanence)
    patterns = permanence.rule_patterns()
    days = {"permanence_id": permanence.id, "first": first, "last": last}
    cancellations = {c.day: c for c in db.session.scalars(_CANCELLATIONS, days)}
    appointments = {a.start: a for a in db.session.scalars(_APPOINTMENTS, days)}
    day_start, _ = local_day_bounds(first, tz)
    _, day_end = local_day_bounds(last, tz)
    span = {"permanence_id": permanence.id, "day_start": day_start, "day_end": day_end}
    blocked = set(db.session.scalars(_BLOCKED, span))
    sees_all = viewer is not None and permissions.can_see_day_sheet(viewer, permanence)
    mine = _organisation_ids(viewer)
    sessions = []
    for day, pattern in rules.session_days(patterns, first, last):
        start, end = rules.session_bounds(pattern, day, tz)
        cancellation = cancellations.get(day)
        entries = []
        held: dict[int, int] = defaultdict(int)
        for slot in rules.day_slots(pattern, day, tz):
            appointment = appointments.get(slot.start)
            if appointment is not None:
                held[appointment.organisation_id] += 1
            state = rules.slot_state(
                start=slot.start,
                day_cancelled=cancellation is not None,
                appointment=appointment,
                organisation_ids=mine,
                blocked=slot.start in blocked,
                now=now,
            )
            # On a cancelled date the slot reads "cancelled" to the associations, whoever held it.
            readable = (
                appointment is not None
                and (state != "cancelled" or sees_all)
                and rules.can_see_reference(
                    appointment, keeps_the_sheet=sees_all, organisation_ids=mine
                )
            )
            visible = appointment if readable else None
            entries.append(SlotEntry(slot, state, visible))
        sessions.append(
            Session(permanence, day, pattern, start, end, entries, cancellation, dict(held))
        )
    return sessions


def _organisation_ids(user: User | None) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {m.organisation_id for m in user.memberships}


def bookable_organisations(user: User) -> list[Organisation]:
    """The associations this person books permanence slots for."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [o for o in user.organisations() if permissions.can_book_slot(user, o)]


def upcoming_sessions(viewer: User | None, now: datetime | None = None) -> list[Session]:
    """Dates of every permanence from today to its opening window, plus the next one after."""
    now = now or utcnow()
    found: list[Session] = []
    for permanence in current_permanences(now):
        today = today_at(permanence, now)
        last = today + timedelta(days=permanence.open_days_ahead)
        coming = sessions_of(permanence, today, last + timedelta(days=14), viewer, now)
        sessions = rules.still_to_come(coming, now)
        within = [s for s in sessions if s.day <= last]
        found.extend(within or sessions[:1])
    return sorted(found, key=lambda s: (s.start, s.permanence.id))


def session_on(
    permanence: Permanence, day: date, viewer: User | None, now: datetime | None = None
) -> Session | None:
    sessions = sessions_of(permanence, day, day, viewer, now)
    return sessions[0] if sessions else None


@dataclass(frozen=True)
class DaySheet:
    session: Session
    cancelled: list[Appointment]
    # slot start -> the cancelled appointment the social worker may still put back there
    restorable: dict[datetime, Appointment] = field(default_factory=dict)


def day_sheet(permanence: Permanence, day: date, now: datetime | None = None) -> DaySheet | None:
    """The social worker's sheet for one date: each slot, its appointment, the cancelled ones."""
    now = now or utcnow()
    session = session_on(permanence, day, permanence.social_worker, now)
    if session is None:
        return None
    cancelled = db.session.scalars(
        db.select(Appointment)
        .where(
            Appointment.permanence_id == permanence.id,
            Appointment.day == day,
            Appointment.status == "cancelled",
        )
        .order_by(Appointment.start, Appointment.updated_at, Appointment.id)
    ).all()
    free = {e.slot.start for e in session.slots if e.state in ("free", "past")}
    restorable = {
        a.start: a  # the latest cancellation of a slot is the one to undo
        for a in cancelled
        if rules.can_restore(a, permanence.social_worker_id, a.start in free, now)
    }
    return DaySheet(session, list(cancelled), restorable)


def week_sessions(viewer: User, first: date, now: datetime | None = None) -> list[Session]:
    """Seven days of permanences: the social worker's own, or all of them for the manager."""
    now = now or utcnow()
    query = db.select(Permanence).order_by(Permanence.title, Permanence.id)
    if not permissions.is_manager(viewer):
        query = query.where(Permanence.social_worker_id == viewer.id)
    sessions: list[Session] = []
    for permanence in db.session.scalars(query):
        sessions.extend(sessions_of(permanence, first, first + timedelta(days=6), viewer, now))
    return sorted(sessions, key=lambda s: (s.start, s.permanence.id))


def organisation_appointments(
    user: User, now: datetime | None = None, limit: int = 200
) -> list[Appointment]:
    """The appointments of this person's associations still to come, cancelled ones included."""
    now = now or utcnow()
    query = (
        db.select(Appointment)
        .where(Appointment.end > now)
        .options(
            sa.orm.joinedload(Appointment.permanence).joinedload(Permanence.resource),
            sa.orm.joinedload(Appointment.organisation),
            sa.orm.joinedload(Appointment.booked_by),
        )
        .order_by(Appointment.start, Appointment.id)
        .limit(limit)
    )
    return _of_our_associations(user, query, Appointment.organisation_id)


def _of_our_associations(user: User, query: sa.Select, organisation_id: sa.Column) -> list:
    """The rows of the query that belong to this person's associations (none: no query)."""
    org_ids = list(_organisation_ids(user))
    if not org_ids:
        return []
    return list(db.session.scalars(query.where(organisation_id.in_(org_ids))))
