"""Many people booking at the same instant, straight through the services on real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pole.auth.models import User
from pole.bookings import services
from pole.bookings.models import Booking
from pole.db import db
from tests.concurrency import race
from tests.factories import make_organisation, make_resource, make_user

pytestmark = pytest.mark.concurrency

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday, far enough ahead
NOW = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
CLIENTS = 20


@pytest.mark.parametrize("round_", range(3))
def test_twenty_people_booking_the_same_room_slot_get_exactly_one_booking(app, round_):
    org = make_organisation()
    users = [make_user(org).id for _ in range(CLIENTS)]
    room_id, org_id = make_resource(max_days_ahead=3650).id, org.id  # plain ids cross threads

    def book(i):
        user = db.session.get(User, users[i])
        data = services.BookingData(room_id, org_id, START, START + timedelta(hours=2), f"R{i}")
        return services.create_booking(data, user, now=NOW)

    outcomes = race(app, book, refused=(services.BookingRefused,))
    won = [o for o in outcomes if isinstance(o, Booking)]
    lost = [o for o in outcomes if isinstance(o, services.BookingRefused)]
    assert len(won) == 1 and len(lost) == CLIENTS - 1, outcomes
    db.session.rollback()  # leave the snapshot taken before the race
    assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1


@pytest.mark.parametrize("round_", range(3))
def test_twenty_people_taking_the_last_tables_never_exceed_the_stock(app, round_):
    org = make_organisation()
    users = [make_user(org).id for _ in range(CLIENTS)]
    tables = make_resource(kind="equipment", quantity=10, max_days_ahead=3650)
    tables_id, org_id = tables.id, org.id
    owner = db.session.get(User, users[0])
    services.create_booking(
        services.BookingData(
            tables_id, org_id, START, START + timedelta(hours=2), "Déjà", quantity=7
        ),
        owner,
        now=NOW,
    )

    def take(i):
        user = db.session.get(User, users[i])
        start = START + timedelta(minutes=30 * (i % 3))  # overlapping, not identical, windows
        data = services.BookingData(tables_id, org_id, start, start + timedelta(hours=1), f"T{i}")
        return services.create_booking(data, user, now=NOW)

    outcomes = race(app, take, refused=(services.BookingRefused,))
    assert all(isinstance(o, Booking | services.BookingRefused) for o in outcomes), outcomes
    db.session.rollback()
    booked = db.session.scalars(db.select(Booking).where(Booking.resource_id == tables_id)).all()
    # At 10:00-10:30 UTC every window overlaps: the stock there is the binding constraint.
    for minute in range(0, 120, 15):
        instant = START + timedelta(minutes=minute)
        in_use = sum(b.quantity for b in booked if b.start <= instant < b.end)
        assert in_use <= 10, (instant, in_use)
    assert len(booked) - 1 == sum(isinstance(o, Booking) for o in outcomes) >= 3
