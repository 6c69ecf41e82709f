"""A visitor who is not logged in opens only the bookings the public agenda announces."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.factories import make_booking, make_organisation, make_resource, make_user, page_text

TUESDAY_10H = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 10:00 in Paris; the room is always open


@pytest.mark.parametrize(
    "is_public, status, visible",
    [
        pytest.param(True, "confirmed", True, id="public-confirmed"),
        pytest.param(False, "confirmed", False, id="private"),
        pytest.param(True, "pending", False, id="public-awaiting-approval"),
        pytest.param(True, "cancelled", False, id="public-cancelled"),
        pytest.param(True, "rejected", False, id="public-refused"),
    ],
)
def test_a_visitor_opens_only_public_confirmed_bookings(client, is_public, status, visible):
    restos = make_organisation(name="Restos du cœur")
    booking = make_booking(
        make_resource(),
        restos,
        TUESDAY_10H,
        title="Repas partagé",
        is_public=is_public,
        status=status,
    )

    page = client.get(f"/reservations/{booking.id}")
    ics = client.get(f"/reservations/{booking.id}.ics")

    if visible:
        assert page.status_code == ics.status_code == 200
        assert "Repas partagé" in page_text(page)
    else:
        assert page.status_code == ics.status_code == 404
        assert "Repas partagé" not in page_text(page) and "Restos" not in page_text(page)


def without_csrf_token(body: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content=")[^"]*"', rb'\1"', body)


def test_an_unknown_and_a_private_booking_look_the_same_to_a_visitor(client):
    booking = make_booking(make_resource(), make_organisation(), TUESDAY_10H, title="Secret")

    private = client.get(f"/reservations/{booking.id}")
    unknown = client.get(f"/reservations/{booking.id + 1000}")

    assert private.status_code == unknown.status_code == 404
    # Byte for byte, but for the CSRF token: it is signed with the second it was made in.
    assert without_csrf_token(private.get_data()) == without_csrf_token(unknown.get_data())


@pytest.mark.parametrize("status", ["confirmed", "cancelled", "rejected", "pending"])
def test_logged_in_members_keep_opening_their_private_bookings(client, login_as, status):
    restos = make_organisation()
    booking = make_booking(
        make_resource(), restos, TUESDAY_10H, title="Réunion interne", status=status
    )
    login_as(make_user(restos))

    response = client.get(f"/reservations/{booking.id}")

    assert response.status_code == 200
    assert "Réunion interne" in page_text(response)


def test_the_day_grid_links_visitors_only_to_pages_they_may_open(client):
    room = make_resource(name="Hall")
    restos = make_organisation(name="Restos du cœur")
    private = make_booking(room, restos, TUESDAY_10H, title="Distribution")
    public = make_booking(room, restos, TUESDAY_10H.replace(hour=13), title="Fête", is_public=True)

    page = client.get("/agenda?date=2026-12-08").get_data(as_text=True)

    assert f'href="/reservations/{public.id}"' in page
    assert f'href="/reservations/{private.id}"' not in page
    assert "Réservé — Restos du cœur" in page_text(client.get("/agenda?date=2026-12-08"))
