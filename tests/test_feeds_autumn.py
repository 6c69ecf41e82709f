"""Feeds on the autumn night, on both databases: the repeated 02:00-03:00 hour.

Pôle stores a typed 02:30 of that night as the first one (UTC+2). With a TZID, RFC 5545
reads it the same way, but libical (Evolution), ical.js (Thunderbird) and icalevents read
the second one, an hour late. Every parser, icalevents included, must read the instant
stored in the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.feeds import bookings as feed_bookings
from pole.feeds import cache as feed_cache
from pole.feeds import links as feed_links
from pole.feeds.feed import Feed, window_at
from pole.timeutil import local_to_utc, to_local
from tests.factories import make_organisation, make_resource, make_site, make_user
from tests.test_ical import read_with_every_parser, unfolded

PARIS = ZoneInfo("Europe/Paris")
# Minutes from the first 02:00 of the night: what each booking covers, and whether a
# calendar app can only read it right in UTC (it starts or ends in the repeated hour).
NIGHT = [
    ("Jusqu'à la première 02:00", -30, 0, True),
    ("Première 02:15", 15, 45, True),
    ("De la première à la seconde", 45, 75, True),
    ("Seconde 02:15 jusqu'à 03:30", 75, 150, True),
    ("Après la nuit", 150, 180, False),
]


def autumn_night_after(now: datetime) -> date:
    """The next last Sunday of October, at least a day after `now` (Paris)."""
    today = to_local(now, PARIS).date()
    for year in (today.year, today.year + 1):
        last = date(year, 10, 31)
        change = last - timedelta(days=(last.weekday() - 6) % 7)
        if change > today:
            return change
    raise AssertionError("unreachable")


def book_the_night(now: datetime):  # noqa: ANN201
    """The bookings of NIGHT in a room open every day, made at `now`; the room and the
    association's coordinator."""
    site = make_site(name="Pôle des solidarités Les 4 Épis", timezone="Europe/Paris")
    association = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(association, role="coordinator")
    room = make_resource(site, name="Hall d'accueil")
    first_two = local_to_utc(autumn_night_after(now), time(2), PARIS)
    for title, start, end, _ in NIGHT:
        data = bookings.BookingData(
            room.id,
            association.id,
            first_two + timedelta(minutes=start),
            first_two + timedelta(minutes=end),
            title,
            is_public=True,
        )
        bookings.create_booking(data, coordinator, now=now)
    return room, association, coordinator


def stored(kind: str) -> dict[str, tuple[str, datetime, datetime]]:
    """Each booking's UID in a feed of this kind, with its title and stored instants."""
    db.session.expire_all()
    return {
        feed_bookings.booking_uid(kind, b.id, b.created_at): (b.title, b.start, b.end)
        for b in db.session.scalars(sa.select(Booking))
    }


def assert_every_parser_reads_the_stored_instants(body: bytes, kind: str) -> None:
    want = {uid: (start, end) for uid, (_, start, end) in stored(kind).items()}
    assert len(want) == len(NIGHT)
    for reading in read_with_every_parser(body):
        assert {e.uid: (e.start, e.end) for e in reading} == want


def assert_utc_exactly_where_a_tzid_is_misread(body: bytes, kind: str) -> None:
    lines = unfolded(body)
    lines = lines[lines.index("END:VTIMEZONE") :]
    in_utc = {}
    for line in lines:
        if line.startswith("UID:"):
            uid = line.removeprefix("UID:")
        elif line.startswith("DTSTART"):
            in_utc[uid] = line.endswith("Z")
    titles = {uid: title for uid, (title, _, _) in stored(kind).items()}
    assert {titles[uid]: utc for uid, utc in in_utc.items()} == {
        title: utc for title, _, _, utc in NIGHT
    }


# A Monday, six days before the autumn change of 2026.
NOW = datetime(2026, 10, 19, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["organisation", "resource", "public"])
def test_every_parser_reads_a_booking_of_the_repeated_hour_at_its_stored_instant(app, kind):
    room, association, _ = book_the_night(NOW)
    subject = {"organisation": association.id, "resource": room.id, "public": room.site_id}[kind]
    feed = Feed(kind, subject, "Agenda")
    with app.test_request_context():
        body = feed_cache.get(feed, window_at(NOW)).body
    assert_utc_exactly_where_a_tzid_is_misread(body, kind)
    assert_every_parser_reads_the_stored_instants(body, kind)


def test_a_downloaded_booking_of_the_repeated_hour_reads_at_its_stored_instant(
    client, login_as, app
):
    _, _, coordinator = book_the_night(NOW)
    login_as(coordinator)
    first = db.session.scalar(
        sa.select(Booking).where(Booking.title == "Première 02:15").order_by(Booking.id)
    )
    response = client.get(f"/reservations/{first.id}.ics")
    assert response.status_code == 200
    assert "DTSTART:" + first.start.strftime("%Y%m%dT%H%M%SZ") in unfolded(response.data)
    for reading in read_with_every_parser(response.data):
        assert [(e.start, e.end) for e in reading] == [(first.start, first.end)]


def test_a_subscribed_feed_reads_the_next_autumn_night_at_the_stored_instants(client, app):
    # The feed's window follows the server's clock: the night is the next one after it.
    now = utcnow()
    room, association, coordinator = book_the_night(now)
    token = feed_links.issue_link("organisation", association.id, coordinator, now=now)
    response = client.get(f"/calendrier/{token}.ics")
    assert response.status_code == 200
    assert_utc_exactly_where_a_tzid_is_misread(response.data, "organisation")
    assert_every_parser_reads_the_stored_instants(response.data, "organisation")
