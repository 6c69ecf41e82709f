"""Recurring bookings: lay a series out, list its clashes, save it whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings import rules
from pole.bookings.models import ACTIVE_STATUSES, Booking, Series
from pole.bookings.services.booking import capacity_reasons
from pole.bookings.services.checks import (
    BookingRefused,
    SeriesConflict,
    SeriesRefused,
    booking_request,
    closures_for,
    lock_resource,
    new_booking,
    occupations,
    policy_of,
)
from pole.core.locks import lost_race
from pole.core.refusals import LOST_RACE, Reason
from pole.db import db, utcnow, write_transaction
from pole.events.states import booking_state, record_booking, record_new_series
from pole.formatting import format_hhmm
from pole.organisations.models import Organisation
from pole.quotas import services as quotas
from pole.resources.models import Resource
from pole.sites.services import site_reasons
from pole.timeutil import to_local


@dataclass(frozen=True)
class SeriesData:
    resource_id: int
    organisation_id: int
    title: str
    recurrence: rec.Recurrence
    description: str = ""
    is_public: bool = False
    quantity: int = 1
    expected_people: int | None = None
    quota_override_note: str = ""  # the manager's reason to go beyond a quota


@dataclass(frozen=True)
class SeriesPreview:
    occurrences: list[rec.Occurrence]
    conflicts: list[SeriesConflict] = field(default_factory=list)
    description: str = ""
    standings: list[str] = field(default_factory=list)  # where the organisation stands
    beyond_quota: frozenset[date] = frozenset()  # dates the manager books beyond a quota

    @property
    def bookable(self) -> list[rec.Occurrence]:
        bad = {c.day for c in self.conflicts}
        return [o for o in self.occurrences if o.day not in bad]


def _horizon(resource: Resource, now: datetime) -> date:
    return to_local(now, resource.site.tz).date() + timedelta(days=resource.max_days_ahead)


def preview_series(
    data: SeriesData, user: User, now: datetime | None = None, replacing: Iterable[int] = ()
) -> SeriesPreview:
    """Lay out a series and list the dates that cannot be booked, with their reasons.

    Bookings in `replacing` (those the series would take the place of) are no clash.
    """
    now = now or utcnow()
    resource = db.session.get(Resource, data.resource_id)
    organisation = db.session.get(Organisation, data.organisation_id)
    return _preview(resource, organisation, data, user, now, replacing)


def _preview(
    resource: Resource,
    organisation: Organisation,
    data: SeriesData,
    user: User,
    now: datetime,
    replacing: Iterable[int] = (),
) -> SeriesPreview:
    replacing = list(replacing)
    occurrences = rec.expand(data.recurrence, resource.site.tz, _horizon(resource, now))
    conflicts: list[SeriesConflict] = []
    timed = [o for o in occurrences if o.start is not None]
    existing: list[rules.Occupation] = []
    if timed:
        existing = occupations(resource, timed[0].start, timed[-1].end, user, replacing)
    policy = policy_of(resource)
    closures = closures_for(resource, timed[0].start, timed[-1].end) if timed else []
    # An organisation books only where it works: every date is refused, and listed as such.
    elsewhere = site_reasons(organisation, resource)
    for occurrence in occurrences:
        if occurrence.start is None:
            conflicts.append(
                SeriesConflict(
                    occurrence.day, [Reason("nonexistent_time", "start", occurrence.problem)]
                )
            )
            continue
        reasons = rules.check_booking(
            booking_request(user, organisation, occurrence.start, occurrence.end, data.quantity),
            policy,
            existing,
            closures,
            now,
        )
        reasons += capacity_reasons(resource, data.expected_people) + elsewhere
        if reasons:
            conflicts.append(SeriesConflict(occurrence.day, reasons))
    # Quotas count the dates that can be booked, so skipping the dates listed is enough.
    bad = {c.day for c in conflicts}
    free = [o for o in timed if o.day not in bad]
    over = quotas.quota_reasons(
        organisation, resource, [(o.start, o.end) for o in free], now, replacing
    )
    beyond = {o.day: reasons for o, reasons in zip(free, over, strict=True) if reasons}
    if beyond and not quotas.may_override(user, data.quota_override_note):
        conflicts += [SeriesConflict(day, reasons) for day, reasons in beyond.items()]
        conflicts.sort(key=lambda c: c.day)
        beyond = {}
    standings = quotas.standings(organisation, resource, occurrences[0].day, now) if timed else []
    return SeriesPreview(
        occurrences, conflicts, rec.describe(data.recurrence), standings, frozenset(beyond)
    )


def create_series(
    data: SeriesData,
    user: User,
    skip: Iterable[date] = (),
    now: datetime | None = None,
    replacing: Iterable[int] = (),
    on_saved: Callable[[Series], None] | None = None,
) -> Series:
    """Save a series and all its occurrences, or nothing: raise SeriesRefused with conflicts.

    Dates in `skip` are left out (recorded on the series); every other date must be free.
    Bookings in `replacing` are no clash and are cancelled in the same transaction (a
    permanence changing its pattern from a date). `on_saved(series)` runs inside that
    transaction too, so what belongs with the series is saved with it or not at all.
    """
    now = now or utcnow()
    skip = set(skip)
    replacing = list(replacing)
    recurrence = replace(data.recurrence, skipped=frozenset(data.recurrence.skipped | skip))
    data = replace(data, recurrence=recurrence)
    with lost_race(BookingRefused([LOST_RACE])), write_transaction(now=now):
        resource = lock_resource(data.resource_id)
        organisation = quotas.lock_organisation(data.organisation_id)
        preview = _preview(resource, organisation, data, user, now, replacing)
        if preview.conflicts:
            raise SeriesRefused(preview.conflicts)
        if not preview.occurrences:
            raise SeriesRefused([])
        if replacing:
            replaced = db.session.scalars(
                db.select(Booking).where(
                    Booking.id.in_(replacing),
                    Booking.resource_id == resource.id,
                    Booking.status.in_(ACTIVE_STATUSES),
                )
            )
            for booking in replaced:
                before = booking_state(booking)
                booking.status = "cancelled"
                record_booking(
                    "booking.cancelled", booking, user, now, before, series=booking.series_id
                )
            db.session.flush()  # before the inserts, or the exclusion constraint fires
        series = Series(
            resource_id=resource.id,
            organisation_id=organisation.id,
            created_by_id=user.id,
            title=data.title,
            description=data.description,
            is_public=data.is_public,
            quantity=data.quantity,
            freq=recurrence.freq,
            interval=recurrence.interval,
            weekdays=sorted(recurrence.weekdays),
            month_week=recurrence.month_week,
            first_day=recurrence.first_day,
            until=recurrence.until,
            count=recurrence.count,
            start_time=format_hhmm(recurrence.start_time),
            end_time=format_hhmm(recurrence.end_time),
            skipped=sorted(d.isoformat() for d in recurrence.skipped),
        )
        db.session.add(series)
        db.session.flush()
        for occurrence in preview.occurrences:
            db.session.add(
                new_booking(
                    resource,
                    organisation.id,
                    user,
                    occurrence.start,
                    occurrence.end,
                    series_id=series.id,
                    title=data.title,
                    description=data.description,
                    is_public=data.is_public,
                    quantity=data.quantity,
                    expected_people=data.expected_people,
                    quota_override_note=(
                        data.quota_override_note.strip()
                        if occurrence.day in preview.beyond_quota
                        else ""
                    ),
                )
            )
        record_new_series(series, user, now)
        if on_saved is not None:
            db.session.flush()
            on_saved(series)
        series_id = series.id
    return db.session.get(Series, series_id)


def recurrence_of(series: Series) -> rec.Recurrence:
    """The rule of a saved series, as the recurrence module reads it."""
    return rec.Recurrence(
        first_day=series.first_day,
        start_time=time.fromisoformat(series.start_time),
        end_time=time.fromisoformat(series.end_time),
        freq=series.freq,
        interval=series.interval,
        weekdays=frozenset(series.weekdays or ()),
        month_week=series.month_week,
        until=series.until,
        count=series.count,
        skipped=frozenset(date.fromisoformat(d) for d in series.skipped or ()),
    )
