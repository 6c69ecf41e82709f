"""The noticeboard: the manager posts to all organisations or some, a coordinator to her
association's members; the notice shows on their home page until its last day, is recorded
and mailed (the real SMTP capture); its author sees and withdraws it. Both databases."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from pole.db import db, utcnow
from pole.events.models import Event
from pole.notices import rules, services
from pole.notices.models import Notice
from pole.outbox.models import OutgoingMail
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_organisation,
    make_user,
    page_text,
)

DAY = date(2031, 3, 6)


@pytest.mark.parametrize(
    ("until", "codes"),
    [(DAY, []), (DAY - timedelta(days=1), ["past"]), (DAY + timedelta(days=400), ["too_far"])],
    ids=["today", "yesterday", "beyond-a-year"],
)
def test_a_notice_stays_through_a_day_to_come(until, codes):
    assert [r.code for r in rules.check_notice(until, DAY)] == codes


@pytest.mark.parametrize(
    ("manager", "to_all", "chosen", "allowed"),
    [
        (True, True, set(), True),
        (True, False, {1, 2}, True),
        (False, False, {1}, True),
        (False, False, {1, 2}, False),  # one of them is not hers
        (False, True, set(), False),  # all organisations: the manager's alone
        (False, False, set(), False),
    ],
)
def test_who_may_write_to_whom(manager, to_all, chosen, allowed):
    assert rules.may_post_to(manager, to_all, chosen, {1}) is allowed


@pytest.fixture()
def building(app):
    restos, epicerie = make_organisation(name="Restos du cœur"), make_organisation(name="Épicerie")
    return {
        "restos": restos,
        "epicerie": epicerie,
        "manager": make_user(is_manager=True, name="Nadia Gestion"),
        "colette": make_user(restos, role="coordinator", name="Colette"),
        "alice": make_user(restos, name="Alice"),
        "chloe": make_user(epicerie, name="Chloé"),
    }


def notice_form(**fields) -> dict:
    today = utcnow().date()
    return {"title": "Fermeture le 24", "text": "Le pôle ferme à midi.\nBonnes fêtes !",
            "until": (today + timedelta(days=5)).isoformat(), **fields}  # fmt: skip


def test_the_manager_posts_to_one_association_its_members_see_it_and_get_it(
    client, login_as, building, mailbox
):
    login_as(building["manager"])
    posted = client.post("/annonces", data=notice_form(organisation_ids=building["epicerie"].id))
    assert posted.status_code == 303
    login_as(building["chloe"])
    assert "Fermeture le 24" in page_text(client.get("/"))
    login_as(building["alice"])
    assert "Fermeture le 24" not in page_text(client.get("/"))
    mail = mailbox.to(building["chloe"].email)
    assert mail["Subject"] == "Annonce : Fermeture le 24"
    assert "Le pôle ferme à midi." in mail.get_content()
    db.session.rollback()
    kinds = [m.kind for m in db.session.scalars(sa.select(OutgoingMail))]
    assert kinds == ["notify_notice"]  # Chloé alone: Alice's association was not chosen
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "notice.posted")).all()
    assert event.actor_id == building["manager"].id


def test_a_notice_to_all_reaches_every_organisation(client, login_as, building, mailbox):
    login_as(building["manager"])
    client.post("/annonces", data=notice_form(to_all="y"))
    for person in ("alice", "chloe", "colette"):
        login_as(building[person])
        assert "Fermeture le 24" in page_text(client.get("/"))
        assert "Le pôle ferme à midi." in mailbox.to(building[person].email).get_content()


def test_a_coordinator_writes_to_her_members_only(client, login_as, building, mailbox):
    login_as(building["colette"])
    assert client.get("/annonces").status_code == 200
    before = database_snapshot()
    other = client.post("/annonces", data=notice_form(organisation_ids=building["epicerie"].id))
    assert other.status_code == 403
    assert client.post("/annonces", data=notice_form(to_all="y")).status_code == 403
    assert database_snapshot() == before
    mine = client.post("/annonces", data=notice_form(organisation_ids=building["restos"].id))
    assert mine.status_code == 303
    assert "Le pôle ferme à midi." in mailbox.to(building["alice"].email).get_content()
    login_as(building["alice"])  # a volunteer writes no notice
    assert client.get("/annonces").status_code == 403
    assert client.post("/annonces", data=notice_form()).status_code == 403


def test_bad_notices_come_back_with_their_errors_and_change_nothing(client, login_as, building):
    login_as(building["manager"])
    before = database_snapshot()
    yesterday = (utcnow().date() - timedelta(days=2)).isoformat()
    past = client.post("/annonces", data=notice_form(until=yesterday, to_all="y"))
    assert past.status_code == 422
    assert errors_beside(past, "until") == ["Choisissez un jour qui n'est pas encore passé."]
    empty = client.post("/annonces", data=notice_form(title=" ", until="31/02/2031"))
    assert empty.status_code == 422
    assert errors_beside(empty, "title") == ["Indiquez un titre."]
    assert errors_beside(empty, "until")
    nobody = client.post("/annonces", data=notice_form())
    assert nobody.status_code == 422 and "Choisissez à qui" in page_text(nobody)
    assert database_snapshot() == before


def test_a_notice_expires_after_its_last_day(building):
    now = utcnow()
    data = services.NoticeData("Collecte", "Samedi", services.today(now), True, frozenset())
    services.post(data, building["manager"], now=now)
    assert [n.title for n in services.board_for(building["alice"], now)] == ["Collecte"]
    assert services.board_for(building["alice"], now + timedelta(days=2)) == []


def test_the_author_withdraws_her_notice_and_nobody_else_can(client, login_as, building):
    login_as(building["colette"])
    client.post("/annonces", data=notice_form(organisation_ids=building["restos"].id))
    notice = db.session.scalar(sa.select(Notice))
    other = make_user(building["epicerie"], role="coordinator")
    login_as(other)
    assert client.post(f"/annonces/{notice.id}/retirer").status_code == 403
    assert client.post("/annonces/999999/retirer").status_code == 404
    login_as(building["colette"])
    listed = page_text(client.get("/annonces"))
    assert "Fermeture le 24" in listed and "affichée jusqu" in listed
    assert client.post(f"/annonces/{notice.id}/retirer").status_code == 303
    assert "retirée" in page_text(client.get("/annonces"))
    login_as(building["alice"])
    assert "Fermeture le 24" not in page_text(client.get("/"))


def test_a_coordinator_of_one_association_finds_it_ticked(client, login_as, building):
    login_as(building["colette"])
    page = client.get("/annonces").get_data(as_text=True)
    [box] = re.findall(r"<input[^>]*organisation_ids[^>]*>", page)
    assert "checked" in box and f'value="{building["restos"].id}"' in box
