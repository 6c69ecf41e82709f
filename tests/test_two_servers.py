"""Two app servers, one PostgreSQL: what one server does, the other knows at once.

Two gunicorn servers (separate processes, each with its own memory and feed cache) serve
the test's PostgreSQL database on free ports. A feed link's rate limit is counted once for
both; an organisation renamed through one is in the feed the other had cached; a slot booked
on one is refused as taken on the other. Without PostgreSQL it is skipped (failed in CI).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from pole.feeds import links as feed_links
from tests.conftest import free_port
from tests.factories import PASSWORD, make_organisation, make_resource, make_user
from tests.servers import answers, server_env, start_gunicorn, stop, wait_until

pytestmark = [pytest.mark.concurrency, pytest.mark.parametrize("backend", ["postgresql"])]

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
PARIS = ZoneInfo("Europe/Paris")
LIMIT = 6  # requests a link may make per hour, on these servers


@pytest.fixture()
def servers(app, tmp_path: Path) -> Iterator[tuple[str, str]]:  # noqa: ANN001
    """Two gunicorn servers on the test's database; both stopped at the end, whatever happens."""
    env = server_env(app, POLE_FEED_RATE_LIMIT=f"{LIMIT}/3600", POLE_MAIL_KICK="0")
    started: list[tuple[subprocess.Popen, Path, str]] = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"{name}.log"
            process = start_gunicorn(
                env,
                "-w",
                "1",
                "--threads",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--error-logfile",
                str(log),
            )
            started.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, base in started:
            wait_until(lambda base=base: answers(base), process, log, 90)
        yield started[0][2], started[1][2]
    finally:
        stop(*(process for process, _, _ in started))


class Person:
    """A browser-like session on one server: logged in, sending its CSRF token."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.http = requests.Session()
        response = self.http.post(
            f"{base}/connexion",
            data={"email": email, "password": PASSWORD, "csrf_token": self._token("/connexion")},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302, response.text
        self.token = self._token("/")

    def _token(self, path: str) -> str:
        return CSRF.search(self.http.get(self.base + path, timeout=60).text).group(1)

    def post(self, path: str, **fields: str) -> requests.Response:
        return self.http.post(
            self.base + path,
            data={**fields, "csrf_token": self.token},
            allow_redirects=False,
            timeout=60,
        )


def servers_day(base: str, days_ahead: int) -> date:
    """A weekday ahead by the servers' own clock (their Date header), not the test's."""
    now = parsedate_to_datetime(requests.get(f"{base}/connexion", timeout=10).headers["Date"])
    day = now.astimezone(PARIS).date() + timedelta(days=days_ahead)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@pytest.fixture()
def building(app):  # noqa: ANN001
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(restos, role="coordinator")
    manager = make_user(is_manager=True)
    hall = make_resource(name="Hall d'accueil")
    office = make_resource(name="Bureau 1")
    return restos, coordinator, manager, hall, office


def feed_path(kind: str, subject_id: int, by) -> str:  # noqa: ANN001
    return f"/calendrier/{feed_links.issue_link(kind, subject_id, by)}.ics"


def statuses(bases: list[str], path: str, count: int) -> list[int]:
    return [
        requests.get(bases[i % len(bases)] + path, timeout=60).status_code for i in range(count)
    ]


def test_a_feed_links_rate_limit_is_counted_once_for_both_servers(servers, building):
    a, b = servers
    _, _, manager, hall, office = building
    alternating = feed_path("resource", hall.id, manager)
    on_one = feed_path("resource", office.id, manager)
    expected = [200] * LIMIT + [429, 429]
    assert statuses([a], on_one, LIMIT + 2) == expected
    assert statuses([a, b], alternating, LIMIT + 2) == expected
    refused = requests.get(b + alternating, timeout=60)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600 // LIMIT


def test_an_organisation_renamed_through_one_server_is_in_the_others_feed_at_once(
    servers, building
):
    a, b = servers
    restos, coordinator, manager, hall, _ = building
    day = servers_day(a, 3)
    assert (
        Person(a, coordinator.email)
        .post(
            "/reservations",
            resource_id=str(hall.id),
            organisation_id=str(restos.id),
            date=day.isoformat(),
            start="10:00",
            end="12:00",
            quantity="1",
            title="Distribution",
        )
        .status_code
        == 303
    )
    path = feed_path("resource", hall.id, manager)
    cached = requests.get(b + path, timeout=60)  # b builds the feed and keeps it
    assert cached.status_code == 200
    assert "Restos du cœur" in cached.text
    etag = cached.headers["ETag"]
    assert requests.get(b + path, headers={"If-None-Match": etag}, timeout=60).status_code == 304

    renamed = Person(a, manager.email).post(
        f"/organisations/{restos.id}/modifier",
        name="Les Restaurants du cœur",
        short_name="Restos",
        kind="association",
        colour="#2f855a",
        email="",
    )
    assert renamed.status_code in (302, 303), renamed.text

    fresh = requests.get(b + path, headers={"If-None-Match": etag}, timeout=60)
    assert fresh.status_code == 200
    assert "Les Restaurants du cœur" in fresh.text.replace("\r\n ", "")
    assert fresh.headers["ETag"] != etag


def test_a_slot_booked_on_one_server_is_refused_as_taken_on_the_other(servers, building):
    a, b = servers
    restos, coordinator, _, hall, _ = building
    day = servers_day(a, 5)
    slot = {
        "resource_id": str(hall.id),
        "organisation_id": str(restos.id),
        "date": day.isoformat(),
        "start": "14:00",
        "end": "16:00",
        "quantity": "1",
    }
    on_a, on_b = Person(a, coordinator.email), Person(b, coordinator.email)
    assert on_a.post("/reservations", title="Atelier cuisine", **slot).status_code == 303
    refused = on_b.post("/reservations", title="Goûter", **slot)
    assert refused.status_code == 422
    assert "Ce créneau est déjà pris : " in refused.text
