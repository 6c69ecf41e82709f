"""An organisation books or asks for a resource only in a site where it works, on every path:
the booking form's choices, series (form and service), the season's requests, their publishing
and carrying over, the waiting list. Refused in French beside the field, never a 500."""

from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pole.bookings import services as bookings
from pole.bookings.models import Booking, Series
from pole.bookings.recurrence import Recurrence
from pole.core.refusals import Refused
from pole.db import db, utcnow
from pole.permanences import services as permanences
from pole.permanences.models import Permanence
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services import plan
from pole.seasons.services.publish import PublishRefused, publish
from pole.sites import services as sites
from pole.timeutil import local_to_utc
from pole.waitlist.models import Wish
from tests.factories import (
    errors_beside,
    make_organisation,
    make_resource,
    make_season,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
ELSEWHERE = "Amicale du centre ne travaille pas sur le site « Les 4 Épis »."


def next_weekday(weekday: int, weeks: int = 2) -> date:
    """That weekday, `weeks` weeks or so after the (injected) clock's today, in Paris."""
    today = utcnow().astimezone(PARIS).date()
    return today + timedelta(days=7 * weeks + (weekday - today.weekday()) % 7)


TUESDAY = 1


@pytest.fixture()
def city(app):
    """The 4 Épis (its hall) and a day centre (its workshop); the Amicale works only at the
    centre, the Restos everywhere."""
    epis = make_site(name="Les 4 Épis")
    centre = make_site(name="Centre de jour")
    amicale = make_organisation(name="Amicale du centre", short_name="Amicale")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    sites.set_organisation_sites(amicale.id, {centre.id})
    return SimpleNamespace(
        epis=epis,
        centre=centre,
        amicale=amicale,
        restos=restos,
        hall=make_resource(epis, name="Hall d'accueil"),
        workshop=make_resource(centre, name="Salle d'atelier"),
        manager=make_user(name="Nadia Gestion", is_manager=True),
        awa=make_user(amicale, role="coordinator", name="Awa Amicale"),
        paul=make_user(restos, role="coordinator", name="Paul Restos"),
    )


def count(model) -> int:  # noqa: ANN001
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# Booking and series -----------------------------------------------------------------------------


def test_the_booking_form_offers_only_organisations_working_in_the_site(
    app, city, client, login_as
):
    login_as(city.manager)
    hall = page_text(client.get(f"/reservations/nouvelle?resource_id={city.hall.id}"))
    workshop = page_text(client.get(f"/reservations/nouvelle?resource_id={city.workshop.id}"))
    assert "Restos du cœur" in hall and "Amicale du centre" not in hall
    assert "Restos du cœur" in workshop and "Amicale du centre" in workshop


def series_form(city, resource, organisation) -> dict:  # noqa: ANN001
    day = next_weekday(TUESDAY)
    return {
        "resource_id": resource.id,
        "organisation_id": organisation.id,
        "date": day.isoformat(),
        "start": "10:00",
        "end": "12:00",
        "quantity": "1",
        "title": "Atelier cuisine",
        "repeat": "y",
        "freq": "weekly",
        "interval": "1",
        "weekdays": str(TUESDAY),
        "ends": "count",
        "count": "3",
        "confirm": "1",
    }


@pytest.mark.parametrize("who", ["awa", "manager"])
def test_a_series_posted_for_an_organisation_working_elsewhere_is_refused_beside_the_field(
    app, city, client, login_as, who
):
    login_as(getattr(city, who))
    response = client.post("/reservations", data=series_form(city, city.hall, city.amicale))
    assert response.status_code == 422
    assert errors_beside(response, "organisation_id")
    assert count(Series) == 0 and count(Booking) == 0
    # Where it works, the same series is saved.
    saved = client.post("/reservations", data=series_form(city, city.workshop, city.amicale))
    assert saved.status_code in (302, 303)
    assert count(Series) == 1


def recurrence() -> Recurrence:
    day = next_weekday(TUESDAY)
    return Recurrence(
        first_day=day,
        start_time=time(10),
        end_time=time(12),
        freq="weekly",
        weekdays=frozenset({TUESDAY}),
        count=3,
    )


def test_the_series_service_lists_every_date_as_refused_and_saves_nothing(app, city):
    data = bookings.SeriesData(city.hall.id, city.amicale.id, "Atelier", recurrence())
    preview = bookings.preview_series(data, city.manager)
    assert len(preview.conflicts) == 3 and not preview.bookable
    assert {c.reasons[-1].message for c in preview.conflicts} == {ELSEWHERE}
    assert {c.reasons[-1].field for c in preview.conflicts} == {"organisation"}
    with pytest.raises(bookings.SeriesRefused):
        bookings.create_series(data, city.manager)
    with pytest.raises(bookings.SeriesRefused):  # skipping every date saves nothing either
        bookings.create_series(data, city.manager, skip=[c.day for c in preview.conflicts])
    assert count(Series) == 0 and count(Booking) == 0
    where_it_works = bookings.SeriesData(city.workshop.id, city.amicale.id, "A", recurrence())
    assert len(bookings.create_series(where_it_works, city.manager).bookings) == 3


def test_the_booking_service_refuses_a_booking_where_the_organisation_does_not_work(app, city):
    start = local_to_utc(next_weekday(TUESDAY), time(10), PARIS)
    data = bookings.BookingData(
        city.hall.id, city.amicale.id, start, start + timedelta(hours=2), "Atelier"
    )
    with pytest.raises(bookings.BookingRefused) as refused:
        bookings.create_booking(data, city.manager)
    assert [(r.field, r.message) for r in refused.value.reasons] == [("organisation", ELSEWHERE)]
    assert count(Booking) == 0


def test_moving_a_series_of_an_organisation_that_left_the_site_is_refused(
    app, city, client, login_as
):
    data = bookings.SeriesData(city.hall.id, city.restos.id, "Distribution", recurrence())
    first, second, third = bookings.create_series(data, city.paul).bookings
    sites.set_organisation_sites(city.restos.id, {city.centre.id})  # the Restos leave the 4 Épis
    login_as(city.paul)
    day = second.start.astimezone(PARIS).date().isoformat()
    moved = {"title": "Distribution", "date": day, "start": "14:00", "end": "16:00"}
    for scope in ("one", "following"):
        response = client.post(
            f"/reservations/{second.id}/modifier", data={**moved, "scope": scope}
        )
        assert response.status_code == 422
        assert "Restos du cœur ne travaille pas sur le site « Les 4 Épis »." in page_text(response)
    db.session.rollback()
    hours = [b.start.astimezone(PARIS).hour for b in (first, second, third)]
    assert hours == [10, 10, 10]
    # What does not take new time there (a title) is still theirs to change, and to cancel.
    renamed = client.post(
        f"/reservations/{second.id}/modifier",
        data={**moved, "start": "10:00", "end": "12:00", "title": "Colis", "scope": "one"},
    )
    assert renamed.status_code == 303
    assert db.session.get(Booking, second.id).title == "Colis"


def test_a_permanence_held_where_its_ccas_does_not_work_books_nothing(app, city):
    ccas = make_organisation(kind="ccas", name="CCAS du centre")
    sites.set_organisation_sites(ccas.id, {city.centre.id})
    social_worker = make_user(ccas, is_social_worker=True)
    first = next_weekday(TUESDAY)
    pattern = permanences.PatternData(
        frozenset({TUESDAY}), time(14), time(17), 30, first, first + timedelta(days=14)
    )
    data = permanences.PermanenceData(city.hall.id, ccas.id, "Permanence sociale", pattern)
    preview = permanences.preview_permanence(data, social_worker)
    assert len(preview.conflicts) == 3
    assert preview.conflicts[0].reasons[-1].message == (
        "CCAS du centre ne travaille pas sur le site « Les 4 Épis »."
    )
    with pytest.raises(bookings.SeriesRefused):
        permanences.publish_permanence(data, social_worker)
    assert count(Permanence) == 0 and count(Series) == 0
    elsewhere = permanences.PermanenceData(city.workshop.id, ccas.id, "Permanence", pattern)
    assert permanences.publish_permanence(elsewhere, social_worker).resource_id == city.workshop.id


# The season's plan ------------------------------------------------------------------------------


@pytest.fixture()
def season(city):
    return make_season(city.epis.id)


def need(season, organisation, resource) -> plan.RequestData:  # noqa: ANN001
    return plan.RequestData(
        organisation.id,
        resource.id,
        frozenset({0, 3}),
        time(18),
        time(20),
        season.first_day,
        season.first_day + timedelta(days=60),
    )


def request_form(season, organisation, resource) -> dict:  # noqa: ANN001
    return {
        "organisation_id": organisation.id,
        "resource_id": resource.id,
        "weekdays": ["0", "3"],
        "start_time": "18:00",
        "end_time": "20:00",
        "from_day": season.first_day.isoformat(),
        "until": (season.first_day + timedelta(days=60)).isoformat(),
        "priority": "2",
        "note": "",
    }


def test_the_season_form_offers_only_organisations_working_in_its_site(
    app, city, season, client, login_as
):
    login_as(city.manager)
    page = page_text(client.get(f"/saisons/{season.id}"))
    assert "Restos du cœur" in page and "Amicale du centre" not in page
    response = client.post(
        f"/saisons/{season.id}/demandes", data=request_form(season, city.amicale, city.hall)
    )
    assert response.status_code == 422
    assert errors_beside(response, "organisation_id") == ["Choisissez dans la liste."]
    assert count(SeasonRequest) == 0


def test_a_coordinator_of_an_organisation_working_elsewhere_may_not_ask(
    app, city, season, client, login_as
):
    login_as(city.awa)
    response = client.post(
        f"/saisons/{season.id}/demandes", data=request_form(season, city.amicale, city.hall)
    )
    assert response.status_code == 403
    assert count(SeasonRequest) == 0


def test_the_plan_service_refuses_a_request_beside_the_organisation(app, city, season):
    with pytest.raises(Refused) as refused:
        plan.submit_request(season, need(season, city.amicale, city.hall), city.manager)
    assert [(r.field, r.message) for r in refused.value.reasons] == [("organisation_id", ELSEWHERE)]
    request = plan.submit_request(season, need(season, city.restos, city.hall), city.manager)
    with pytest.raises(Refused):  # nor can the board hand it to an organisation working elsewhere
        plan.edit_request(request, need(season, city.amicale, city.hall), city.manager)
    assert count(SeasonRequest) == 1


def test_publishing_refuses_a_request_of_an_organisation_that_left_the_site(app, city, season):
    request = plan.submit_request(season, need(season, city.restos, city.hall), city.manager)
    plan.set_status(request, "accepted", "", city.manager)
    sites.set_organisation_sites(city.restos.id, {city.centre.id})  # the Restos leave the 4 Épis
    with pytest.raises(PublishRefused) as refused:
        publish(season, city.manager)
    (problem,) = refused.value.problems
    assert problem.request_id == request.id
    assert "Restos du cœur ne travaille pas sur le site « Les 4 Épis »." in problem.messages[0]
    assert count(Series) == 0 and count(Booking) == 0
    assert db.session.get(Season, season.id).status == "open"


def test_carrying_over_leaves_behind_the_requests_of_organisations_that_left(app, city, season):
    plan.submit_request(season, need(season, city.restos, city.hall), city.manager)
    kept = make_organisation(name="Secours populaire")
    plan.submit_request(season, need(season, kept, city.hall), city.manager)
    sites.set_organisation_sites(city.restos.id, {city.centre.id})
    copy = plan.carry_over(season, city.manager)
    assert [r.organisation_id for r in db.session.get(Season, copy.id).requests] == [kept.id]


# The waiting list -------------------------------------------------------------------------------


def test_a_wish_for_an_organisation_working_elsewhere_is_refused_in_french(
    app, city, client, login_as
):
    login_as(city.awa)
    day = next_weekday(TUESDAY)
    start = local_to_utc(day, time(10), PARIS)
    data = {
        "resource_id": city.hall.id,
        "organisation_id": city.amicale.id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "quantity": 1,
    }
    response = client.post("/attente", data=data)
    assert response.status_code == 422
    assert ELSEWHERE in page_text(response)
    htmx = client.post("/attente", data=data, headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and ELSEWHERE in page_text(htmx)
    assert count(Wish) == 0
