"""Every member gets her own link to her association's calendar, with no gatekeeper."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pole.db import db, utcnow
from pole.events.models import Event
from pole.feeds import cache as feed_cache
from pole.feeds.models import FeedToken
from pole.organisations import services as organisations
from pole.organisations.models import Membership
from tests.factories import make_booking, make_organisation, make_resource, make_user, page_text

LINK = re.compile(r'value="http://localhost(/calendrier/[^"]+\.ics)"')


@pytest.fixture()
def association(app):
    feed_cache.clear_cache()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(restos, role="coordinator", name="Bernard")
    monique = make_user(restos, name="Monique")
    hall = make_resource(name="Hall d'accueil")
    make_booking(hall, restos, utcnow() + timedelta(days=2), title="Distribution")
    return restos, coordinator, monique


def get_link(client, organisation_id: int) -> tuple[str, str]:  # noqa: ANN001
    """Ask for my own link to this organisation's calendar: the path and the page."""
    response = client.post(f"/agendas/member/{organisation_id}/lien")
    assert response.status_code == 200
    text = page_text(response)
    return LINK.search(text).group(1), text


def test_a_volunteer_gets_her_own_link_with_a_qr_code_and_the_steps(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    assert "Obtenir mon lien" in page_text(client.get("/agendas"))

    path, page = get_link(client, restos.id)

    calendar = client.get(path)
    assert calendar.status_code == 200
    assert "Distribution" in calendar.get_data(as_text=True)
    assert "Restos du cœur · Pôle" in calendar.get_data(as_text=True)
    assert re.search(r'role="img" aria-label="Code QR du lien de l\'agenda Restos du cœur"', page)
    assert "<svg" in page and "<script" not in page.split('class="feed-qr"')[1].split("</div>")[0]
    for step in ("S'abonner", "À partir de l'URL", "S'abonner à partir du web"):
        assert step in page
    assert f'href="webcal://localhost{path}"' in page
    # The link is hers: stored hashed, made by her, named in the association's history.
    token = db.session.scalar(db.select(FeedToken).where(FeedToken.kind == "member"))
    assert (token.user_id, token.organisation_id) == (monique.id, restos.id)
    assert path.rsplit(".", 2)[-2] not in token.verifier_hash
    made = db.select(Event).where(Event.kind == "feed_link.created")
    assert db.session.scalar(made.where(Event.organisation_id == restos.id))


def test_a_new_link_replaces_only_her_own(client, login_as, association):
    restos, coordinator, monique = association
    login_as(coordinator)
    bernard_path, _ = get_link(client, restos.id)
    login_as(monique)
    first, _ = get_link(client, restos.id)

    second, _ = get_link(client, restos.id)

    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get(bernard_path).status_code == 200


def test_she_revokes_her_link(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    path, _ = get_link(client, restos.id)

    page = page_text(client.post(f"/agendas/member/{restos.id}/revoquer"))

    assert client.get(path).status_code == 404
    assert "Vous n'avez pas encore de lien vers cet agenda." in page


def test_the_coordinator_sees_and_revokes_a_members_link(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    path, _ = get_link(client, restos.id)
    token = db.session.scalar(db.select(FeedToken).where(FeedToken.kind == "member"))

    login_as(coordinator)
    page = page_text(client.get("/agendas"))
    assert "Liens personnels des membres" in page and "Monique, depuis le" in page
    assert client.post(f"/agendas/liens/{token.id}/revoquer").status_code == 200

    assert client.get(path).status_code == 404


def test_nobody_else_revokes_or_makes_a_members_link(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    get_link(client, restos.id)
    token = db.session.scalar(db.select(FeedToken).where(FeedToken.kind == "member"))
    other = make_organisation()
    stranger = make_user(other, role="coordinator")

    login_as(stranger)

    assert client.post(f"/agendas/liens/{token.id}/revoquer").status_code == 403
    assert client.post(f"/agendas/member/{restos.id}/lien").status_code == 403
    assert client.post("/agendas/member/999999/lien").status_code == 404
    assert client.post("/agendas/liens/999999/revoquer").status_code == 404
    assert db.session.get(FeedToken, token.id).revoked_at is None


def test_her_link_ends_when_she_leaves_the_association(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    path, _ = get_link(client, restos.id)
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == monique.id))

    organisations.remove_member(membership, coordinator)

    assert client.get(path).status_code == 404


def test_her_link_ends_when_her_account_is_closed(client, login_as, association):
    restos, coordinator, monique = association
    login_as(monique)
    path, _ = get_link(client, restos.id)

    monique.is_active = False
    db.session.commit()

    assert client.get(path).status_code == 404
