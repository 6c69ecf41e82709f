"""The app survives PostgreSQL dropping its connections (a restart, a failover, a pooler's
idle timeout): the requests that follow all succeed, none answers 500."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import requests

from pole.db import db
from tests.factories import make_resource, make_site

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
