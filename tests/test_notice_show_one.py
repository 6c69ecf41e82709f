"""A person who hid several notices may put back just one: the page of her hidden notices has a
"Réafficher" form (plain POST, CSRF) beside each; the others stay hidden; a notice not written
for her is not found; the home page keeps their titles out of sight; both databases."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from pole.db import db
from pole.notices.models import NoticeDismissal
from tests.factories import database_snapshot, page_text
from tests.test_notice_dismissal import home, post_notice, two
from tests.test_noticeboard import building

__all__ = ["building", "two"]  # the fixtures this module uses


def hidden_ids(user) -> set[int]:  # noqa: ANN001
    db.session.rollback()
    query = sa.select(NoticeDismissal.notice_id).where(NoticeDismissal.user_id == user.id)
    return set(db.session.scalars(query))


def test_the_hidden_notices_page_has_a_form_for_each(client, login_as, building, two):
    login_as(building["alice"])
    client.post("/annonces/masquer", data={"notice_id": [n.id for n in two]})
    board = home(client)
    assert "2 annonces masquées." in board and 'href="/annonces/masquees"' in board
    page = client.get("/annonces/masquees")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for notice in two:
        form = re.search(
            rf'<form method="post" action="/annonces/{notice.id}/reafficher".*?</form>',
            text,
            re.DOTALL,
        )
        assert form is not None and 'name="csrf_token"' in form[0]
        assert f"l'annonce « {notice.title} »" in html.unescape(form[0])
    assert "Tout réafficher" in text


def test_showing_one_notice_again_leaves_the_others_hidden(client, login_as, building, two):
    collecte, reunion = two
    alice = building["alice"]
    login_as(alice)
    client.post("/annonces/masquer", data={"notice_id": [collecte.id, reunion.id]})

    response = client.post(f"/annonces/{collecte.id}/reafficher")

    assert response.status_code == 303 and response.location.endswith("/annonces/masquees")
    page = page_text(client.get(response.location))
    assert "Annonce « Collecte samedi » de nouveau affichée sur votre page d'accueil." in page
    assert "Réunion des bénévoles" in page and "l'annonce « Collecte samedi »" not in page
    board = home(client)
    assert "Texte de Collecte samedi" in board and "Texte de Réunion des bénévoles" not in board
    assert "1 annonce masquée." in board
    assert hidden_ids(alice) == {reunion.id}

    last = client.post(f"/annonces/{reunion.id}/reafficher")  # the last one: back home
    assert last.status_code == 303 and last.location.endswith("/#noticeboard")
    assert hidden_ids(alice) == set()
    again = client.post(f"/annonces/{reunion.id}/reafficher")  # twice (another tab)
    assert again.status_code == 303
    assert "Cette annonce n'était pas masquée." in home(client)


def test_a_notice_not_written_for_her_is_not_found_and_csrf_is_needed(client, login_as, building):
    b = building
    mine = post_notice(b, "Collecte samedi")
    other = post_notice(b, "Pour l'épicerie", to_all=False, organisation=b["epicerie"])
    login_as(b["chloe"])
    client.post(f"/annonces/{other.id}/masquer")  # Chloé hides the Épicerie's notice
    login_as(b["alice"])
    client.post(f"/annonces/{mine.id}/masquer")
    assert "Pour l'épicerie" not in page_text(client.get("/annonces/masquees"))
    before = database_snapshot()
    assert client.post(f"/annonces/{other.id}/reafficher").status_code == 404
    assert client.post("/annonces/999999/reafficher").status_code == 404
    assert client.post(f"/annonces/{mine.id}/reafficher", csrf=False).status_code == 400
    assert database_snapshot() == before
    assert hidden_ids(b["chloe"]) == {other.id}
