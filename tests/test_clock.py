"""POLE_TEST_NOW really moves every clock the app and the tests read (see conftest.py)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings import agenda
from pole.db import utcnow
from pole.resources.models import Site
from tests import conftest
from tests.factories import make_resource, make_site

PARIS = ZoneInfo("Europe/Paris")
START = conftest.fake_start()

pytestmark = pytest.mark.skipif(START is None, reason="POLE_TEST_NOW is not set")


def expected_now() -> datetime:
    """The fake instant, plus the real time the session has spent since it began."""
    return START + timedelta(seconds=time.monotonic() - conftest.CLOCK_STARTED_AT)


def close_to_fake_now(instant: datetime) -> bool:
    return abs(instant - expected_now()) < timedelta(seconds=5)


def test_python_clocks_start_at_the_fake_instant():
    assert close_to_fake_now(utcnow())
    assert close_to_fake_now(datetime.now(UTC))
    assert close_to_fake_now(datetime.fromtimestamp(time.time(), UTC))
    assert date.today() == datetime.now().date()
    assert date.today() in {START.astimezone().date(), utcnow().astimezone().date()}


def test_services_default_to_the_fake_instant():
    site = Site(name="Pôle", timezone="Europe/Paris")
    assert agenda.today(site) == utcnow().astimezone(PARIS).date()
    assert agenda.today(site) in {
        START.astimezone(PARIS).date(),
        expected_now().astimezone(PARIS).date(),
    }


def test_the_app_serves_today_as_the_fake_paris_day(client):
    room = make_resource(make_site())
    page = client.get("/agenda").get_data(as_text=True)
    paris_today = utcnow().astimezone(PARIS).date()
    assert f"resource_id={room.id}&amp;date={paris_today.isoformat()}" in page
