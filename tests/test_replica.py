"""POLE_READ_REPLICA_URL: feed and report reads go to the replica, nothing else does.

The "replica" is a second scratch database of the same backend holding a copy of the
primary's rows, with one booking retitled: what a page shows tells which database it read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole import replica
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.feeds import cache as feed_cache
from pole.feeds import links as feed_links
from pole.feeds.models import FeedRateBucket
from pole.timeutil import local_to_utc, to_local
from tests.factories import make_booking, make_organisation, make_resource, make_user

ON_PRIMARY, ON_REPLICA = "Distribution", "Distribution (copie du réplica)"
PARIS = ZoneInfo("Europe/Paris")


def weekday_ahead(days: int) -> date:
    day = to_local(utcnow(), PARIS).date() + timedelta(days=days)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@pytest.fixture()
def building(app):  # noqa: ANN001
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(restos, role="coordinator")
    manager = make_user(is_manager=True)
    hall = make_resource(name="Hall d'accueil")
    day = weekday_ahead(3)
    booking = make_booking(
        hall,
        restos,
        local_to_utc(day, time(10), PARIS),
        hours=2,
        title=ON_PRIMARY,
        created_by=coordinator,
        is_public=True,
    )
    url = f"/calendrier/{feed_links.issue_link('resource', hall.id, manager)}.ics"
    return SimpleNamespace(
        restos=restos, coordinator=coordinator, manager=manager, hall=hall, day=day,
        booking=booking, url=url,
    )  # fmt: skip


def copy_rows(source: sa.Engine, target: sa.Engine) -> None:
    """What streaming replication does, at one instant: the same rows on the replica."""
    if target.dialect.name == "postgresql":
        with target.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
    db.metadata.create_all(target)
    with source.connect() as reading, target.begin() as writing:
        for table in db.metadata.sorted_tables:
            rows = reading.execute(sa.select(table)).mappings().all()
            if rows:
                writing.execute(sa.insert(table), [dict(row) for row in rows])


@pytest.fixture()
def with_replica(app, building, scratch_url: str) -> Iterator[sa.Engine]:  # noqa: ANN001
    """The app with POLE_READ_REPLICA_URL set to a copy of its database, one title changed."""
    db.session.commit()
    app.config["POLE_READ_REPLICA_URL"] = scratch_url
    replica.init_app(app)
    engine = app.extensions[replica.REPLICA_KEY]
    try:
        copy_rows(db.engine, engine)
        with engine.begin() as conn:
            conn.execute(
                sa.update(Booking).where(Booking.id == building.booking.id).values(title=ON_REPLICA)
            )
        feed_cache.clear_cache()
        yield engine
    finally:
        db.session.rollback()  # give back the session's replica connection before it goes
        replica.dispose(app)
        app.config["POLE_READ_REPLICA_URL"] = ""
        replica.init_app(app)
        feed_cache.clear_cache()


def statements_on(engine: sa.Engine, run):  # noqa: ANN001, ANN201
    """What `run()` returns, and the statements it sent to `engine`."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        return run(), seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_without_the_setting_feeds_read_the_primary(app, client, building):
    assert replica.REPLICA_KEY not in app.extensions
    assert f"SUMMARY:{ON_PRIMARY} (Restos)" in client.get(building.url).get_data(as_text=True)


def test_a_feed_reads_the_replica_and_writes_its_rate_limit_on_the_primary(
    app, client, building, with_replica
):
    response = client.get(building.url)
    assert response.status_code == 200
    assert f"SUMMARY:{ON_REPLICA} (Restos)" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(sa.select(FeedRateBucket)).all() != []
    with with_replica.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(FeedRateBucket)).scalar() == 0
    public = client.get("/agenda.ics")
    assert public.status_code == 200


def test_the_report_reads_the_replica(app, client, login_as, building, with_replica):
    login_as(building.manager)
    page, seen = statements_on(with_replica, lambda: client.get("/rapports/"))
    assert page.status_code == 200
    assert any(s.lstrip().upper().startswith("SELECT") for s in seen)


@pytest.mark.parametrize("path", ["/", "/agendas", "/reservations/nouvelle"])
def test_pages_people_book_from_never_read_the_replica(
    app, client, login_as, building, with_replica, path
):
    login_as(building.coordinator)
    page, seen = statements_on(with_replica, lambda: client.get(path))
    assert page.status_code == 200
    assert seen == []


def test_the_booking_forms_checks_read_the_primary(app, client, login_as, building, with_replica):
    # The replica has lost the booking (it lags): the check must still see it on the primary.
    with with_replica.begin() as conn:
        conn.execute(sa.delete(Booking).where(Booking.id == building.booking.id))
    login_as(building.coordinator)
    fields = {
        "resource_id": building.hall.id,
        "organisation_id": building.restos.id,
        "date": building.day.isoformat(),
        "start": "11:00",
        "end": "12:00",
        "quantity": "1",
        "title": "Atelier",
    }
    refused, seen = statements_on(with_replica, lambda: client.post("/reservations", data=fields))
    assert refused.status_code == 422
    assert "Ce créneau est déjà pris" in refused.get_data(as_text=True)
    assert seen == []
