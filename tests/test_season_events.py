"""The season's plan is in the record: opened, each request accepted, refused (with the
manager's word) or moved and trimmed on the board, the plan published (how many series for
each association), carried over. Each event is written in its change's transaction, on both
databases; a change that rolls back leaves none. The manager's journal shows them all; an
association reads its own decisions in its journal and as notices."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from pole.db import db
from pole.events import services as journal
from pole.events.models import Event
from pole.events.record import _listeners, listen
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services import plan
from pole.seasons.services.publish import publish
from tests.factories import make_organisation, make_resource, make_user
from tests.test_season_changes import DEADLINE, MONDAY, NOW, need

SOON = NOW + timedelta(minutes=5)


@pytest.fixture()
def world(app):
    hall = make_resource(name="Hall")
    restos = make_organisation(name="Restos du cœur")
    epis = make_organisation(name="Les 4 Épis")
    manager = make_user(is_manager=True, name="Nadia")
    awa = make_user(restos, role="coordinator", name="Awa")
    bob = make_user(epis, role="coordinator", name="Bob")
    data = plan.SeasonData("2026-2027", date(2026, 9, 1), date(2027, 6, 30), DEADLINE)
    season = plan.open_season(hall.site, data, manager, now=NOW)
    return season, hall, restos, epis, manager, awa, bob


def events(kind_prefix: str) -> list[Event]:
    db.session.rollback()  # what was committed, not what the session still holds
    query = db.select(Event).where(Event.kind.startswith(kind_prefix)).order_by(Event.id)
    return list(db.session.scalars(query))


def journal_lines(user) -> list[str]:  # noqa: ANN001
    db.session.rollback()
    return [line for _, line in journal.journal(user, journal.JournalFilters())[0]]


def notices(user) -> list[str]:  # noqa: ANN001
    db.session.rollback()
    return journal.notices_for(user, SOON)


def test_opening_a_season_is_recorded_for_the_manager_only(world):
    season, _, _, _, manager, awa, _ = world
    (opened,) = events("season.opened")
    assert (opened.subject_type, opened.subject_id, opened.actor_id) == (
        "season", season.id, manager.id)  # fmt: skip
    assert opened.organisation_id is None and opened.after["season"] == "2026-2027"
    assert any(line.startswith("Plan de la saison « 2026-2027 » ouvert (du 1 sept. au 30 juin")
               for line in journal_lines(manager))  # fmt: skip
    assert not any("ouvert" in line for line in notices(awa))


def test_the_managers_decisions_are_recorded_and_told_to_the_association(world):
    season, hall, restos, epis, manager, awa, bob = world
    asked = plan.submit_request(season, need(restos, hall), awa, now=NOW)
    other = plan.submit_request(season, need(epis, hall, days=(MONDAY + 1,)), bob, now=NOW)
    plan.set_status(asked, "accepted", "", manager, now=NOW)
    plan.set_status(asked, "accepted", "", manager, now=NOW)  # nothing new: no event
    plan.edit_request(asked, need(restos, hall, start="19:00"), manager, now=NOW)
    plan.set_status(other, "declined", "Le hall est pris le mardi.", manager, now=NOW)

    decided = [(e.kind, e.organisation_id) for e in events("season_request.")
               if e.actor_id == manager.id]  # fmt: skip
    assert decided == [
        ("season_request.accepted", restos.id),
        ("season_request.adjusted", restos.id),
        ("season_request.declined", epis.id),
    ]
    refusal = events("season_request.declined")[0]
    assert refusal.after["message"] == "Le hall est pris le mardi."
    assert refusal.before["status"] == "requested" and refusal.after["status"] == "declined"

    for_awa = notices(awa)
    assert any(line.startswith("Demande de créneau régulier (Hall) pour la saison « 2026-2027 » "
                               "déplacée (lundi, 19:00–20:00") for line in for_awa)  # fmt: skip
    assert not any("refusée" in line for line in for_awa + journal_lines(awa))
    refused = "pour la saison « 2026-2027 » refusée par Nadia"
    assert any(refused in line and line.endswith(": « Le hall est pris le mardi. »")
               for line in notices(bob))  # fmt: skip
    assert any(refused in line for line in journal_lines(bob))
    assert sum("acceptée" in line for line in journal_lines(manager)) == 2


def test_publishing_records_how_many_series_each_association_got(world):
    season, hall, restos, epis, manager, awa, bob = world
    for start in ("10:00", "14:00"):
        request = plan.submit_request(season, need(restos, hall, start=start, end=start[:2]
                                      + ":30"), awa, now=NOW)  # fmt: skip
        plan.set_status(request, "accepted", "", manager, now=NOW)
    refused = plan.submit_request(season, need(epis, hall), bob, now=NOW)
    plan.set_status(refused, "declined", "Complet.", manager, now=NOW)

    publish(season, manager, now=NOW)

    published = {e.organisation_id: e.after for e in events("season.published")}
    assert published == {
        restos.id: {"season": "2026-2027", "series": 2, "not_kept": 0},
        epis.id: {"season": "2026-2027", "series": 0, "not_kept": 1},
    }
    assert any(line.startswith("Plan de la saison « 2026-2027 » publié : 2 créneaux réguliers "
                               "accordés par Nadia") for line in notices(awa))  # fmt: skip
    assert any("publié : 0 créneau régulier accordé, 1 demande non retenue" in line
               for line in journal_lines(bob))  # fmt: skip
    assert sum("publié" in line for line in journal_lines(manager)) == 2


def test_a_plan_published_without_requests_and_carried_over_is_recorded(world):
    season, hall, restos, _, manager, awa, _ = world
    publish(season, manager, now=NOW)
    (published,) = events("season.published")
    assert published.organisation_id is None and published.after["series"] == 0

    copy = plan.carry_over(season, manager, now=NOW)
    (carried,) = events("season.carried_over")
    assert (carried.subject_type, carried.subject_id) == ("season", copy.id)
    assert carried.after == {"season": "2026-2027 (reconduite)", "from_season": "2026-2027",
                             "requests": 0}  # fmt: skip
    assert any(line.startswith("Saison « 2026-2027 » reconduite : plan « 2026-2027 (reconduite) »"
                               " ouvert avec 0 demande par Nadia") for line in journal_lines(
                                   manager))  # fmt: skip


def test_a_decision_or_a_publication_that_rolls_back_leaves_no_event(world):
    season, hall, restos, _, manager, awa, _ = world
    request = plan.submit_request(season, need(restos, hall), awa, now=NOW)

    @listen("season*")
    def fail(event: Event) -> None:
        if event.kind != "season_request.submitted":
            raise RuntimeError("the change fails after its event")

    try:
        with pytest.raises(RuntimeError):
            plan.set_status(request, "accepted", "", manager, now=NOW)
        plan_before = db.session.get(SeasonRequest, request.id)
        assert plan_before.status == "requested"
        db.session.rollback()
        with pytest.raises(RuntimeError):
            plan.edit_request(request, need(restos, hall, start="19:00"), manager, now=NOW)
        db.session.rollback()
        with pytest.raises(RuntimeError):
            publish(season, manager, now=NOW)
        db.session.rollback()
        with pytest.raises(RuntimeError):
            plan.carry_over(season, manager, now=NOW)
    finally:
        _listeners.remove(("season*", fail))
    assert [e.kind for e in events("season")] == ["season.opened", "season_request.submitted"]
    db.session.rollback()
    kept = db.session.get(SeasonRequest, request.id)
    assert (kept.status, kept.start_time) == ("requested", "18:00")
    assert db.session.get(Season, season.id).status == "open"
    assert db.session.scalar(sa.select(sa.func.count(Season.id))) == 1
