"""The app survives PostgreSQL dropping its connections (a restart, a failover, a pooler's
idle timeout): the requests that follow all succeed, none answers 500."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import requests
import sqlalchemy as sa

from pole.config import engine_options, in_memory
from pole.db import db
from pole.pool import ping_once_per_request
from tests.factories import make_resource, make_site
from tests.test_feeds import _fresh_feed_state, room_feed  # noqa: F401

BACKENDS_OF_THE_APP = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def get_all_at_once(url: str, n: int) -> list[int]:
    """GET `url` from n threads released together; their status codes."""
    barrier = threading.Barrier(n)
    statuses: list[int] = [0] * n

    def fetch(i: int) -> None:
        barrier.wait()
        statuses[i] = requests.get(url, timeout=30).status_code

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.parametrize("backend", ["postgresql"])
def test_every_request_succeeds_after_the_database_drops_all_connections(app, live_server):
    site = make_site()
    make_resource(site, name="Hall d'accueil")
    db.session.commit()
    home = live_server + "/"
    # Fill the pool: several connections, as many as concurrent requests checked out.
    for _ in range(3):
        assert get_all_at_once(home, 8) == [200] * 8
    admin_url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        pids = [row[0] for row in admin.execute(BACKENDS_OF_THE_APP)]
        assert len(pids) >= 3, "the pool held several connections"

        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while admin.execute(BACKENDS_OF_THE_APP).fetchall() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert admin.execute(BACKENDS_OF_THE_APP).fetchall() == []

    after = get_all_at_once(home, 8) + [requests.get(home, timeout=30).status_code]
    after += get_all_at_once(home, 8) + [requests.get(home, timeout=30).status_code]
    assert after == [200] * len(after)


def _engine_counting_pings(app, **options):  # noqa: ANN001, ANN003, ANN202
    """An engine on the app's database, pre-pinging as the app's does; and its list of pings.

    `options`: the engine's (one connection in its pool unless told)."""
    options = options or {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0}
    engine = sa.create_engine(db.engine.url, **options)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    ping_once_per_request(engine)
    return engine, pings


def _select_one(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_request_pings_a_connection_once_however_often_it_takes_it_out(app):
    engine, pings = _engine_counting_pings(app)
    try:
        _select_one(engine)  # a new connection is not pinged: it has just connected
        assert len(pings) == 0
        with app.test_request_context("/"):
            _select_one(engine)  # given back outside a request: pinged
            assert len(pings) == 1
            _select_one(engine)  # given back by this request a moment ago: not pinged again
            _select_one(engine)
            assert len(pings) == 1
        with app.test_request_context("/"):
            _select_one(engine)  # the next request pings it
            assert len(pings) == 2
        _select_one(engine)  # and so does any use outside a request
        assert len(pings) == 3
    finally:
        engine.dispose()


def test_a_request_takes_back_the_connection_it_gave_back_when_the_pool_holds_several(app):
    # The pool as the app's, after requests were served at once: several connections in it.
    engine, pings = _engine_counting_pings(app, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        held = [engine.connect() for _ in range(3)]
        for connection in held:
            connection.exec_driver_sql("SELECT 1")
        for connection in held:
            connection.close()
        with app.test_request_context("/"):
            taken = []
            for _ in range(3):  # a booking POST takes one out twice, a refusal three times
                with engine.connect() as connection:
                    taken.append(connection.connection.dbapi_connection)
            # The same connection each time, so pinged once: with the pool's default order
            # (first in, first out) each was another one, pinged again, a round trip more.
            assert taken[0] is taken[1] is taken[2]
            assert len(pings) == 1
        assert engine.pool.checkedin() == 3
    finally:
        engine.dispose()


def test_only_a_database_in_memory_goes_without_a_pool_and_its_options(tmp_path):
    for memory in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"):
        assert in_memory(memory)
        assert "pool_use_lifo" not in engine_options(None, memory)
    sa.create_engine("sqlite://", **engine_options(None, "sqlite://")).dispose()  # accepted
    for pooled in (f"sqlite:///{tmp_path / 'pole.db'}", "postgresql+psycopg://u@h/db"):
        assert not in_memory(pooled)
        assert engine_options(None, pooled)["pool_use_lifo"] is True
        assert engine_options({"pool_use_lifo": False}, pooled)["pool_use_lifo"] is False
    given = {"poolclass": sa.pool.NullPool}
    assert "pool_use_lifo" not in engine_options(given, f"sqlite:///{tmp_path / 'pole.db'}")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_next_request_replaces_a_connection_dropped_right_after_the_last_one(app):
    engine, pings = _engine_counting_pings(app)
    try:
        with app.test_request_context("/"), engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        admin_url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # Within the window where the same request would skip the ping, another one does not.
        with app.test_request_context("/"), engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
        assert len(pings) == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_feed_poll_goes_unpinged_and_survives_a_dropped_connection(
    app,
    client,
    room_feed,  # noqa: F811  (the fixture imported above)
    monkeypatch,
):
    etag = client.get(room_feed.url).headers["ETag"]
    db.session.commit()  # each poll begins afresh, as a calendar app's does
    pings: list[str] = []
    execute = psycopg.Cursor.execute
    ping_statement = db.engine.dialect._dialect_specific_select_one

    def noting_pings(cursor, query, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if query == ping_statement:
            pings.append(query)
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", noting_pings)
    # The link's one statement goes without the pool's ping: one round trip, not two.
    assert client.get(room_feed.url, headers={"If-None-Match": etag}).status_code == 304
    db.session.commit()
    assert pings == []
    admin_url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for (pid,) in admin.execute(BACKENDS_OF_THE_APP).fetchall():
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while admin.execute(BACKENDS_OF_THE_APP).fetchall() and time.monotonic() < deadline:
            time.sleep(0.05)
    # Its connection was dropped: the statement runs again, on a connection that is pinged.
    assert client.get(room_feed.url, headers={"If-None-Match": etag}).status_code == 304
    db.session.commit()
    assert client.get(room_feed.url).status_code == 200
