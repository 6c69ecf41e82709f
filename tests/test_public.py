"""The pôle's public page: the building, who does what and when, public events; no private
booking ever; the same for everyone, cacheable; presentations written by coordinators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole.bookings.models import LONGEST_BOOKING
from pole.db import db, utcnow, write_transaction
from pole.events.models import Event
from pole.organisations.models import Organisation
from pole.resources.models import Closure
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_resource,
    make_user,
    page_text,
)


@pytest.fixture()
def world(app):
    hall = make_resource(name="Grand hall", opening_hours={"2": [[840, 1080]], "4": [[540, 720]]})
    site = hall.site
    with write_transaction():
        site = db.session.merge(site)
        site.address = "12 rue des Ponts, Andrézieux-Bouthéon"
        site.directions = "Bus ligne 3, arrêt Mairie."
    epicerie = make_organisation(
        name="Épicerie solidaire",
        public_shown=True,
        public_offer="Épicerie à petits prix",
        public_hours="épicerie ouverte mercredi et vendredi 14:00–18:00",
        public_contact="04 77 00 00 00",
    )
    hidden = make_organisation(name="Association discrète", public_offer="Ne doit pas paraître")
    soon = utcnow() + timedelta(days=3)
    make_booking(hall, epicerie, soon, 2, title="Goûter de Noël", is_public=True)
    make_booking(hall, epicerie, soon + timedelta(hours=3), 1, title="Réunion du bureau")
    make_booking(
        hall,
        epicerie,
        soon + timedelta(days=1),
        1,
        title="Atelier en attente",
        is_public=True,
        status="pending",
    )
    make_booking(
        hall,
        epicerie,
        soon + timedelta(days=2),
        1,
        title="Atelier annulé",
        is_public=True,
        status="cancelled",
    )
    with write_transaction():
        db.session.add(
            Closure(
                site_id=site.id,
                start=soon + timedelta(days=5),
                end=soon + timedelta(days=6),
                reason="Bureau de vote",
            )
        )
    return {"epicerie": epicerie, "hidden": hidden, "hall": hall}


def test_a_visitor_reads_the_building_the_organisations_and_public_events(world, client):
    response = client.get("/le-pole/")
    page = page_text(response)
    assert response.status_code == 200
    assert "12 rue des Ponts" in page and "Bus ligne 3" in page
    assert "14:00 – 18:00" in page and "Dimanche" in page
    assert "Épicerie solidaire" in page and "mercredi et vendredi 14:00–18:00" in page
    assert "Bureau de vote" in page
    assert "Goûter de Noël" in page


def test_the_public_page_never_shows_a_private_pending_or_cancelled_booking(world, client):
    page = page_text(client.get("/le-pole/"))
    for private in ("Réunion du bureau", "Atelier en attente", "Atelier annulé"):
        assert private not in page
    assert "Association discrète" not in page and "Ne doit pas paraître" not in page


def test_a_public_event_still_running_shows_one_that_ended_does_not(world, client):
    """The page reads events on an index range bounded below by the longest a booking can
    last: one that began almost that long ago and has not ended is still there."""
    now = utcnow()
    longest = LONGEST_BOOKING - timedelta(minutes=1)
    hall, epicerie = world["hall"], world["epicerie"]
    make_booking(hall, epicerie, now - longest + timedelta(hours=1), end=now + timedelta(hours=1),
                 title="Exposition du mois", is_public=True)  # fmt: skip
    garden = make_resource(hall.site, name="Jardin")
    make_booking(garden, epicerie, now - timedelta(days=2), end=now - timedelta(hours=1),
                 title="Braderie finie", is_public=True)  # fmt: skip
    page = page_text(client.get("/le-pole/"))
    assert "Exposition du mois" in page
    assert "Braderie finie" not in page


def test_the_public_page_works_without_script_and_is_the_same_for_everyone(world, client, login_as):
    response = client.get("/le-pole/")
    assert "<script" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in response.headers
    member = login_as(make_user(world["epicerie"], role="coordinator"))
    assert member.get("/le-pole/").data == response.data


def test_an_unchanged_public_page_answers_304(world, client):
    first = client.get("/le-pole/")
    etag = first.headers["ETag"]
    again = client.get("/le-pole/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    with write_transaction():
        db.session.get(Organisation, world["epicerie"].id).public_hours = "mardi 9:00–12:00"
    changed = client.get("/le-pole/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_partners_print_who_does_what_and_when(world, client):
    response = client.get("/le-pole/qui-fait-quoi")
    page = page_text(response)
    assert response.status_code == 200 and "ETag" in response.headers
    assert "Qui fait quoi, quand" in page and "Épicerie à petits prix" in page
    assert "Association discrète" not in page and "Réunion du bureau" not in page


def test_a_coordinator_writes_her_organisations_presentation_but_not_who_appears(world, login_as):
    hidden = world["hidden"]
    client = login_as(make_user(hidden, role="coordinator"))
    assert "public_shown" not in client.get(f"/le-pole/organisations/{hidden.id}").get_data(
        as_text=True
    )
    response = client.post(
        f"/le-pole/organisations/{hidden.id}",
        data={
            "public_offer": "Vestiaire",
            "public_hours": "lundi 14:00–17:00",
            "public_shown": "y",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    saved = db.session.get(Organisation, hidden.id)
    assert (saved.public_offer, saved.public_hours, saved.public_shown) == (
        "Vestiaire",
        "lundi 14:00–17:00",
        False,
    )


def test_the_manager_decides_who_appears(world, login_as, client):
    manager_user = make_user(is_manager=True)
    manager = login_as(manager_user)
    response = manager.post(
        f"/le-pole/organisations/{world['hidden'].id}",
        data={"public_offer": "Vestiaire", "public_shown": "y"},
    )
    assert response.status_code == 302
    client.delete_cookie("remember_token")
    assert "Vestiaire" in page_text(client.get("/le-pole/"))
    db.session.rollback()
    recorded = db.session.execute(
        db.select(Event.kind, Event.actor_id, Event.organisation_id).order_by(Event.id)
    ).all()
    manager_id, hidden_id = manager_user.id, world["hidden"].id
    assert [tuple(r) for r in recorded if r[0].startswith("public.")] == [
        ("public.presentation_changed", manager_id, hidden_id),
        ("public.shown", manager_id, hidden_id),
    ]


def test_a_presentation_is_written_by_its_own_coordinator(world, login_as):
    other = login_as(make_user(world["epicerie"], role="coordinator"))
    assert other.get(f"/le-pole/organisations/{world['hidden'].id}").status_code == 403
    volunteer = login_as(make_user(world["hidden"]))
    assert volunteer.get(f"/le-pole/organisations/{world['hidden'].id}").status_code == 403


def test_a_too_long_presentation_comes_back_with_its_error(world, login_as):
    client = login_as(make_user(world["hidden"], role="coordinator"))
    response = client.post(
        f"/le-pole/organisations/{world['hidden'].id}", data={"public_audience": "x" * 501}
    )
    assert response.status_code == 422
    assert errors_beside(response, "public_audience") == ["500 caractères au plus."]


def test_the_manager_says_how_to_get_there(world, login_as):
    manager = login_as(make_user(is_manager=True))
    response = manager.post("/le-pole/acces", data={"directions": "Tram T2, arrêt Pôle."})
    assert response.status_code == 302
    assert "Tram T2" in page_text(manager.get("/le-pole/"))
    assert (
        login_as(make_user(world["hidden"], role="coordinator")).get("/le-pole/acces").status_code
        == 403
    )


def test_a_304_renders_nothing_and_a_change_shows_at_once(world, client, monkeypatch):
    import pole.public.views as views

    first = client.get("/le-pole/")
    rendered = []
    monkeypatch.setattr(views, "render_template", lambda *a, **k: rendered.append(a) or "rendu")
    again = client.get("/le-pole/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and rendered == []
    assert client.get("/le-pole/").data == first.data and rendered == []  # kept, same rows
    with write_transaction():
        db.session.get(Organisation, world["epicerie"].id).public_contact = "04 77 11 11 11"
    changed = client.get("/le-pole/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert len(rendered) == 1  # rendered again for the new rows


def test_the_public_page_reads_its_rows_in_one_statement(world, client):
    """The building's hours, its closures, the organisations and the events come in one
    round trip (besides the list of sites), for a 200 as for a 304."""
    seen: list[str] = []

    def statement(_conn, _cursor, text, *_args) -> None:  # noqa: ANN001
        seen.append(text)

    etag = client.get("/le-pole/").headers["ETag"]
    sa.event.listen(db.engine, "before_cursor_execute", statement)
    try:
        assert client.get("/le-pole/").status_code == 200
        assert client.get("/le-pole/", headers={"If-None-Match": etag}).status_code == 304
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statement)
    reads = [s for s in seen if "UNION ALL" in s]
    assert len(reads) == 2
    assert len(seen) <= 4  # per request: the list of sites and the page
