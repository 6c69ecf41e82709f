"""Publish a season: every accepted request becomes a series, all in one transaction or none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pole import permissions
from pole.auth.models import User
from pole.bookings import recurrence as rec
from pole.bookings.services.checks import BookingRefused, SeriesRefused
from pole.bookings.services.series import SeriesData, create_series, preview_series
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.formatting import format_long_day, weekday_names
from pole.organisations.models import Membership
from pole.outbox.queue import queue_mail
from pole.seasons import rules
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services.plan import NotAllowed, SeasonRefused, lock_season, slot_of


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


def _skipped(request: SeasonRequest, user: User, now: datetime) -> set[date]:
    """Days left out: the season's excluded ranges, and the building's closures."""
    season = request.season
    skip = set(rules.excluded_days(slot_of(request), season.excluded_ranges))
    preview = preview_series(series_data(request), user, now)
    for conflict in preview.conflicts:
        if conflict.reasons and all(r.code == "closure" for r in conflict.reasons):
            skip.add(conflict.day)
    return skip


def _clash_problems(accepted: list[SeasonRequest]) -> list[Problem]:
    buffers = {r.resource_id: r.resource.buffer_minutes for r in accepted}
    pairs = rules.clashes([slot_of(r) for r in accepted], buffers)
    return [Problem(a, [f"chevauche la demande n° {b}."]) for a, b in pairs]


def _tell_associations(season: Season, now: datetime) -> None:
    by_org: dict[int, list[SeasonRequest]] = {}
    for r in season.requests:
        by_org.setdefault(r.organisation_id, []).append(r)
    for requests in by_org.values():
        organisation = requests[0].organisation
        lines = [f"Plan de la saison « {season.name} » pour {organisation.name} :", ""]
        for r in requests:
            if r.status == "accepted":
                lines.append(f"- Accordé : {describe(r)}.")
            else:
                lines.append(f"- Non retenu : {describe(r)}. {r.manager_note}".rstrip())
        coordinators = db.session.scalars(
            db.select(Membership).where(
                Membership.organisation_id == organisation.id, Membership.role == "coordinator"
            )
        )
        for membership in coordinators:
            queue_mail(
                membership.user.email,
                f"Saison « {season.name} » : vos créneaux",
                "\n".join(lines),
                kind="season_published",
                now=now,
            )


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
        for request in accepted:
            try:
                series = create_series(
                    series_data(request), user, skip=_skipped(request, user, now), now=now
                )
            except SeriesRefused as refused:
                problems.append(Problem(request.id, _conflict_messages(refused)))
                continue
            except BookingRefused as refused:
                problems.append(Problem(request.id, [r.message for r in refused.reasons]))
                continue
            request.series_id = series.id
        if problems:
            raise PublishRefused(problems)  # rolls back every series made above
        season.status = "published"
        season.published_at = now
        _tell_associations(season, now)
    return season


def _conflict_messages(refused: SeriesRefused) -> list[str]:
    if not refused.conflicts:
        return ["aucune date à réserver."]
    messages = [f"{format_long_day(c.day)} : {c.reasons[0].message}" for c in refused.conflicts[:3]]
    if len(refused.conflicts) > 3:
        messages.append(f"… et {len(refused.conflicts) - 3} autres dates.")
    return messages
