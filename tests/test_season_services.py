"""The season's plan on real databases: deadline, permissions, the board, publish, carry over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from pole.bookings.models import Booking, Series
from pole.db import db
from pole.outbox.models import OutgoingMail
from pole.resources.models import Closure
from pole.seasons.models import Season
from pole.seasons.services import board as boards
from pole.seasons.services import plan
from pole.seasons.services.publish import PublishRefused, publish
from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_quota, make_resource, make_user

NOW = datetime(2026, 8, 1, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 8, 20, 22, 0, tzinfo=UTC)
AFTER = datetime(2026, 8, 21, 8, 0, tzinfo=UTC)
CHRISTMAS = (date(2026, 12, 19), date(2027, 1, 3))
MONDAY = 0


@pytest.fixture()
def hall(app):
    return make_resource(name="Hall")


@pytest.fixture()
def manager(app):
    return make_user(is_manager=True)


@pytest.fixture()
def restos(app):
    return make_organisation(name="Restos du cœur")


@pytest.fixture()
def epis(app):
    return make_organisation(name="Les 4 Épis")


@pytest.fixture()
def season(hall, manager):
    data = plan.SeasonData("2026-2027", date(2026, 9, 1), date(2027, 6, 30), DEADLINE, (CHRISTMAS,))
    return plan.open_season(hall.site, data, manager, now=NOW)


def need(org, resource, start="18:00", end="20:00", days=(MONDAY,), first=None, until=None):
    return plan.RequestData(
        org.id,
        resource.id,
        frozenset(days),
        time.fromisoformat(start),
        time.fromisoformat(end),
        first or date(2026, 12, 1),
        until or date(2027, 1, 31),
    )


def ask(season, org, resource, **fields):
    coordinator = make_user(org, role="coordinator")
    return plan.submit_request(season, need(org, resource, **fields), coordinator, now=NOW)


def accept_all(season, manager):
    for r in season.requests:
        plan.set_status(r, "accepted", "", manager, now=NOW)


def test_a_coordinator_asks_until_the_deadline(season, hall, restos):
    coordinator = make_user(restos, role="coordinator")
    request = plan.submit_request(season, need(restos, hall), coordinator, now=NOW)
    assert request.status == "requested" and request.weekdays == [MONDAY]
    with pytest.raises(plan.SeasonRefused) as refused:
        plan.submit_request(season, need(restos, hall), coordinator, now=AFTER)
    assert refused.value.has("deadline")
    with pytest.raises(plan.SeasonRefused):
        plan.edit_request(request, need(restos, hall, start="17:00"), coordinator, now=AFTER)
    assert db.session.get(type(request), request.id).start_time == "18:00"


def test_a_volunteer_or_another_association_may_not_ask(season, hall, restos, epis):
    with pytest.raises(plan.NotAllowed):
        plan.submit_request(season, need(restos, hall), make_user(restos), now=NOW)
    with pytest.raises(plan.NotAllowed):
        plan.submit_request(season, need(restos, hall), make_user(epis, "coordinator"), now=NOW)
    with pytest.raises(plan.NotAllowed):
        plan.open_season(
            hall.site,
            plan.SeasonData("x", NOW.date(), NOW.date(), DEADLINE),
            make_user(restos, "coordinator"),
        )


def test_a_request_outside_the_season_is_refused_beside_its_field(season, hall, restos):
    with pytest.raises(plan.SeasonRefused) as refused:
        ask(season, restos, hall, first=date(2026, 8, 1))
    assert [r.field for r in refused.value.reasons] == ["from_day"]


def test_the_board_shows_clashes_quotas_and_bookings_in_the_way(season, hall, restos, epis):
    make_quota(resource=hall, period="week", maximum=1)
    make_booking(hall, epis, local_to_utc(date(2026, 12, 7), time(19, 0), hall.site.tz))
    a = ask(season, restos, hall)
    b = ask(season, epis, hall, start="19:30", end="21:00")
    (resource_board,) = boards.board(season, NOW)
    lines = {line.request.id: line for line in resource_board.lines}
    assert lines[a.id].clashes_with == [b.id] and lines[b.id].clashes_with == [a.id]
    assert len(lines[a.id].bookings_in_the_way) == 1
    assert "Restos du cœur : 0 h sur 1 h" in lines[a.id].quota_problems[0]
    assert resource_board.pattern[MONDAY] == [lines[a.id], lines[b.id]]
    assert resource_board.totals[0].startswith("Restos du cœur : 2 h par semaine ; jusqu'à")
    assert "sur 1 h (semaine du" in resource_board.totals[0]


def test_publish_refuses_everything_while_two_requests_clash(season, hall, restos, epis, manager):
    a = ask(season, restos, hall)
    ask(season, epis, hall, start="19:00", end="21:00")
    ask(season, epis, hall, start="10:00", end="12:00")
    accept_all(season, manager)
    with pytest.raises(PublishRefused) as refused:
        publish(season, manager, now=NOW)
    assert [p.request_id for p in refused.value.problems] == [a.id]
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 0
    assert db.session.get(Season, season.id).status == "open"


def test_publish_refused_by_a_booking_rule_creates_nothing(season, hall, restos, epis, manager):
    ask(season, restos, hall)
    b = ask(season, epis, hall, start="10:00", end="12:00")
    make_booking(hall, restos, local_to_utc(date(2027, 1, 11), time(11, 0), hall.site.tz))
    accept_all(season, manager)
    with pytest.raises(PublishRefused) as refused:
        publish(season, manager, now=NOW)
    assert [p.request_id for p in refused.value.problems] == [b.id]
    assert "11 janvier 2027" in refused.value.problems[0].messages[0]
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 0
    assert db.session.scalar(db.select(db.func.count(OutgoingMail.id))) == 0


def test_publish_makes_series_skips_christmas_and_closures_and_tells_coordinators(
    season, hall, restos, epis, manager
):
    a = ask(season, restos, hall)
    ask(season, epis, hall, start="19:00", end="21:00")
    declined = season.requests[1]
    db.session.add(
        Closure(
            site_id=hall.site_id,
            start=local_to_utc(date(2027, 1, 18), time(0, 0), hall.site.tz),
            end=local_to_utc(date(2027, 1, 19), time(0, 0), hall.site.tz),
            reason="Travaux",
        )
    )
    db.session.commit()
    plan.set_status(a, "accepted", "", manager, now=NOW)
    plan.set_status(declined, "declined", "Le hall est pris le lundi soir.", manager, now=NOW)
    publish(season, manager, now=NOW)
    assert db.session.get(Season, season.id).status == "published"
    days = [
        b.start.astimezone(hall.site.tz).date()
        for b in db.session.scalars(db.select(Booking).order_by(Booking.start))
    ]
    # December to January: 8 Mondays, less 2 at Christmas, less the closure.
    assert len(days) == 5
    assert date(2026, 12, 21) not in days and date(2027, 1, 18) not in days
    mails = db.session.scalars(
        db.select(OutgoingMail)
        .where(OutgoingMail.kind == "notify_season")
        .order_by(OutgoingMail.id)
    ).all()
    assert len(mails) == 2
    assert any("Accordé" in m.text_body for m in mails)
    assert any("Le hall est pris le lundi soir." in m.text_body for m in mails)
    with pytest.raises(plan.SeasonRefused):
        publish(season, manager, now=NOW)


def test_a_declined_request_needs_a_note(season, hall, restos, manager):
    a = ask(season, restos, hall)
    with pytest.raises(plan.SeasonRefused) as refused:
        plan.set_status(a, "declined", "  ", manager, now=NOW)
    assert refused.value.reasons[0].field == "manager_note"


def test_the_manager_moves_a_request_and_it_is_accepted(season, hall, restos, manager):
    a = ask(season, restos, hall)
    plan.edit_request(a, need(restos, hall, start="14:00", end="15:30"), manager, now=AFTER)
    assert (a.start_time, a.end_time, a.status) == ("14:00", "15:30", "accepted")


def test_carry_over_copies_the_season_a_year_later(season, hall, restos, manager):
    a = ask(season, restos, hall)
    plan.set_status(a, "accepted", "", manager, now=NOW)
    copy = plan.carry_over(season, manager, now=NOW)
    assert (copy.first_day, copy.last_day) == (date(2027, 9, 1), date(2028, 6, 30))
    assert copy.excluded_ranges == [(date(2027, 12, 19), date(2028, 1, 3))]
    assert copy.deadline == datetime(2027, 8, 20, 22, 0, tzinfo=UTC)
    (r,) = copy.requests
    assert (r.from_day, r.until, r.status) == (date(2027, 12, 1), date(2028, 1, 31), "requested")
    assert r.organisation_id == restos.id and r.weekdays == [MONDAY]


@pytest.mark.concurrency
def test_publishing_twice_at_once_makes_the_series_once(app, season, hall, restos, manager):
    from tests.concurrency import race

    a = ask(season, restos, hall)
    plan.set_status(a, "accepted", "", manager, now=NOW)
    season_id, manager_id = season.id, manager.id

    def go(i):
        from pole.auth.models import User

        return publish(db.session.get(Season, season_id), db.session.get(User, manager_id), NOW)

    outcomes = race(app, go, n=4, refused=(plan.SeasonRefused,))
    assert sum(isinstance(o, Season) for o in outcomes) == 1, outcomes
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 1
