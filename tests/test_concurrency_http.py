"""Twenty volunteers clicking "Réserver" at the same instant, over HTTP, on both databases.

Each round releases 20 logged-in clients at once against a live, multi-threaded server.
The rounds are repeated so that a race that only sometimes goes wrong gets caught.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import PASSWORD, make_booking, make_organisation, make_resource, make_user

pytestmark = pytest.mark.concurrency

CLIENTS = 20
ROUNDS = 20
PARIS = ZoneInfo("Europe/Paris")
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class Volunteer:
    """A browser-like HTTP session: logged in, sending its CSRF token."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.http = requests.Session()
        token = self._token("/connexion")
        response = self.http.post(
            f"{base}/connexion",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text
        self.token = self._token("/")

    def _token(self, path: str) -> str:
        return CSRF.search(self.http.get(self.base + path).text).group(1)

    def book(self, **fields) -> int:
        response = self.http.post(
            f"{self.base}/reservations",
            data={**fields, "csrf_token": self.token},
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code


def first_weekday_ahead(days_ahead: int = 7) -> date:
    # The Paris day by the app's clock (date.today() is the machine's: a day behind at 23:30 UTC).
    day = to_local(utcnow(), PARIS).date() + timedelta(days=days_ahead)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def all_at_once(volunteers: list[Volunteer], **fields) -> list[int]:
    barrier = threading.Barrier(len(volunteers))
    statuses: list[int] = [0] * len(volunteers)

    def click(i: int) -> None:
        barrier.wait()
        statuses[i] = volunteers[i].book(title=f"Réservation {i}", **fields)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(volunteers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture()
def volunteers(app, live_server):
    org = make_organisation(name="Restos du cœur")
    users = [make_user(org) for _ in range(CLIENTS)]
    return org, [Volunteer(live_server, user.email) for user in users]


def active_on(resource_id: int) -> list[Booking]:
    db.session.rollback()  # a fresh snapshot, after the others' commits
    return db.session.scalars(
        sa.select(Booking).where(
            Booking.resource_id == resource_id, Booking.status.in_(("pending", "confirmed"))
        )
    ).all()


def test_twenty_clients_racing_for_one_room_slot_leave_exactly_one_booking(volunteers):
    org, clients = volunteers
    room = make_resource(name="Hall d'accueil")
    first = first_weekday_ahead()
    for round_ in range(ROUNDS):
        day = first + timedelta(days=round_)
        statuses = all_at_once(
            clients,
            resource_id=room.id,
            organisation_id=org.id,
            date=day.isoformat(),
            start="10:00",
            end="12:00",
            quantity="1",
        )
        assert sorted(statuses) == [303] + [422] * (CLIENTS - 1), (round_, statuses)
        assert len([b for b in active_on(room.id) if b.start.date() == day]) == 1


def test_twenty_clients_taking_the_last_tables_never_exceed_the_stock(volunteers):
    org, clients = volunteers
    tables = make_resource(kind="equipment", quantity=10, name="Tables pliantes")
    first = first_weekday_ahead()
    for round_ in range(ROUNDS):
        day = first + timedelta(days=round_)
        already = make_booking(
            tables,
            org,
            start=_local(day, 9),
            hours=4,
            quantity=7,
        )
        statuses = all_at_once(
            clients,
            resource_id=tables.id,
            organisation_id=org.id,
            date=day.isoformat(),
            start="10:00",
            end="11:00",
            quantity="1",
        )
        assert sorted(statuses) == [303] * 3 + [422] * (CLIENTS - 3), (round_, statuses)
        same_day = [b for b in active_on(tables.id) if b.start.date() == day]
        assert sum(b.quantity for b in same_day) == 10, (round_, already.id)


def _local(day: date, hour: int) -> datetime:
    return local_to_utc(day, time(hour), PARIS)
