"""Publish a season: every accepted request becomes a series, all in one transaction or none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pole import permissions
from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.bookings.services.checks import BookingRefused, SeriesRefused
from pole.bookings.services.series import SeriesData, create_series, preview_series
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.formatting import format_long_day, join_words, weekday_names
from pole.notifications import tell
from pole.notifications.listeners import told_otherwise
from pole.notifications.rules import MADE, SEASON
from pole.organisations.models import Membership
from pole.outbox.bookings import bookings_invitation
from pole.resources.models import Resource
from pole.seasons import rules
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services.plan import (
    NotAllowed,
    SeasonRefused,
    lock_season,
    request_state,
    slot_of,
)


@dataclass(frozen=True)
class Problem:
    """Why one request cannot be published."""

    request_id: int
    messages: list[str]


class PublishRefused(SeasonRefused):
    """Nothing was published; `problems` say which requests and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            [
                Reason("publish", "", f"Demande n° {p.request_id} : {m}")
                for p in problems
                for m in p.messages
            ]
        )


def describe(request: SeasonRequest) -> str:
    """'le hall, lundi et jeudi, de 18:00 à 20:00, du … au …'"""
    return (
        f"{request.resource.name}, {weekday_names(request.weekdays)}, de {request.start_time} "
        f"à {request.end_time}, du {format_long_day(request.from_day)} "
        f"au {format_long_day(request.until)}"
    )


def series_data(request: SeasonRequest) -> SeriesData:
    slot = slot_of(request)
    return SeriesData(
        resource_id=request.resource_id,
        organisation_id=request.organisation_id,
        title=f"{request.organisation.name} — {request.season.name}",
        recurrence=rec.Recurrence(
            first_day=slot.from_day,
            start_time=slot.start,
            end_time=slot.end,
            freq="weekly",
            weekdays=slot.weekdays,
            until=slot.until,
        ),
    )


def _closed_days(request: SeasonRequest, user: User, now: datetime) -> set[date]:
    """The request's days the building (or its resource) is closed: left out when published."""
    preview = preview_series(series_data(request), user, now)
    return {
        conflict.day
        for conflict in preview.conflicts
        if conflict.reasons and all(r.code == "closure" for r in conflict.reasons)
    }


def _clash_problems(accepted: list[SeasonRequest]) -> list[Problem]:
    buffers = {r.resource_id: r.resource.buffer_minutes for r in accepted}
    pairs = rules.clashes([slot_of(r) for r in accepted], buffers)
    return [Problem(a, [f"chevauche la demande n° {b}."]) for a, b in pairs]


@dataclass(frozen=True)
class Outcome:
    """What publishing made of an accepted request: how many dates, which closed days left out."""

    dates: int
    closed: frozenset[date]


def _wish(state: dict) -> dict:
    """A request's state without its status: what is asked, not what was decided."""
    return {k: v for k, v in state.items() if k != "status"}


def _asked_text(request: SeasonRequest) -> str:
    """What the association asked, when the manager moved or trimmed it since; else ''."""
    asked = request.asked
    if not asked or _wish(asked) == _wish(request_state(request)):
        return ""
    resource = db.session.get(Resource, asked["resource_id"])
    place = f"{resource.name}, " if resource is not None else ""
    return (
        f"{place}{weekday_names(asked['weekdays'])}, de {asked['start_time']} à "
        f"{asked['end_time']}, du {format_long_day(date.fromisoformat(asked['from_day']))} "
        f"au {format_long_day(date.fromisoformat(asked['until']))}"
    )


def _letter(season: Season, requests: list[SeasonRequest], outcomes: dict[int, Outcome]) -> str:
    """One association's letter: each series it got (dates, closed days left out, what the
    manager changed), then what was not kept and why."""
    organisation = requests[0].organisation
    lines = [f"Le plan de la saison « {season.name} » est publié. Pour {organisation.name} :"]
    if season.excluded_ranges:
        ranges = ", ".join(
            f"du {format_long_day(a)} au {format_long_day(b)}" for a, b in season.excluded_ranges
        )
        lines.append(f"(la saison laisse de côté les jours {ranges})")
    granted = [r for r in requests if r.id in outcomes]
    refused = [r for r in requests if r.id not in outcomes]
    if granted:
        lines += ["", "Accordé :"]
    for r in granted:
        outcome = outcomes[r.id]
        count = f"{outcome.dates} date{'s' if outcome.dates > 1 else ''}"
        lines.append(f"- {describe(r)} : {count}.")
        if outcome.closed:
            days = join_words([format_long_day(d) for d in sorted(outcome.closed)])
            lines.append(f"  Dates laissées de côté pour une fermeture : {days}.")
        asked = _asked_text(r)
        if asked:
            lines.append(f"  Modifié par la gestion ; vous aviez demandé : {asked}.")
    if refused:
        lines += ["", "Non retenu :"]
    for r in refused:
        why = f" Motif : {r.manager_note}" if r.manager_note else ""
        lines.append(f"- {describe(r)}.{why}")
    lines += ["", "Les dates accordées sont dans l'agenda de l'association."]
    return "\n".join(lines)


def _bookings_of(requests: list[SeasonRequest]) -> list[Booking]:
    """The bookings the published series of these requests made, in time order."""
    ids = [r.series_id for r in requests if r.series_id is not None]
    if not ids:
        return []
    db.session.flush()  # their change stamp (SEQUENCE) first
    query = db.select(Booking).where(
        Booking.series_id.in_(ids), Booking.status.in_(ACTIVE_STATUSES)
    )
    return list(db.session.scalars(query.order_by(Booking.start, Booking.id)))


def _tell_associations(
    season: Season, outcomes: dict[int, Outcome], user: User, now: datetime
) -> int:
    """One letter per association that asked (withdrawn requests aside), to its coordinators,
    and one event for each: how many series it got, how many requests were not kept."""
    by_org: dict[int, list[SeasonRequest]] = {}
    for r in season.requests:
        if r.status != "withdrawn":
            by_org.setdefault(r.organisation_id, []).append(r)
    for requests in by_org.values():
        organisation = requests[0].organisation
        granted = sum(1 for r in requests if r.id in outcomes)
        record(
            "season.published",
            actor=user,
            now=now,
            organisation=organisation.id,
            after={"season": season.name, "series": granted, "not_kept": len(requests) - granted},
            season=season.id,
        )
        text = _letter(season, requests, outcomes)
        granted_bookings = _bookings_of([r for r in requests if r.id in outcomes])
        coordinators = db.session.scalars(
            db.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation.id,
                Membership.role == "coordinator",
                User.is_active,
            )
            .order_by(User.id)
        )
        for person in coordinators:
            # The dates granted as one invitation: the association's calendar gets them all.
            ics, method = (
                bookings_invitation(granted_bookings, person.email)
                if granted_bookings
                else (None, None)
            )
            subject = f"Saison « {season.name} » : vos créneaux"
            tell(person, SEASON, subject, text, ics=ics, ics_method=method, now=now)
    return len(by_org)


def publish(season: Season, user: User, now: datetime | None = None) -> Season:
    """Every accepted request becomes a series (booking rules applied, excluded ranges and
    closures skipped), each association is told what it got, the season is published: all in
    one transaction, or nothing and PublishRefused says which requests and why."""
    if not permissions.can_plan_seasons(user):
        raise NotAllowed
    now = now or utcnow()
    with write_transaction(now=now):
        season = lock_season(season.id)
        if season.status != "open":
            raise SeasonRefused.because("Ce plan est déjà publié.", "", "published")
        accepted = db.session.scalars(
            db.select(SeasonRequest)
            .where(SeasonRequest.season_id == season.id, SeasonRequest.status == "accepted")
            .order_by(SeasonRequest.id)
            .execution_options(populate_existing=True)
        ).all()
        problems = _clash_problems(accepted)
        if problems:
            raise PublishRefused(problems)
        # Each association gets one letter below; the manager is not told of each series.
        told_otherwise(MADE)
        outcomes: dict[int, Outcome] = {}
        for request in accepted:
            excluded = set(rules.excluded_days(slot_of(request), season.excluded_ranges))
            closed = _closed_days(request, user, now) - excluded
            try:
                series = create_series(series_data(request), user, skip=excluded | closed, now=now)
            except SeriesRefused as refused:
                problems.append(Problem(request.id, _conflict_messages(refused)))
                continue
            except BookingRefused as refused:
                problems.append(Problem(request.id, [r.message for r in refused.reasons]))
                continue
            request.series_id = series.id
            outcomes[request.id] = Outcome(len(series.bookings), frozenset(closed))
        if problems:
            raise PublishRefused(problems)  # rolls back every series made above
        season.status = "published"
        season.published_at = now
        if not _tell_associations(season, outcomes, user, now):
            record("season.published", actor=user, now=now,
                   after={"season": season.name, "series": 0}, season=season.id)  # fmt: skip
    return season


def _conflict_messages(refused: SeriesRefused) -> list[str]:
    if not refused.conflicts:
        return ["aucune date à réserver."]
    messages = [f"{format_long_day(c.day)} : {c.reasons[0].message}" for c in refused.conflicts[:3]]
    if len(refused.conflicts) > 3:
        messages.append(f"… et {len(refused.conflicts) - 3} autres dates.")
    return messages
