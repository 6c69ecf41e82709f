"""Season pages over HTTP: a coordinator changes and withdraws a request from the season's
page; the manager writes to the associations concerned from the board."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from pole.db import db, utcnow
from pole.seasons.models import Season, SeasonMessage, SeasonRequest
from pole.seasons.services import plan
from tests.factories import (
    errors_beside,
    make_organisation,
    make_resource,
    make_season,
    make_user,
    page_text,
)


@pytest.fixture()
def setting(app):
    hall = make_resource(name="Hall")
    restos = make_organisation(name="Restos du cœur")
    return hall, restos, make_season(hall.site_id)


def asked(season, organisation, hall, start=time(18), end=time(20), by=None) -> SeasonRequest:
    data = plan.RequestData(
        organisation.id,
        hall.id,
        frozenset({0}),
        start,
        end,
        season.first_day,
        season.first_day + timedelta(days=30),
    )
    return plan.submit_request(season, data, by or make_user(organisation, role="coordinator"))


def form(hall, organisation, season, start="18:00", end="20:00", **extra):
    return {
        "organisation_id": organisation.id,
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


def ticked(html: str) -> set[int]:
    """The associations ticked on the message form."""
    inputs = re.findall(r"<input[^>]*name=\"organisation_ids\"[^>]*>", html)
    return {int(re.search(r'value="(\d+)"', i)[1]) for i in inputs if " checked" in i}


def test_a_coordinator_changes_a_request_from_the_season_page(client, login_as, setting):
    hall, restos, season = setting
    request = asked(season, restos, hall)
    login_as(make_user(restos, role="coordinator"))
    page = client.get(f"/saisons/{season.id}")
    assert f"/saisons/{season.id}/demandes/{request.id}/modifier" in page.text
    edit_page = client.get(f"/saisons/{season.id}/demandes/{request.id}/modifier")
    assert edit_page.status_code == 200 and 'value="18:00"' in edit_page.text

    url = f"/saisons/{season.id}/demandes/{request.id}/modifier"
    bad = client.post(url, data=form(hall, restos, season, end="17:00"))
    assert bad.status_code == 422
    assert errors_beside(bad, "end_time") == ["L'heure de fin doit suivre l'heure de début."]
    assert db.session.get(SeasonRequest, request.id).end_time == "20:00"

    response = client.post(url, data=form(hall, restos, season, start="17:00", end="19:00"))
    assert response.status_code == 303
    changed = db.session.get(SeasonRequest, request.id)
    assert (changed.start_time, changed.weekdays, changed.status) == ("17:00", [0, 3], "requested")


def test_a_coordinator_withdraws_a_request_and_it_stays_listed(client, login_as, setting):
    hall, restos, season = setting
    request = asked(season, restos, hall)
    login_as(make_user(restos, role="coordinator"))
    response = client.post(f"/saisons/{season.id}/demandes/{request.id}/retirer")
    assert response.status_code == 303
    assert db.session.get(SeasonRequest, request.id).status == "withdrawn"
    page = client.get(f"/saisons/{season.id}")
    assert "— Retirée" in page_text(page)
    assert f"/demandes/{request.id}/retirer" not in page.text  # nothing more to change
    again = client.post(f"/saisons/{season.id}/demandes/{request.id}/retirer")
    assert again.status_code == 422 and "a été retirée" in page_text(again)


def test_another_associations_request_is_403_and_another_seasons_404(client, login_as, setting):
    hall, restos, season = setting
    request = asked(season, restos, hall)
    epis = make_organisation(name="Les 4 Épis")
    login_as(make_user(epis, role="coordinator"))
    base = f"/saisons/{season.id}/demandes/{request.id}"
    assert client.get(f"{base}/modifier").status_code == 403
    assert client.post(f"{base}/modifier", data=form(hall, restos, season)).status_code == 403
    assert client.post(f"{base}/retirer").status_code == 403
    login_as(make_user(restos, role="volunteer"))
    assert client.post(f"{base}/retirer").status_code == 403
    other = Season(
        site_id=hall.site_id,
        name="Autre",
        first_day=season.first_day,
        last_day=season.last_day,
        deadline=season.deadline,
        excluded=[],
    )
    db.session.add(other)
    db.session.commit()
    login_as(make_user(restos, role="coordinator"))
    assert client.post(f"/saisons/{other.id}/demandes/{request.id}/retirer").status_code == 404
    assert client.get(f"/saisons/{season.id}/demandes/999/modifier").status_code == 404
    assert db.session.get(SeasonRequest, request.id).status == "requested"


def test_after_the_deadline_a_change_is_refused_in_words(client, login_as, setting):
    hall, restos, season = setting
    request = asked(season, restos, hall)
    season.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login_as(make_user(restos, role="coordinator"))
    assert f"/demandes/{request.id}/retirer" not in client.get(f"/saisons/{season.id}").text
    base = f"/saisons/{season.id}/demandes/{request.id}"
    response = client.post(f"{base}/retirer")
    assert response.status_code == 422 and "La date limite est passée" in page_text(response)
    response = client.post(f"{base}/modifier", data=form(hall, restos, season, start="10:00"))
    assert response.status_code == 422 and "La date limite est passée" in page_text(response)
    assert db.session.get(SeasonRequest, request.id).start_time == "18:00"
    assert db.session.get(SeasonRequest, request.id).status == "requested"


def test_the_manager_writes_to_the_associations_of_a_clash(client, login_as, setting, mailbox):
    hall, restos, season = setting
    epis = make_organisation(name="Les 4 Épis")
    secours = make_organisation(name="Secours populaire")
    restos_coordinator = make_user(restos, role="coordinator", email="restos@exemple.fr")
    epis_coordinator = make_user(epis, role="coordinator", email="epis@exemple.fr")
    a = asked(season, restos, hall, by=restos_coordinator)
    asked(season, epis, hall, start=time(19), end=time(21), by=epis_coordinator)
    asked(season, secours, hall, start=time(9), end=time(10))
    mailbox.clear()

    login_as(make_user(is_manager=True))
    board = client.get(f"/saisons/{season.id}/tableau")
    link = f"/saisons/{season.id}/message?demande={a.id}&amp;ressource={hall.id}"
    assert link in board.text and "Écrire aux associations concernées" in page_text(board)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert ticked(page.text) == {restos.id, epis.id}  # not the Secours, not in the clash
    whole = client.get(f"/saisons/{season.id}/message?ressource={hall.id}")
    assert ticked(whole.text) == {restos.id, epis.id, secours.id}

    empty = {"organisation_ids": [str(restos.id)], "body": "  ", "resource_id": str(hall.id)}
    response = client.post(f"/saisons/{season.id}/message", data=empty)
    assert response.status_code == 422 and errors_beside(response, "body")
    nobody = {"body": "Bonjour", "resource_id": str(hall.id)}
    response = client.post(f"/saisons/{season.id}/message", data=nobody)
    assert response.status_code == 422 and errors_beside(response, "organisation_ids")
    for value in ("x", "999999"):
        tampered = {**nobody, "organisation_ids": [value]}
        response = client.post(f"/saisons/{season.id}/message", data=tampered)
        assert response.status_code == 422
        assert errors_beside(response, "organisation_ids") == [
            "Choisissez au moins une association dans la liste."
        ]
    assert db.session.scalar(db.select(db.func.count(SeasonMessage.id))) == 0

    text = "Vos demandes du lundi soir se chevauchent : pouvez-vous en parler ?"
    data = {
        "organisation_ids": [str(restos.id), str(epis.id)],
        "body": text,
        "resource_id": str(hall.id),
    }
    response = client.post(f"/saisons/{season.id}/message", data=data)
    assert response.status_code == 303
    received = sorted(m["To"] for m in mailbox.messages if text in m.get_content())
    assert received == ["epis@exemple.fr", "restos@exemple.fr"]
    assert f"/saisons/{season.id}" in mailbox.to("restos@exemple.fr").get_content()

    login_as(restos_coordinator)
    assert text in page_text(client.get(f"/saisons/{season.id}"))
    assert client.get(f"/saisons/{season.id}/message").status_code == 403
    assert client.post(f"/saisons/{season.id}/message", data=data).status_code == 403
    login_as(make_user(secours, role="coordinator"))
    assert text not in page_text(client.get(f"/saisons/{season.id}"))
