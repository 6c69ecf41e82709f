"""The door display: a room's day on a tablet, through a secret link the manager makes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole.db import db, utcnow
from pole.displays.models import DisplayLink
from pole.events.models import Event
from tests.factories import (
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(site, name="Hall d'accueil")  # open day and night
    manager = make_user(name="Gestion", is_manager=True)
    marie = make_user(restos, name="Marie")
    return restos, hall, manager, marie


def make_link(client, login_as, manager, hall) -> str:
    login_as(manager)
    response = client.post(f"/salles/{hall.id}/porte")
    assert response.status_code == 200
    match = re.search(r'value="(https?://[^"]+/porte/[^"]+)"', page_text(response))
    assert match
    return match[1].split("://", 1)[1].split("/", 1)[1]  # the path, for the test client


def test_the_door_shows_now_today_and_next_without_a_login_and_no_private_title(
    app, client, login_as, pole
):
    restos, hall, manager, _marie = pole
    now = utcnow()
    make_booking(hall, restos, now - timedelta(minutes=30), 2, title="Aide aux devoirs secrète")
    make_booking(
        hall, restos, now + timedelta(days=3), 1, title="Forum de l'emploi", is_public=True
    )
    path = make_link(client, login_as, manager, hall)
    anonymous = app.test_client()
    response = anonymous.get(f"/{path}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = page_text(response)
    now_part = text[text.index("En ce moment") : text.index("Aujourd’hui")]
    assert "Réservé — Restos du cœur" in now_part
    assert "secrète" not in text
    assert "Forum de l'emploi" in text[text.index("Ensuite") :]
    assert "<svg" in text and "<title>Réserver Hall" in text  # the QR code to book


def test_an_empty_room_says_free(app, client, login_as, pole):
    _restos, hall, manager, _marie = pole
    path = make_link(client, login_as, manager, hall)
    text = page_text(app.test_client().get(f"/{path}"))
    assert re.search(r'<p class="door-big">Libre</p>', text)


def test_the_link_is_stored_hashed_and_a_new_one_revokes_the_old(app, client, login_as, pole):
    _restos, hall, manager, _marie = pole
    first = make_link(client, login_as, manager, hall)
    secret = first.rsplit(".", 1)[1]
    rows = db.session.scalars(sa.select(DisplayLink)).all()
    assert len(rows) == 1 and secret not in rows[0].verifier_hash
    second = make_link(client, login_as, manager, hall)
    visitor = app.test_client()
    assert visitor.get(f"/{first}").status_code == 404
    assert visitor.get(f"/{second}").status_code == 200
    # Each change is in the record, who and which room, never the secret.
    events = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    kinds = [(e.kind, e.resource_id, e.actor_id) for e in events if "display" in e.kind]
    assert kinds == [
        ("display_link.created", hall.id, manager.id),
        ("display_link.revoked", hall.id, manager.id),
        ("display_link.created", hall.id, manager.id),
    ]
    assert all(secret not in str(e.data) for e in events)


def test_the_manager_revokes_the_link(app, client, login_as, pole):
    _restos, hall, manager, _marie = pole
    path = make_link(client, login_as, manager, hall)
    page = page_text(client.get(f"/salles/{hall.id}/porte"))
    assert "Un lien est actif" in page and path not in page  # shown once only
    response = client.post(f"/salles/{hall.id}/porte/revoquer")
    assert response.status_code == 303
    assert app.test_client().get(f"/{path}").status_code == 404
    assert "Aucun lien actif" in page_text(client.get(f"/salles/{hall.id}/porte"))


@pytest.mark.parametrize(
    "token", ["nothing", "abc.def", ".", "x" * 30 + ".y", "porte%2F..%2F"], ids=str
)
def test_unknown_or_malformed_links_are_404(client, pole, token):
    assert client.get(f"/porte/{token}").status_code == 404


def test_only_managers_make_or_revoke_door_links(client, login_as, pole):
    _restos, hall, _manager, marie = pole
    assert client.get(f"/salles/{hall.id}/porte").status_code in (302, 303)
    login_as(marie)
    assert client.get(f"/salles/{hall.id}/porte").status_code == 403
    assert client.post(f"/salles/{hall.id}/porte").status_code == 403
    assert client.post(f"/salles/{hall.id}/porte/revoquer").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DisplayLink)) == 0


def test_the_rooms_page_links_the_door_display_for_the_manager(client, login_as, pole):
    _restos, hall, manager, marie = pole
    login_as(marie)
    assert "Affichage de porte" not in page_text(client.get(f"/salles/{hall.id}"))
    login_as(manager)
    assert "Affichage de porte" in page_text(client.get(f"/salles/{hall.id}"))
