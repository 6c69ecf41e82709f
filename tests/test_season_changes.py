"""The season's plan after the first request: associations change and withdraw their requests,
the manager writes to those concerned, publishing tells each association once what it got."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from pole.db import db
from pole.events.models import Event
from pole.events.wording import Entry, journal_sentence
from pole.outbox.models import OutgoingMail
from pole.resources.models import Closure
from pole.seasons.models import Season, SeasonMessage, SeasonRequest
from pole.seasons.services import board as boards
from pole.seasons.services import messages, plan
from pole.seasons.services.publish import publish
from pole.seasons.services.queries import changeable_ids, messages_seen_by
from pole.timeutil import local_to_utc
from tests.factories import make_organisation, make_resource, make_user

NOW = datetime(2026, 8, 1, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 8, 20, 22, 0, tzinfo=UTC)
AFTER = datetime(2026, 8, 21, 8, 0, tzinfo=UTC)
CHRISTMAS = (date(2026, 12, 19), date(2027, 1, 3))
MONDAY, TUESDAY = 0, 1


@pytest.fixture()
def hall(app):
    return make_resource(name="Hall")


@pytest.fixture()
def manager(app):
    return make_user(is_manager=True)


@pytest.fixture()
def restos(app):
    return make_organisation(name="Restos du cœur")


@pytest.fixture()
def epis(app):
    return make_organisation(name="Les 4 Épis")


@pytest.fixture()
def season(hall, manager):
    data = plan.SeasonData("2026-2027", date(2026, 9, 1), date(2027, 6, 30), DEADLINE, (CHRISTMAS,))
    return plan.open_season(hall.site, data, manager, now=NOW)


def need(org, resource, start="18:00", end="20:00", days=(MONDAY,)):
    return plan.RequestData(
        org.id,
        resource.id,
        frozenset(days),
        time.fromisoformat(start),
        time.fromisoformat(end),
        date(2026, 12, 1),
        date(2027, 1, 31),
    )


def kinds_of(request: SeasonRequest) -> list[str]:
    return list(
        db.session.scalars(
            db.select(Event.kind)
            .where(Event.subject_type == "season_request", Event.subject_id == request.id)
            .order_by(Event.id)
        )
    )


# Changing and withdrawing ---------------------------------------------------------------------


def test_a_coordinator_changes_then_withdraws_a_request_and_the_record_keeps_each_step(
    season, hall, restos, manager
):
    coordinator = make_user(restos, role="coordinator")
    request = plan.submit_request(season, need(restos, hall), coordinator, now=NOW)
    plan.edit_request(request, need(restos, hall, start="17:00"), coordinator, now=NOW)
    assert (request.start_time, request.status) == ("17:00", "requested")
    plan.set_status(request, "accepted", "", manager, now=NOW)
    # Changed after the manager accepted it: it is asked again, to be decided again.
    plan.edit_request(request, need(restos, hall, start="16:00"), coordinator, now=NOW)
    assert request.status == "requested" and request.asked["start_time"] == "16:00"

    plan.withdraw_request(request, coordinator, now=NOW)
    kept = db.session.get(SeasonRequest, request.id)
    assert kept.status == "withdrawn" and kept.status_label == "Retirée"
    assert kinds_of(request) == [
        "season_request.submitted",
        "season_request.edited",
        "season_request.accepted",
        "season_request.edited",
        "season_request.withdrawn",
    ]
    event = db.session.scalars(db.select(Event).order_by(Event.id.desc())).first()
    assert event.organisation_id == restos.id and event.before["status"] == "requested"

    for change in (
        lambda: plan.edit_request(request, need(restos, hall), coordinator, now=NOW),
        lambda: plan.withdraw_request(request, coordinator, now=NOW),
        lambda: plan.set_status(request, "accepted", "", manager, now=NOW),
    ):
        with pytest.raises(plan.SeasonRefused) as refused:
            change()
        assert refused.value.has("withdrawn")
    assert changeable_ids(season, coordinator, NOW) == set()


def test_after_the_deadline_only_the_manager_changes_and_only_until_publication(
    season, hall, restos, manager
):
    coordinator = make_user(restos, role="coordinator")
    request = plan.submit_request(season, need(restos, hall), coordinator, now=NOW)
    assert changeable_ids(season, coordinator, NOW) == {request.id}
    assert changeable_ids(season, coordinator, AFTER) == set()
    with pytest.raises(plan.SeasonRefused) as refused:
        plan.withdraw_request(request, coordinator, now=AFTER)
    assert refused.value.has("deadline")
    with pytest.raises(plan.SeasonRefused) as refused:
        plan.edit_request(request, need(restos, hall, start="10:00"), coordinator, now=AFTER)
    assert refused.value.has("deadline")
    assert db.session.get(SeasonRequest, request.id).status == "requested"

    assert changeable_ids(season, manager, AFTER) == {request.id}
    plan.withdraw_request(request, manager, now=AFTER)
    publish(season, manager, now=AFTER)
    assert changeable_ids(season, manager, AFTER) == set()


def test_another_associations_coordinator_may_not_change_or_withdraw(season, hall, restos, epis):
    request = plan.submit_request(
        season, need(restos, hall), make_user(restos, role="coordinator"), now=NOW
    )
    stranger = make_user(epis, role="coordinator")
    with pytest.raises(plan.NotAllowed):
        plan.withdraw_request(request, stranger, now=NOW)
    with pytest.raises(plan.NotAllowed):
        plan.edit_request(request, need(restos, hall), stranger, now=NOW)
    # Nor move it to an association that is not theirs.
    own = make_user(restos, role="coordinator")
    with pytest.raises(plan.NotAllowed):
        plan.edit_request(request, need(epis, hall), own, now=NOW)
    assert db.session.get(SeasonRequest, request.id).organisation_id == restos.id
    assert changeable_ids(season, stranger, NOW) == set()


def test_a_withdrawn_request_clashes_with_nothing_is_not_published_nor_carried_over(
    season, hall, restos, epis, manager
):
    kept = plan.submit_request(
        season, need(restos, hall), make_user(restos, role="coordinator"), now=NOW
    )
    gone = plan.submit_request(
        season,
        need(epis, hall, start="19:00", end="21:00"),
        make_user(epis, "coordinator"),
        now=NOW,
    )
    plan.withdraw_request(gone, manager, now=NOW)
    (resource_board,) = boards.board(season, NOW)
    lines = {line.request.id: line for line in resource_board.lines}
    assert lines[kept.id].clashes_with == [] and lines[gone.id].clashes_with == []
    assert resource_board.pattern[MONDAY] == [lines[kept.id]]
    plan.set_status(kept, "accepted", "", manager, now=NOW)
    publish(season, manager, now=NOW)
    assert db.session.get(SeasonRequest, gone.id).series_id is None
    copy = plan.carry_over(season, manager, now=NOW)
    assert [r.organisation_id for r in copy.requests] == [restos.id]


def test_the_journal_says_a_season_change_in_french():
    entry = Entry(
        kind="season_request.withdrawn",
        at=NOW,
        tz=UTC,
        actor="Awa",
        after={"season": "2026-2027"},
        resource="Hall",
    )
    assert journal_sentence(entry).startswith(
        "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » retirée par Awa"
    )


# Writing to the associations concerned ---------------------------------------------------------


def test_the_manager_writes_about_a_clash_to_the_associations_concerned(
    season, hall, restos, epis, manager, mailbox
):
    secours = make_organisation(name="Secours populaire")
    restos_coordinator = make_user(restos, role="coordinator", email="restos@exemple.fr")
    epis_coordinator = make_user(epis, role="coordinator", email="epis@exemple.fr")
    secours_coordinator = make_user(secours, role="coordinator", email="secours@exemple.fr")
    a = plan.submit_request(season, need(restos, hall), restos_coordinator, now=NOW)
    plan.submit_request(season, need(epis, hall, start="19:00"), epis_coordinator, now=NOW)
    plan.submit_request(season, need(secours, hall, days=(TUESDAY,)), secours_coordinator, now=NOW)
    assert messages.concerned(season, request_id=a.id) == {restos.id, epis.id}
    assert messages.concerned(season, resource_id=hall.id) == {restos.id, epis.id, secours.id}

    data = messages.MessageData(
        frozenset({restos.id, epis.id}), "  Le lundi soir se chevauche : parlons-en.  ", hall.id
    )
    message = messages.write_to_associations(season, data, manager, now=NOW)

    assert sorted(m["To"] for m in mailbox.messages) == ["epis@exemple.fr", "restos@exemple.fr"]
    mail = mailbox.to("restos@exemple.fr")
    assert "Le lundi soir se chevauche : parlons-en." in mail.get_content()
    assert "2026-2027" in mail["Subject"]
    kinds = db.session.scalars(db.select(OutgoingMail.kind)).all()
    assert set(kinds) == {"notify_season"}
    events = db.session.scalars(db.select(Event).where(Event.kind == "season.message")).all()
    assert sorted(e.organisation_id for e in events) == sorted([restos.id, epis.id])
    assert {e.subject_id for e in events} == {message.id}

    assert messages_seen_by(season, restos_coordinator) == [message]
    assert messages_seen_by(season, make_user(epis)) == [message]  # volunteers read it too
    assert messages_seen_by(season, secours_coordinator) == []
    assert messages_seen_by(season, manager) == [message]


@pytest.mark.parametrize(
    ("recipients", "body", "field"),
    [
        ("restos", "   ", "body"),
        ("nobody", "Bonjour", "organisation_ids"),
        ("outsider", "Bonjour", "organisation_ids"),
    ],
)
def test_a_message_without_text_or_to_no_association_of_the_plan_is_refused(
    season, hall, restos, manager, recipients, body, field
):
    plan.submit_request(season, need(restos, hall), make_user(restos, "coordinator"), now=NOW)
    ids = {
        "restos": {restos.id},
        "nobody": set(),
        "outsider": {restos.id, make_organisation(name="Hors plan").id},
    }[recipients]
    data = messages.MessageData(frozenset(ids), body)
    with pytest.raises(plan.SeasonRefused) as refused:
        messages.write_to_associations(season, data, manager, now=NOW)
    assert field in {r.field for r in refused.value.reasons}
    assert db.session.scalar(db.select(db.func.count(SeasonMessage.id))) == 0
    assert db.session.scalar(db.select(db.func.count(OutgoingMail.id))) == 0


def test_only_the_manager_writes_to_the_associations(season, hall, restos):
    coordinator = make_user(restos, role="coordinator")
    plan.submit_request(season, need(restos, hall), coordinator, now=NOW)
    with pytest.raises(plan.NotAllowed):
        messages.write_to_associations(
            season, messages.MessageData(frozenset({restos.id}), "Bonjour"), coordinator, now=NOW
        )


# Publishing tells each association once --------------------------------------------------------


def test_publishing_three_requests_of_two_associations_writes_two_letters_and_none_to_the_manager(
    season, hall, restos, epis, manager, mailbox
):
    restos_coordinator = make_user(restos, role="coordinator", email="restos@exemple.fr")
    epis_coordinator = make_user(epis, role="coordinator", email="epis@exemple.fr")
    monday = plan.submit_request(season, need(restos, hall), restos_coordinator, now=NOW)
    tuesday = plan.submit_request(
        season, need(restos, hall, days=(TUESDAY,)), restos_coordinator, now=NOW
    )
    trimmed = plan.submit_request(
        season, need(epis, hall, start="10:00", end="13:00"), epis_coordinator, now=NOW
    )
    declined = plan.submit_request(
        season, need(epis, hall, start="19:00", end="21:00"), epis_coordinator, now=NOW
    )
    db.session.add(
        Closure(
            site_id=hall.site_id,
            start=local_to_utc(date(2027, 1, 18), time(0, 0), hall.site.tz),
            end=local_to_utc(date(2027, 1, 19), time(0, 0), hall.site.tz),
            reason="Travaux",
        )
    )
    db.session.commit()
    plan.set_status(monday, "accepted", "", manager, now=NOW)
    plan.set_status(tuesday, "accepted", "", manager, now=NOW)
    plan.edit_request(trimmed, need(epis, hall, start="10:00", end="12:00"), manager, now=NOW)
    plan.set_status(declined, "declined", "Le hall est pris le lundi soir.", manager, now=NOW)
    mailbox.clear()

    publish(season, manager, now=NOW)

    sent = mailbox.messages
    assert sorted(m["To"] for m in sent) == ["epis@exemple.fr", "restos@exemple.fr"]
    assert not any(manager.email in m["To"] for m in sent)
    restos_letter = mailbox.to("restos@exemple.fr").get_content()
    # December to January: 8 Mondays less 2 at Christmas and the closure; 9 Tuesdays less 2.
    assert "lundi, de 18:00 à 20:00" in restos_letter and ": 5 dates." in restos_letter
    assert "mardi, de 18:00 à 20:00" in restos_letter and ": 7 dates." in restos_letter
    assert "laissées de côté pour une fermeture : 18 janvier 2027." in restos_letter
    assert "du 19 décembre 2026 au 3 janvier 2027" in restos_letter
    epis_letter = mailbox.to("epis@exemple.fr").get_content()
    assert "de 10:00 à 12:00" in epis_letter
    assert "vous aviez demandé : Hall, lundi, de 10:00 à 13:00" in epis_letter
    assert "Non retenu" in epis_letter and "Motif : Le hall est pris le lundi soir." in epis_letter
    assert db.session.get(Season, season.id).status == "published"
