"""How the app talks to PostgreSQL, and what it costs.

- Its sessions run in UTC (pole.config.POSTGRESQL_SESSION_OPTIONS): instants come from psycopg
  as datetime.UTC itself, with nothing to move; a deployment that sets another zone of its own
  gets the same pages and feeds.
- A feed's rows, read by a statement psycopg prepares, are planned well for any values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

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


def _literal(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "NULL"}[value]
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def generic_plan(statement: str, parameters: dict) -> list[str]:
    """The plan PostgreSQL keeps for `statement` once psycopg has prepared it (at its fifth
    run on a connection) and the server has chosen a plan for any values: a generic one."""
    names = list(parameters)
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE feed_rows AS {numbered}")
        values = ", ".join(_literal(parameters[name]) for name in names)
        cursor.execute(f"EXPLAIN EXECUTE feed_rows({values})")
        return [row[0].strip().removeprefix("->  ") for row in cursor.fetchall()]
    finally:
        connection.rollback()
        connection.close()


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("kind", FEEDS)
def test_a_feeds_rows_read_with_a_generic_plan_read_no_texts_per_row(
    client,
    building,  # noqa: F811
    kind,
):
    """A prepared statement's generic plan guesses a row or two for a range of instants. The
    statement that read a feed's bookings joined each to its association, room and site; so
    planned, it joined a year of the hall's 528 bookings in nested loops over those tables
    (2.2 ms, where the plan made for the values took 0.6). The texts now come once per feed
    (booking_rows._NAMES): the rows' statement reads the booking table, and what its scope
    needs, alone."""
    caught: list[tuple[str, dict]] = []

    def catch(_conn, _cursor, statement, parameters, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().startswith("SELECT booking.id, booking.title"):
            caught.append((statement, parameters))

    feed_cache.clear_cache()
    sa.event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert client.get(feed_url(building, kind)).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", catch)
    db.session.rollback()
    assert len(caught) == 1
    plan = generic_plan(*caught[0])
    read = {
        m.group(1).strip('"')
        for step in plan
        for m in re.finditer(r"(?<!Bitmap Index Scan) on (\S+)", step)
    }
    # What the scope itself reads: the person's memberships, a site's rooms (the public one).
    scope = {"personal": {"user", "membership"}, "social_worker": {"user", "membership"}}
    assert read == {"booking"} | scope.get(kind, {"resource"} if kind == "public" else set())
    if kind in ("organisation", "resource"):
        assert not [step for step in plan if "Loop" in step or "Join" in step], plan
