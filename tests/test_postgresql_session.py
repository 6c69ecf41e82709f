"""The app's PostgreSQL sessions run in UTC (pole.config.POSTGRESQL_SESSION_OPTIONS): instants
come from psycopg as datetime.UTC itself, with nothing to move; and a deployment that sets
another zone of its own gets the same pages and feeds."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.config import POSTGRESQL_SESSION_OPTIONS, engine_options
from pole.core.stored_time import stored_utc
from pole.db import db
from pole.feeds import cache as feed_cache
from tests.conftest import build_app
from tests.test_feeds import FEEDS, building, feed_url  # noqa: F401

URL = "postgresql+psycopg://pole@db.example/pole"


def test_a_postgresql_session_is_put_in_utc():
    assert engine_options(None, URL)["connect_args"] == {"options": POSTGRESQL_SESSION_OPTIONS}
    assert POSTGRESQL_SESSION_OPTIONS == "-c TimeZone=UTC"


def test_the_deployments_own_options_come_after_ours_and_are_kept():
    from_url = engine_options(None, URL + "?options=-c%20statement_timeout%3D5000")
    assert from_url["connect_args"] == {
        "options": f"{POSTGRESQL_SESSION_OPTIONS} -c statement_timeout=5000"
    }
    given = {"connect_args": {"options": "-c TimeZone=Europe/Paris", "connect_timeout": 3}}
    options = engine_options(given, URL)
    assert options["connect_args"] == {
        "options": f"{POSTGRESQL_SESSION_OPTIONS} -c TimeZone=Europe/Paris",
        "connect_timeout": 3,
    }
    assert given == {"connect_args": {"options": "-c TimeZone=Europe/Paris", "connect_timeout": 3}}


@pytest.mark.parametrize(
    "url", ["sqlite:///pole.db", "sqlite://", "sqlite:///:memory:"], ids=["file", "memory", "named"]
)
def test_sqlite_gets_no_session_options(url):
    assert "connect_args" not in engine_options(None, url)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_apps_connections_read_instants_as_utc_itself(building):  # noqa: F811
    booking = db.session.get(Booking, building.edited)
    db.session.rollback()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
        raw = connection.execute(
            sa.select(stored_utc(Booking.start), stored_utc(Booking.updated_at)).where(
                Booking.id == booking.id
            )
        ).one()
    # What the driver gives is already datetime.UTC: as_utc and UTCDateTime return it as is.
    assert raw[0].tzinfo is UTC and raw[1].tzinfo is UTC
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).start.tzinfo is UTC


CSRF = re.compile(rb'(name="csrf[-_]token" (?:content|value)=")[^"]+')


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_server_in_another_zone_gives_the_same_feeds_and_pages(
    app,
    client,
    login_as,
    building,  # noqa: F811  (the fixture imported above)
    postgresql_url,
    smtp_server,
):
    """The same database read by an app whose sessions run in Paris time (the deployment's
    own option wins): every feed byte for byte, and the pages that show the week's bookings."""
    paris = build_app(postgresql_url + "?options=-c%20TimeZone%3DEurope/Paris", smtp_server[1])
    paris.test_client_class = type(client)
    day = db.session.get(Booking, building.edited).start.date()
    db.session.rollback()
    feeds = [feed_url(building, kind) for kind in FEEDS]
    pages = [
        f"/agenda?date={day}",
        f"/salles/{building.office.id}/semaine?date={day}",
        f"/agenda/mois?mois={day:%Y-%m}",
        "/reservations",
    ]

    def answers(flask_app, browser) -> dict[str, bytes]:
        with flask_app.app_context():
            feed_cache.clear_cache()  # written from the rows, not taken from a built feed
            zone = db.session.connection().exec_driver_sql("SHOW TimeZone").scalar()
            db.session.rollback()
        assert zone == ("UTC" if flask_app is app else "Europe/Paris")
        said = {url: browser.get(url) for url in feeds}
        login_as(building.coordinator, on=browser)
        said |= {url: browser.get(url) for url in pages}
        assert all(response.status_code == 200 for response in said.values())
        return {url: CSRF.sub(rb"\1-", response.data) for url, response in said.items()}

    ours = answers(app, client)
    try:
        with paris.app_context():
            theirs = answers(paris, paris.test_client())
    finally:
        with paris.app_context():
            db.engine.dispose()
    assert all(b"BEGIN:VEVENT" in ours[url] for url in feeds)
    assert b"R\xc3\xa9union" in ours[pages[0]]
    assert theirs == ours


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_feeds_rows_are_read_with_a_plan_made_for_their_values(
    app,
    client,
    building,  # noqa: F811
):
    """The statements that read a feed's bookings and appointments are never prepared on the
    server (pole.db.UNPREPARED), however often they run: a prepared statement's generic plan
    joins a year of rows in nested loops. The link's statement, run as often, is prepared."""
    saved = app.config["POLE_FEED_CACHE_SIZE"]
    app.config["POLE_FEED_CACHE_SIZE"] = 0  # every request reads its rows
    feed_cache.clear_cache()
    urls = [feed_url(building, kind) for kind in ("resource", "social_worker")]
    try:
        for _ in range(12):  # psycopg prepares a statement at its 5th run on a connection
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200
                assert b"BEGIN:VEVENT" in response.data
        # The pool gives back the connection the last request used (pool_use_lifo).
        prepared = (
            db.session.connection()
            .exec_driver_sql("SELECT statement FROM pg_prepared_statements")
            .scalars()
            .all()
        )
    finally:
        db.session.rollback()
        app.config["POLE_FEED_CACHE_SIZE"] = saved
        feed_cache.clear_cache()
    assert any("FROM feed_token" in statement for statement in prepared)
    reading = [s for s in prepared if "FROM booking JOIN" in s or "FROM appointment JOIN" in s]
    assert [s for s in reading if "ORDER BY" in s] == []
