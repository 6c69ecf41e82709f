"""Each person hides the notices she has read from her home page ("Masquer", "Tout masquer")
and may put them back; the notice stays for everyone else, on its author's list and in the
journal. Plain forms and htmx alike, CSRF, 404 for a notice not written for her; both
databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pole.db import db, utcnow
from pole.notices import services
from pole.notices.models import NoticeDismissal
from tests.concurrency import race
from tests.factories import database_snapshot, page_text
from tests.test_noticeboard import building

__all__ = ["building"]  # the fixture this module uses
HTMX = {"HX-Request": "true"}


def post_notice(b, title, to_all=True, organisation=None):  # noqa: ANN001, ANN201
    now = utcnow()
    until = services.today(now) + timedelta(days=3)
    ids = frozenset([organisation.id]) if organisation is not None else frozenset()
    data = services.NoticeData(title, f"Texte de {title}", until, to_all, ids)
    return services.post(data, b["manager"], now=now)


def home(client) -> str:  # noqa: ANN001
    return page_text(client.get("/"))


@pytest.fixture()
def two(building) -> list:  # noqa: ANN001
    """Two notices to all organisations: "Collecte samedi", then "Réunion des bénévoles"."""
    return [
        post_notice(building, "Collecte samedi"),
        post_notice(building, "Réunion des bénévoles"),
    ]


def test_a_volunteer_hides_a_notice_and_it_stays_for_the_others_and_in_the_record(
    client, login_as, building, two
):
    b, collecte = building, two[0]
    login_as(b["alice"])
    assert "Collecte samedi" in home(client)

    response = client.post(f"/annonces/{collecte.id}/masquer")

    assert response.status_code == 303 and response.location.endswith("/#noticeboard")
    page = home(client)
    assert "Annonce « Collecte samedi » masquée de votre page d'accueil." in page  # the flash
    assert "Texte de Collecte samedi" not in page and "Texte de Réunion des bénévoles" in page
    assert "1 annonce masquée." in page and "Réafficher" in page
    login_as(b["chloe"])
    assert "Collecte samedi" in home(client)
    login_as(b["manager"])
    assert "Collecte samedi" in page_text(client.get("/annonces"))
    assert "Collecte samedi" in page_text(client.get("/journal"))


def test_with_htmx_the_board_comes_back_alone_with_what_was_done_said_and_focused(
    client, login_as, building, two
):
    b, collecte = building, two[0]
    login_as(b["alice"])

    response = client.post(f"/annonces/{collecte.id}/masquer", headers=HTMX)

    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    part = page_text(response)
    assert part.lstrip().startswith('<div id="noticeboard">') and "<html" not in part
    assert 'role="status" tabindex="-1" autofocus>Annonce « Collecte samedi » masquée' in part
    assert "Réunion des bénévoles" in part and "Texte de Collecte samedi" not in part
    # The full page said nothing: the words were for this answer only.
    assert "masquée de votre page d'accueil" not in home(client)


def test_hide_all_hides_what_the_page_showed_not_what_came_since(client, login_as, building, two):
    b, shown = building, two
    login_as(b["alice"])
    page = client.get("/").get_data(as_text=True)
    assert page.count('name="notice_id"') == 2 and "Tout masquer" in page
    post_notice(b, "Nouvelle annonce")  # posted while her page was open

    response = client.post("/annonces/masquer", data={"notice_id": [n.id for n in shown]})

    assert response.status_code == 303
    page = home(client)
    assert "Collecte samedi" not in page and "Réunion des bénévoles" not in page
    assert "Nouvelle annonce" in page and "2 annonces masquées." in page


def test_show_again_puts_the_hidden_notices_back(client, login_as, building, two):
    b, notices = building, two
    login_as(b["alice"])
    client.post("/annonces/masquer", data={"notice_id": [n.id for n in notices]})
    assert "Collecte samedi" not in home(client)

    response = client.post("/annonces/reafficher", headers=HTMX)

    part = page_text(response)
    assert "2 annonces de nouveau affichées" in part and "Collecte samedi" in part
    assert "annonce masquée" not in home(client) and "Réunion des bénévoles" in home(client)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeDismissal)) == 0


@pytest.mark.parametrize(
    "path",
    ["/annonces/{other}/masquer", "/annonces/999999/masquer"],
    ids=["another-associations-notice", "no-such-notice"],
)
def test_a_notice_not_written_for_her_is_not_found(client, login_as, building, path):
    b = building
    mine = post_notice(b, "Collecte samedi")
    other = post_notice(b, "Pour l'épicerie", to_all=False, organisation=b["epicerie"])
    login_as(b["alice"])
    before = database_snapshot()
    assert client.post(path.format(other=other.id)).status_code == 404
    both = {"notice_id": [mine.id, other.id]}
    assert client.post("/annonces/masquer", data=both).status_code == 404
    assert database_snapshot() == before


def test_hiding_needs_a_session_and_a_csrf_token(client, login_as, building):
    notice = post_notice(building, "Collecte samedi")
    anonymous = client.post(f"/annonces/{notice.id}/masquer")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location
    login_as(building["alice"])
    before = database_snapshot()
    assert client.post(f"/annonces/{notice.id}/masquer", csrf=False).status_code == 400
    assert database_snapshot() == before


@pytest.mark.concurrency
def test_hiding_from_two_tabs_at_once_hides_once(app, building):
    notice = post_notice(building, "Collecte samedi")
    alice_id, notice_id = building["alice"].id, notice.id

    def hide(_: int) -> int:
        from pole.auth.models import User

        return len(services.hide(db.session.get(User, alice_id), [notice_id]))

    assert race(app, hide, (), n=4) == [1, 1, 1, 1]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeDismissal)) == 1
