"""The booking page hands the booking over to a phone's calendar ("Ajouter à mon agenda")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_booking, make_organisation, make_resource, make_user


def upcoming(hours_ahead: int = 48) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours_ahead)).replace(
        minute=0, second=0, microsecond=0
    )


def test_our_booking_page_offers_the_ics_of_that_booking(client, auth):
    restos = make_organisation(name="Restos du cœur")
    volunteer = make_user(restos)
    booking = make_booking(make_resource(name="Hall"), restos, upcoming(), title="Distribution")
    auth.login(volunteer.email)
    page = client.get(f"/reservations/{booking.id}").get_data(as_text=True)
    assert "Ajouter à mon agenda" in page
    response = client.get(f"/reservations/{booking.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "SUMMARY:Distribution" in response.get_data(as_text=True)


def test_another_associations_private_booking_is_not_handed_over(client, auth):
    restos = make_organisation()
    booking = make_booking(make_resource(), restos, upcoming(), title="Réunion interne")
    auth.login(make_user(make_organisation()).email)
    page = client.get(f"/reservations/{booking.id}").get_data(as_text=True)
    assert "Ajouter à mon agenda" not in page and "Réunion interne" not in page
    assert client.get(f"/reservations/{booking.id}.ics").status_code == 404
