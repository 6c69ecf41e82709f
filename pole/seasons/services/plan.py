"""Open a season's plan, enter and resolve requests, carry a season over to the next year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from pole import permissions
from pole.auth.models import User
from pole.core.locks import lock_row
from pole.core.refusals import Reason, Refused
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.formatting import format_hhmm
from pole.organisations.models import Organisation
from pole.resources.models import Resource, Site
from pole.seasons import rules
from pole.seasons.models import Season, SeasonRequest
from pole.sites.services import organisation_works_in, site_reasons


class SeasonRefused(Refused):
    """The plan or a request cannot be changed; `reasons` say why."""


class NotAllowed(Exception):
    """The person may see the plan but not make this change (a 403)."""


@dataclass(frozen=True)
class SeasonData:
    name: str
    first_day: date
    last_day: date
    deadline: datetime
    excluded: tuple[tuple[date, date], ...] = ()


@dataclass(frozen=True)
class RequestData:
    organisation_id: int
    resource_id: int
    weekdays: frozenset[int]
    start_time: time
    end_time: time
    from_day: date
    until: date
    priority: int = 2
    note: str = ""


def slot_of(request: SeasonRequest) -> rules.Slot:
    return rules.Slot(
        request.id,
        request.resource_id,
        frozenset(request.weekdays or ()),
        time.fromisoformat(request.start_time),
        time.fromisoformat(request.end_time),
        request.from_day,
        request.until,
    )


def _slot_of_data(data: RequestData, request_id: int = 0) -> rules.Slot:
    return rules.Slot(
        request_id,
        data.resource_id,
        data.weekdays,
        data.start_time,
        data.end_time,
        data.from_day,
        data.until,
    )


def request_state(request: SeasonRequest) -> dict:
    """A request's days, hours, dates and status, as plain values (never its note)."""
    return {
        "resource_id": request.resource_id,
        "weekdays": list(request.weekdays or ()),
        "start_time": request.start_time,
        "end_time": request.end_time,
        "from_day": request.from_day.isoformat(),
        "until": request.until.isoformat(),
        "status": request.status,
    }


def _record(
    kind: str,
    request: SeasonRequest,
    user: User,
    now: datetime,
    before: dict | None = None,
    message: str = "",
) -> None:
    """Record a change of a request in its transaction (the season's name says which plan);
    a decision's `message` is what the manager told the association."""
    db.session.flush()
    record(
        kind,
        actor=user,
        now=now,
        organisation=request.organisation_id,
        resource=request.resource_id,
        before=before,
        after={**request_state(request), "season": request.season.name}
        | ({"message": message} if message else {}),
        season_request=request.id,
    )


def _excluded_json(ranges) -> list[list[str]]:  # noqa: ANN001
    return [[a.isoformat(), b.isoformat()] for a, b in ranges]


def open_season(site: Site, data: SeasonData, user: User, now: datetime | None = None) -> Season:
    """The manager opens a plan for a date range, with excluded ranges and a deadline."""
    if not permissions.can_plan_seasons(user):
        raise NotAllowed
    now = now or utcnow()
    if data.last_day < data.first_day:
        raise SeasonRefused.because("La fin doit suivre le début.", "last_day", "dates")
    with write_transaction(now=now):
        season = Season(
            site_id=site.id,
            name=data.name.strip(),
            first_day=data.first_day,
            last_day=data.last_day,
            deadline=data.deadline,
            excluded=_excluded_json(data.excluded),
            status="open",
            created_at=now,
        )
        db.session.add(season)
        db.session.flush()
        record(
            "season.opened",
            actor=user,
            now=now,
            after={
                "season": season.name,
                "first_day": season.first_day.isoformat(),
                "last_day": season.last_day.isoformat(),
                "deadline": season.deadline.isoformat(),
            },
            season=season.id,
        )
    return season


def lock_season(season_id: int) -> Season:
    """Hold the season's row until commit (PostgreSQL; SQLite's writers queue already) and
    read it afresh: publishing and changing a request take turns."""
    return lock_row(Season, season_id, SeasonRefused.because("Saison inconnue.", "", "missing"))


def _check_entry(season: Season, organisation: Organisation, user: User, now: datetime) -> None:
    """Coordinators of the organisation (and the manager) ask, before the deadline."""
    if not permissions.can_request_slots(user, organisation):
        raise NotAllowed
    by_manager = permissions.is_manager(user)
    reason = rules.entry_reason(season.deadline, season.status, now, by_manager)
    if reason is not None:
        raise SeasonRefused([reason])


def _apply(request: SeasonRequest, data: RequestData, season: Season) -> None:
    reasons = rules.check_request(
        _slot_of_data(data, request.id or 0), season.first_day, season.last_day
    )
    resource = db.session.get(Resource, data.resource_id)
    if resource is None or resource.site_id != season.site_id:
        reasons.append(Reason("resource", "resource_id", "Choisissez une ressource du lieu."))
    else:
        organisation = db.session.get(Organisation, data.organisation_id)
        reasons += site_reasons(organisation, resource, "organisation_id")
    if reasons:
        raise SeasonRefused(reasons)
    request.organisation_id = data.organisation_id
    request.resource_id = data.resource_id
    request.weekdays = sorted(data.weekdays)
    request.start_time = format_hhmm(data.start_time)
    request.end_time = format_hhmm(data.end_time)
    request.from_day = data.from_day
    request.until = data.until
    request.priority = data.priority
    request.note = data.note.strip()


def submit_request(
    season: Season, data: RequestData, user: User, now: datetime | None = None
) -> SeasonRequest:
    """A coordinator enters one of the association's regular needs, as a request."""
    now = now or utcnow()
    organisation = db.session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise NotAllowed
    with write_transaction(now=now):
        season = lock_season(season.id)
        _check_entry(season, organisation, user, now)
        request = SeasonRequest(season_id=season.id, status="requested", created_at=now)
        _apply(request, data, season)
        request.asked = request_state(request)
        db.session.add(request)
        _record("season_request.submitted", request, user, now)
    return request


def _refuse_if_withdrawn(request: SeasonRequest) -> None:
    if request.status == "withdrawn":
        raise SeasonRefused.because(
            "Cette demande a été retirée : elle ne change plus.", "", "withdrawn"
        )


def edit_request(
    request: SeasonRequest, data: RequestData, user: User, now: datetime | None = None
) -> SeasonRequest:
    """Change a request: its coordinator before the deadline (it is asked again, to be
    decided); the manager until publication (moving or trimming it on the board accepts it,
    and what the association asked is kept to tell it what changed)."""
    now = now or utcnow()
    organisation = db.session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise NotAllowed
    with write_transaction(now=now):
        season = lock_season(request.season_id)
        request = db.session.get(SeasonRequest, request.id, populate_existing=True)
        _check_entry(season, request.organisation, user, now)
        _check_entry(season, organisation, user, now)
        _refuse_if_withdrawn(request)
        before = request_state(request)
        _apply(request, data, season)
        if permissions.is_manager(user):
            # The manager moves or trims a request on the board: that accepts it.
            request.status = "accepted"
            kind = "season_request.adjusted"
        else:
            request.status = "requested"
            request.asked = request_state(request)
            kind = "season_request.edited"
        _record(kind, request, user, now, before)
    return request


def withdraw_request(request: SeasonRequest, user: User, now: datetime | None = None) -> None:
    """The association takes a request back (kept, marked withdrawn): its coordinator before
    the deadline, the manager until publication."""
    now = now or utcnow()
    with write_transaction(now=now):
        season = lock_season(request.season_id)
        request = db.session.get(SeasonRequest, request.id, populate_existing=True)
        _check_entry(season, request.organisation, user, now)
        _refuse_if_withdrawn(request)
        before = request_state(request)
        request.status = "withdrawn"
        _record("season_request.withdrawn", request, user, now, before)


def set_status(
    request: SeasonRequest, status: str, note: str, user: User, now: datetime | None = None
) -> SeasonRequest:
    """The manager accepts or declines a request; declining says why."""
    if not permissions.can_plan_seasons(user):
        raise NotAllowed
    if status == "declined" and not note.strip():
        raise SeasonRefused.because("Dites à l'association pourquoi.", "manager_note", "note")
    now = now or utcnow()
    with write_transaction(now=now):
        season = lock_season(request.season_id)
        if season.status != "open":
            raise SeasonRefused([rules.deadline_reason(season.deadline, season.status, now)])
        _refuse_if_withdrawn(request)
        before = request_state(request)
        request.status = status
        request.manager_note = note.strip()
        if before["status"] != status or status == "declined":
            _record(f"season_request.{status}", request, user, now, before, note.strip())
    return request


def carry_over(season: Season, user: User, now: datetime | None = None) -> Season:
    """« Reconduire »: the same plan a year later, every request copied as asked (those the
    associations withdrew, and those of associations no longer working in the site, are left
    behind)."""
    if not permissions.can_plan_seasons(user):
        raise NotAllowed
    now = now or utcnow()
    shift = rules.next_year
    with write_transaction(now=now):
        copy = Season(
            site_id=season.site_id,
            name=f"{season.name} (reconduite)",
            first_day=shift(season.first_day),
            last_day=shift(season.last_day),
            deadline=shift(season.deadline),
            excluded=_excluded_json((shift(a), shift(b)) for a, b in season.excluded_ranges),
            status="open",
            created_at=now,
        )
        db.session.add(copy)
        db.session.flush()
        copied = 0
        for r in season.requests:
            if r.status == "withdrawn" or not organisation_works_in(
                r.organisation_id, copy.site_id
            ):
                continue  # withdrawn, or the association no longer works in this site
            again = SeasonRequest(
                season_id=copy.id,
                organisation_id=r.organisation_id,
                resource_id=r.resource_id,
                weekdays=list(r.weekdays),
                start_time=r.start_time,
                end_time=r.end_time,
                from_day=shift(r.from_day),
                until=shift(r.until),
                priority=r.priority,
                note=r.note,
                status="requested",
                created_at=now,
            )
            again.asked = request_state(again)
            db.session.add(again)
            copied += 1
        record(
            "season.carried_over",
            actor=user,
            now=now,
            after={"season": copy.name, "from_season": season.name, "requests": copied},
            season=copy.id,
        )
    return copy
