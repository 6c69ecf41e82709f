"""Twenty volunteers of one association racing for its last quota hours, over HTTP, both DBs.

They book different rooms of one group at different hours, so no slot clashes: only the
quota, summed under the organisation's lock, can stop them. Each round is a new week.
"""

from __future__ import annotations

import threading
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db
from pole.timeutil import local_to_utc
from tests.factories import (
    make_booking,
    make_group,
    make_organisation,
    make_quota,
    make_resource,
    make_user,
)
from tests.test_concurrency_http import Volunteer, first_weekday_ahead

pytestmark = pytest.mark.concurrency

CLIENTS = 20
ROUNDS = 5
PARIS = ZoneInfo("Europe/Paris")
QUOTA_HOURS = 5
ALREADY_HOURS = 2


def race(volunteers: list[Volunteer], forms: list[dict]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(volunteers))
    answers: list[tuple[int, str]] = [(0, "")] * len(volunteers)

    def click(i: int) -> None:
        barrier.wait()
        response = volunteers[i].http.post(
            f"{volunteers[i].base}/reservations",
            data={**forms[i], "csrf_token": volunteers[i].token},
            allow_redirects=False,
            timeout=60,
        )
        answers[i] = (response.status_code, response.text)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(volunteers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_the_last_hours_of_a_quota_go_to_exactly_as_many_clients_as_they_allow(app, live_server):
    restos = make_organisation(name="Restos du cœur")
    rooms = [make_resource(name="Bureau 1"), make_resource(name="Bureau 2")]
    make_quota(
        group=make_group("les deux bureaux", *rooms),
        organisation=restos,
        period="week",
        maximum=QUOTA_HOURS,
    )
    clients = [Volunteer(live_server, make_user(restos).email) for _ in range(CLIENTS)]
    first = first_weekday_ahead()
    monday = first + timedelta(days=7 - first.weekday())
    for round_ in range(ROUNDS):
        day = monday + timedelta(weeks=round_, days=1)
        make_booking(rooms[0], restos, local_to_utc(day, time(6), PARIS), hours=ALREADY_HOURS)
        forms = [
            {
                "resource_id": rooms[i % 2].id,
                "organisation_id": restos.id,
                "title": f"Entretien {i}",
                "date": day.isoformat(),
                "start": f"{8 + i // 2:02d}:00",
                "end": f"{9 + i // 2:02d}:00",
            }
            for i in range(CLIENTS)
        ]
        answers = race(clients, forms)
        statuses = sorted(status for status, _ in answers)
        winners = QUOTA_HOURS - ALREADY_HOURS
        assert statuses == [303] * winners + [422] * (CLIENTS - winners), (round_, statuses)
        assert all("dépasserait le quota" in text for status, text in answers if status == 422)
        db.session.rollback()  # a fresh snapshot, after the server's commits
        held = db.session.scalars(
            sa.select(Booking).where(
                Booking.organisation_id == restos.id,
                Booking.status.in_(("pending", "confirmed")),
                Booking.start >= local_to_utc(day, time(0), PARIS),
                Booking.start < local_to_utc(day + timedelta(days=1), time(0), PARIS),
            )
        ).all()
        assert sum((b.end - b.start for b in held), timedelta()) == timedelta(hours=QUOTA_HOURS)
