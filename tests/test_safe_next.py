"""One check for every `next` parameter: only a path of this site, nothing a browser rewrites."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.db import db, utcnow
from pole.permanences import services
from pole.permanences.models import Appointment
from pole.timeutil import local_to_utc
from pole.urls import safe_next
from tests.factories import make_organisation, make_permanence, make_user

PARIS = ZoneInfo("Europe/Paris")
HOME = "/"


@pytest.mark.parametrize(
    ("target", "followed"),
    [
        pytest.param("/salles/", True, id="a-page-of-this-site"),
        pytest.param("/organisations/?tri=nom#haut", True, id="with-query-and-anchor"),
        pytest.param("/permanences/nos-rendez-vous", True, id="permanences"),
        pytest.param("/réservations", True, id="accented-path"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="missing"),
        pytest.param("salles/", False, id="relative"),
        pytest.param("https://evil.example/", False, id="another-site"),
        pytest.param("javascript:alert(1)", False, id="javascript-scheme"),
        pytest.param("data:text/html,hi", False, id="data-scheme"),
        pytest.param("//evil.example/", False, id="protocol-relative"),
        pytest.param("///evil.example/", False, id="three-slashes"),
        pytest.param("/\\evil.example/", False, id="slash-backslash"),
        pytest.param("\\\\evil.example/", False, id="two-backslashes"),
        pytest.param("/\\/evil.example/", False, id="slash-backslash-slash"),
        pytest.param("/salles/\\x", False, id="backslash-later"),
        pytest.param("/\t/evil.example/", False, id="tab-between-slashes"),
        pytest.param("/\n/evil.example/", False, id="newline-between-slashes"),
        pytest.param("/\r\n/evil.example/", False, id="crlf"),
        pytest.param("/\x00/evil.example/", False, id="nul"),
        pytest.param("/\x7f/evil.example/", False, id="del"),
        pytest.param(" //evil.example/", False, id="leading-space"),
        pytest.param("/ /evil.example/", False, id="space"),
    ],
)
def test_safe_next_follows_only_paths_of_this_site(target, followed):
    assert safe_next(target, HOME) == (target if followed else HOME)


@pytest.mark.parametrize(
    "target", ["/\\evil.example/", "//evil.example/", "/\t/evil.example/", "https://evil.example"]
)
def test_cancelling_an_appointment_does_not_follow_a_next_to_another_site(
    app, client, login_as, target
):
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=3)  # the permanence is held on that weekday
    restos = make_organisation(name="Restos du cœur")
    volunteer = make_user(restos)
    permanence = make_permanence(
        now=utcnow(), weekdays=frozenset({day.weekday()}), until=today + timedelta(days=20)
    )
    data = services.AppointmentData(restos.id, "logement", note="", beneficiary_ref="M.D.")
    start = local_to_utc(day, time(14), PARIS)
    appointment = services.book_slot(permanence.id, start, data, volunteer, utcnow())
    login_as(volunteer)

    response = client.post(
        f"/permanences/rendez-vous/{appointment.id}/annuler", data={"next": target}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/permanences/nos-rendez-vous"
    assert db.session.get(Appointment, appointment.id, populate_existing=True).status == (
        "cancelled"
    )
