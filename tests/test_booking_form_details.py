"""Two details of the booking forms: the manager's note beyond a quota stays on the form
whatever else it comes back for, and an edit can clear the number of people expected."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.models import Booking
from pole.bookings.services import BookingChanges, edit_booking
from pole.db import db
from pole.timeutil import local_to_utc
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_quota,
    make_resource,
    make_site,
    make_user,
)

PARIS = ZoneInfo("Europe/Paris")
HX = {"HX-Request": "true"}
NOTE = 'name="quota_override_note"'


def _today() -> date:
    return datetime.now(PARIS).date()


# A Monday three to four weeks ahead.
MONDAY = _today() + timedelta(days=21 - _today().weekday())


def at(hour: int) -> datetime:
    return local_to_utc(MONDAY, time(hour), PARIS)


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur")
    hall = make_resource(site, name="Hall d'accueil", capacity=50)
    return restos, hall


def booking_form(hall, org, hour: int, hours: int, **extra) -> dict:
    return {
        "resource_id": hall.id,
        "organisation_id": org.id,
        "title": "Distribution",
        "date": MONDAY.isoformat(),
        "start": f"{hour:02d}:00",
        "end": f"{hour + hours:02d}:00",
        **extra,
    }


def edit_form(hour: int, hours: int, **extra) -> dict:
    return {
        "title": "Distribution",
        "date": MONDAY.isoformat(),
        "start": f"{hour:02d}:00",
        "end": f"{hour + hours:02d}:00",
        "scope": "one",
        **extra,
    }


@pytest.mark.parametrize(
    "other_problem",
    [{"expected_people": "51"}, {"title": ""}, {"start": "25:00"}],
    ids=["too-many-people", "no-title", "no-such-hour"],
)
def test_the_managers_note_stays_on_the_booking_form_after_another_error(
    pole, client, login_as, other_problem
):
    restos, hall = pole
    make_quota(resource=hall, maximum=2)
    login_as(make_user(is_manager=True))
    refused = client.post("/reservations", data=booking_form(hall, restos, 9, 4), headers=HX)
    assert refused.status_code == 422 and NOTE in refused.text
    data = booking_form(hall, restos, 9, 4, quota_override_note="Collecte nationale")
    again = client.post("/reservations", data={**data, **other_problem}, headers=HX)
    assert again.status_code == 422
    assert NOTE in again.text and "Collecte nationale</textarea>" in again.text
    assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0
    assert client.post("/reservations", data=data).status_code == 303


def test_the_managers_note_stays_on_the_edit_form_after_another_error(pole, client, login_as):
    restos, hall = pole
    make_quota(resource=hall, maximum=3)
    booking = make_booking(hall, restos, at(9), hours=2)
    login_as(make_user(is_manager=True))
    url = f"/reservations/{booking.id}/modifier"
    refused = client.post(url, data=edit_form(9, 4), headers=HX)
    assert refused.status_code == 422 and NOTE in refused.text
    for other_problem in ({"title": ""}, {"expected_people": "51"}):
        again = client.post(
            url, data=edit_form(9, 4, quota_override_note="Collecte", **other_problem), headers=HX
        )
        assert again.status_code == 422
        assert NOTE in again.text and "Collecte</textarea>" in again.text
    done = client.post(url, data=edit_form(9, 4, quota_override_note="Collecte"))
    assert done.status_code == 303
    db.session.expire_all()
    moved = db.session.get(Booking, booking.id)
    assert (moved.end, moved.quota_override_note) == (at(13), "Collecte")


def test_an_edit_clears_the_number_of_people_expected(pole, client, login_as):
    restos, hall = pole
    coordinator = make_user(restos, role="coordinator")
    booking = make_booking(hall, restos, at(9), hours=2, expected_people=30, created_by=coordinator)
    login_as(coordinator)
    url = f"/reservations/{booking.id}/modifier"
    assert 'value="30"' in client.get(url).text
    bad = client.post(url, data=edit_form(9, 2, expected_people="0"))
    assert bad.status_code == 422 and errors_beside(bad, "expected_people")
    assert client.post(url, data=edit_form(9, 2, expected_people="")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).expected_people is None
    # A form that does not show the field (another client, equipment) keeps the number.
    db.session.get(Booking, booking.id).expected_people = 12
    db.session.commit()
    assert client.post(url, data=edit_form(9, 2, title="Collecte")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).expected_people == 12


def test_the_edit_service_clears_or_keeps_the_number_of_people(pole):
    restos, hall = pole
    manager = make_user(is_manager=True)
    booking = make_booking(hall, restos, at(9), hours=2, expected_people=30)
    edit_booking(booking.id, BookingChanges(title="Collecte"), manager)
    assert db.session.get(Booking, booking.id).expected_people == 30
    edit_booking(booking.id, BookingChanges(clear_expected_people=True), manager)
    assert db.session.get(Booking, booking.id).expected_people is None
