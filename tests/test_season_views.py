"""Season pages over HTTP: who may ask, the deadline's 422, the board, publish's 422."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from pole.bookings.models import Series
from pole.db import db, utcnow
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services import plan
from tests.factories import make_organisation, make_resource, make_season, make_user, page_text


@pytest.fixture()
def setting(app):
    hall = make_resource(name="Hall")
    restos = make_organisation(name="Restos du cœur")
    return hall, restos, make_season(hall.site_id)


def form(hall, restos, season, start="18:00", end="20:00", **extra):
    return {
        "organisation_id": restos.id,
        "resource_id": hall.id,
        "weekdays": ["0", "3"],
        "start_time": start,
        "end_time": end,
        "from_day": season.first_day.isoformat(),
        "until": (season.first_day + timedelta(days=60)).isoformat(),
        "priority": "2",
        "note": "",
        **extra,
    }


def test_a_coordinator_asks_and_a_volunteer_may_not(client, login_as, setting):
    hall, restos, season = setting
    login_as(make_user(restos, role="volunteer"))
    assert client.get(f"/saisons/{season.id}").status_code == 200
    assert client.post(f"/saisons/{season.id}/demandes", data=form(*setting)).status_code == 403
    login_as(make_user(restos, role="coordinator"))
    response = client.post(f"/saisons/{season.id}/demandes", data=form(*setting))
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(SeasonRequest.id))) == 1


def test_bad_input_and_the_deadline_answer_422_beside_the_fields(client, login_as, setting):
    hall, restos, season = setting
    login_as(make_user(restos, role="coordinator"))
    response = client.post(f"/saisons/{season.id}/demandes", data=form(*setting, end="17:00"))
    assert response.status_code == 422
    assert "L'heure de fin doit suivre" in page_text(response)
    for weekdays in (["9"], ["lundi"]):
        response = client.post(
            f"/saisons/{season.id}/demandes", data=form(*setting, weekdays=weekdays)
        )
        assert response.status_code == 422
    response = client.post(
        f"/saisons/{season.id}/demandes", data=form(*setting, organisation_id="x")
    )
    assert response.status_code == 422 and "Choisissez dans la liste." in page_text(response)
    season.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/saisons/{season.id}/demandes", data=form(*setting))
    assert response.status_code == 422
    assert "La date limite est passée" in page_text(response)


def test_the_board_is_the_managers_and_publish_refuses_a_clash(client, login_as, setting):
    hall, restos, season = setting
    coordinator = make_user(restos, role="coordinator")
    data = plan.RequestData(
        restos.id,
        hall.id,
        frozenset({0}),
        time(18),
        time(20),
        season.first_day,
        season.first_day + timedelta(days=30),
    )
    a = plan.submit_request(season, data, coordinator)
    plan.submit_request(season, data, coordinator)
    login_as(coordinator)
    assert client.get(f"/saisons/{season.id}/tableau").status_code == 403
    assert client.post(f"/saisons/{season.id}/publier").status_code == 403
    login_as(make_user(is_manager=True))
    page = page_text(client.get(f"/saisons/{season.id}/tableau"))
    assert "Conflit avec la demande" in page
    for r in season.requests:
        client.post(f"/saisons/{season.id}/demandes/{r.id}/accepter")
    response = client.post(f"/saisons/{season.id}/publier")
    assert response.status_code == 422 and "chevauche" in page_text(response)
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 0
    response = client.post(
        f"/saisons/{season.id}/demandes/{a.id}/refuser", data={"manager_note": ""}
    )
    assert response.status_code == 422
    assert client.get(f"/saisons/{season.id}/demandes/999").status_code == 404
    edit_page = client.get(f"/saisons/{season.id}/demandes/{a.id}")
    assert edit_page.status_code == 200 and 'value="18:00"' in edit_page.text
    moved = form(*setting, start="10:00", end="12:00")
    assert client.post(f"/saisons/{season.id}/demandes/{a.id}", data=moved).status_code == 303
    assert client.post(f"/saisons/{season.id}/publier").status_code == 303
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 2
    response = client.post(f"/saisons/{season.id}/reconduire")
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Season.id))) == 2


def test_the_manager_opens_a_season(client, login_as, app):
    make_resource()
    login_as(make_user(is_manager=True))
    assert client.get("/saisons/nouvelle").status_code == 200
    bad = {
        "name": "",
        "first_day": "2030-09-01",
        "last_day": "2030-08-01",
        "deadline": "2030-08-15",
    }
    assert client.post("/saisons/nouvelle", data=bad).status_code == 422
    good = {
        **bad,
        "name": "2030",
        "last_day": "2031-06-30",
        "excluded_first": "2030-12-20",
        "excluded_last": "2031-01-03",
    }
    assert client.post("/saisons/nouvelle", data=good).status_code == 303
    assert "2030" in page_text(client.get("/saisons"))


def test_the_demo_season_is_in_progress_with_one_clash(client, auth, app):
    from pole import demo

    demo.load("demo-password-123")
    season = db.session.scalar(db.select(Season))
    assert season.status == "open" and len(season.requests) == 3
    assert auth.login(f"gestion@{demo.DOMAIN}", "demo-password-123").status_code == 302
    page = page_text(client.get(f"/saisons/{season.id}/tableau"))
    assert page.count("Conflit avec la demande") == 2
