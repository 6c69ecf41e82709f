"""The season's letter and the manager's messages come as each coordinator chose for "Plan de
saison": each time or in the daily digest, never silenced (a decision about the association's
regular slots); both databases, the real SMTP capture."""

from __future__ import annotations

import icalendar
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db
from pole.notifications import services as choices
from pole.notifications.models import DigestItem, NotificationChoice
from pole.outbox.models import OutgoingMail
from pole.seasons.services import messages, plan
from pole.seasons.services.publish import publish
from tests.factories import make_user
from tests.test_season_services import NOW, epis, hall, manager, need, restos, season

__all__ = ["epis", "hall", "manager", "restos", "season"]  # the fixtures this module uses


def rows(model, **where) -> list:  # noqa: ANN001
    db.session.rollback()
    query = sa.select(model).filter_by(**where)
    return list(db.session.scalars(query))


def plan_with_two_coordinators(season, hall, restos, manager):  # noqa: ANN001, ANN201
    each = make_user(restos, role="coordinator", email="chaque@exemple.fr", name="Chaque")
    digest = make_user(restos, role="coordinator", email="resume@exemple.fr", name="Résumé")
    choices.save_choices(digest, {"season": "digest"}, NOW)
    request = plan.submit_request(season, need(restos, hall), each, now=NOW)
    plan.set_status(request, "accepted", "", manager, now=NOW)
    return each, digest


def test_the_published_letter_comes_each_time_or_in_the_digest_as_chosen(
    season, hall, restos, manager, mailbox
):
    each, digest = plan_with_two_coordinators(season, hall, restos, manager)

    publish(season, manager, now=NOW)

    [mail] = [m for m in mailbox.messages if "chaque@exemple.fr" in m["To"]]
    assert mail["Subject"] == "Saison « 2026-2027 » : vos créneaux"
    text = mail.get_content()
    assert text.startswith("Bonjour Chaque,") and "Accordé :" in text
    assert "« Plan de saison »" in text
    # A decision cannot be turned off: no one-click link, only the page of choices.
    assert mail["List-Unsubscribe"] is None
    assert "Choisir ce que vous recevez : http://localhost/compte/notifications" in text
    # The dates granted come as one invitation for the association's calendar.
    [ics] = [p for p in mail.walk() if p.get_filename() == "invitation.ics"]
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    dates = db.session.scalars(sa.select(Booking.id).where(Booking.status == "confirmed")).all()
    assert len(calendar.walk("VEVENT")) == len(dates) > 0
    assert rows(OutgoingMail, to="resume@exemple.fr") == []
    [kept] = rows(DigestItem, user_id=digest.id)
    assert kept.kind == "season" and "Accordé :" in kept.text


def test_a_message_of_the_manager_follows_the_same_choice_and_links_the_seasons_page(
    season, hall, restos, manager, mailbox
):
    each, digest = plan_with_two_coordinators(season, hall, restos, manager)
    data = messages.MessageData(frozenset({restos.id}), "Le lundi soir se chevauche.", hall.id)

    messages.write_to_associations(season, data, manager, now=NOW)

    text = mailbox.to("chaque@exemple.fr").get_content()
    assert "Le lundi soir se chevauche." in text
    assert f"page de la saison : http://localhost/saisons/{season.id}" in text
    [kept] = rows(DigestItem, user_id=digest.id)
    assert kept.kind == "season" and "Le lundi soir se chevauche." in kept.text
    assert [m.kind for m in rows(OutgoingMail)] == ["notify_season"]


def test_never_is_not_a_choice_for_the_season_letter(season, hall, restos, manager, mailbox):
    each, _ = plan_with_two_coordinators(season, hall, restos, manager)
    assert not choices.save_choices(each, {"season": "never"}, NOW)
    # A row written by other means (an old link, a hand edit) is not obeyed either.
    db.session.add(NotificationChoice(user_id=each.id, kind="season", choice="never"))
    db.session.commit()

    publish(season, manager, now=NOW)

    assert "vos créneaux" in mailbox.to("chaque@exemple.fr")["Subject"]


def test_only_coordinators_are_offered_the_season_choice(app, restos, login_as):
    coordinator = make_user(restos, role="coordinator")
    volunteer = make_user(restos)

    page = login_as(coordinator).get("/compte/notifications").get_data(as_text=True)
    assert "Plan de saison" in page and 'value="never"' in page
    start = page.index("Plan de saison")
    season_field = page[start : page.index("</fieldset>", start)]
    assert 'value="digest"' in season_field and 'value="never"' not in season_field

    page = login_as(volunteer).get("/compte/notifications").get_data(as_text=True)
    assert "Plan de saison" not in page
    # She may book an appointment: she chooses how she hears that its date is called off.
    assert "Rendez-vous de permanence" in page
