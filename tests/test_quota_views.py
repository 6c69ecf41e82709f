"""Quota screens over HTTP: the manager's pages, the booking form's line, refusals, Partage."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from pole.bookings.models import Booking
from pole.db import db
from pole.events.models import Event
from pole.quotas.models import Quota, ResourceGroup
from pole.timeutil import local_to_utc
from tests.factories import (
    errors_beside,
    make_booking,
    make_group,
    make_organisation,
    make_quota,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
HX = {"HX-Request": "true"}


def _today() -> date:
    return datetime.now(PARIS).date()


# A Monday three to four weeks ahead; quota messages name its month.
MONDAY = _today() + timedelta(days=21 - _today().weekday())
MONTH = format_date(MONDAY, "MMMM y", locale="fr")
THIS_MONTH = "ce mois-ci" if MONDAY.month == _today().month else "ce mois-là"


def at(day: date, hour: int) -> datetime:
    return local_to_utc(day, time(hour), PARIS)


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(site, name="Hall d'accueil", capacity=50)
    return site, restos, hall


@pytest.fixture()
def manager(app):
    return make_user(is_manager=True)


def booking_form(hall, org, hour: int, hours: int, **extra) -> dict:
    return {
        "resource_id": hall.id,
        "organisation_id": org.id,
        "title": "Distribution",
        "date": MONDAY.isoformat(),
        "start": f"{hour:02d}:00",
        "end": f"{hour + hours:02d}:00",
        **extra,
    }


def test_the_form_says_where_the_association_stands_and_refuses_past_the_quota(
    pole, client, login_as
):
    _, restos, hall = pole
    make_quota(resource=hall, maximum=6)
    make_booking(hall, restos, at(MONDAY, 8), hours=4)
    login_as(make_user(restos))
    form = page_text(client.get(f"/reservations/nouvelle?resource_id={hall.id}&date={MONDAY}"))
    assert "Restos du cœur : 4 h sur 6 h" in form
    response = client.post("/reservations", data=booking_form(hall, restos, 13, 3), headers=HX)
    assert response.status_code == 422
    assert errors_beside(response, "start") == [
        f"Restos du cœur : 4 h sur 6 h {THIS_MONTH}"
        f" dans « Hall d'accueil » ; cette réservation de 3 h dépasserait le quota ({MONTH})."
    ]
    assert "quota_override_note" not in response.get_data(as_text=True)
    assert client.post("/reservations", data=booking_form(hall, restos, 13, 2)).status_code == 303


def test_the_manager_is_offered_a_note_and_books_beyond_the_quota_with_it(
    pole, client, login_as, manager
):
    _, restos, hall = pole
    make_quota(resource=hall, maximum=2)
    login_as(manager)
    refused = client.post("/reservations", data=booking_form(hall, restos, 9, 4), headers=HX)
    assert refused.status_code == 422
    assert 'name="quota_override_note"' in refused.get_data(as_text=True)
    done = client.post(
        "/reservations",
        data=booking_form(hall, restos, 9, 4, quota_override_note="Collecte nationale"),
    )
    assert done.status_code == 303
    page = page_text(client.get(done.headers["Location"]))
    assert "Au-delà du quota" in page and "Collecte nationale" in page


def test_more_people_than_the_room_holds_is_refused_beside_the_field(pole, client, login_as):
    _, restos, hall = pole
    login_as(make_user(restos))
    response = client.post(
        "/reservations", data=booking_form(hall, restos, 9, 2, expected_people="51"), headers=HX
    )
    assert response.status_code == 422
    assert errors_beside(response, "expected_people") == [
        "Hall d'accueil accueille 50 personnes au plus (vous en attendez 51)."
    ]


def test_a_series_preview_lists_the_dates_past_the_quota(pole, client, login_as):
    _, restos, hall = pole
    make_quota(resource=hall, maximum=2, unit="bookings", period="week")
    login_as(make_user(restos))
    data = booking_form(hall, restos, 9, 1, repeat="y", freq="weekly", ends="count", count="6")
    data["weekdays"] = ["0", "1", "2"]
    page = page_text(client.post("/reservations", data=data, headers=HX))
    assert page.count("dépasserait le quota") == 2  # each week: the third day
    assert "0 réservation sur 2 réservations" in page


def test_the_manager_sets_edits_and_deletes_a_quota(pole, client, login_as, manager):
    _, restos, hall = pole
    login_as(manager)
    assert "Chaque association" in page_text(client.get("/quotas/nouveau"))
    bad = client.post(
        "/quotas/nouveau",
        data={"who": "kind:association", "what": "nope", "period": "season", "unit": "hours"},
    )
    assert bad.status_code == 422
    assert errors_beside(bad, "what") == ["Choisissez dans la liste."]
    assert errors_beside(bad, "maximum") == ["Indiquez le maximum."]
    assert errors_beside(bad, "season_start") == ["Indiquez le début."]
    good = {
        "who": f"org:{restos.id}",
        "what": f"resource:{hall.id}",
        "period": "month",
        "unit": "hours",
        "maximum": "20",
    }
    assert client.post("/quotas/nouveau", data=good).status_code == 303
    quota = db.session.scalar(sa.select(Quota))
    assert (quota.organisation_id, quota.resource_id, quota.maximum) == (restos.id, hall.id, 20)
    assert "20 h par mois" in page_text(client.get("/quotas"))
    client.post(f"/quotas/{quota.id}/modifier", data={**good, "maximum": "12"})
    db.session.expire_all()
    assert db.session.get(Quota, quota.id).maximum == 12
    assert client.post(f"/quotas/{quota.id}/supprimer").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Quota.id))) == 0
    # Each change is in the record, made by the manager (the refused form wrote nothing).
    assert recorded("quota.") == [
        ("quota.created", manager.id),
        ("quota.changed", manager.id),
        ("quota.deleted", manager.id),
    ]


def recorded(prefix: str) -> list[tuple[str, int]]:
    db.session.rollback()
    query = sa.select(Event.kind, Event.actor_id).where(Event.kind.startswith(prefix))
    return [tuple(row) for row in db.session.execute(query.order_by(Event.id))]


def test_the_manager_names_a_group_of_resources(pole, client, login_as, manager):
    site, _, hall = pole
    office = make_resource(site, name="Bureau 1")
    login_as(manager)
    data = {"name": "les deux bureaux", "members": [str(hall.id), str(office.id)]}
    assert client.post("/quotas/groupes/nouveau", data=data).status_code == 303
    again = client.post("/quotas/groupes/nouveau", data=data)
    assert again.status_code == 422
    assert errors_beside(again, "name") == ["Un groupe porte déjà ce nom."]
    empty = client.post("/quotas/groupes/nouveau", data={"name": "vide"})
    assert errors_beside(empty, "members") == ["Cochez au moins une ressource."]
    group = db.session.scalar(sa.select(ResourceGroup))
    make_quota(group=group)
    assert client.post(f"/quotas/groupes/{group.id}/supprimer").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Quota.id))) == 0
    assert recorded("resource_group.") == [
        ("resource_group.created", manager.id),
        ("resource_group.deleted", manager.id),
    ]
    assert recorded("quota.") == [("quota.deleted", manager.id)]


def test_quota_pages_are_the_managers(pole, client, login_as):
    _, restos, _ = pole
    login_as(make_user(restos, role="coordinator"))
    for path in ("/quotas", "/quotas/nouveau", "/quotas/groupes/nouveau"):
        assert client.get(path).status_code == 403
    assert client.post("/quotas/1/supprimer").status_code == 403


def test_the_sharing_page_shows_each_associations_hours(pole, client, login_as):
    site, restos, hall = pole
    secours = make_organisation(name="Secours populaire")
    make_quota(resource=hall, maximum=20)
    make_booking(hall, restos, at(MONDAY, 8), hours=3)
    make_booking(hall, secours, at(MONDAY, 13), hours=2, status="pending")
    make_group("les deux bureaux", make_resource(site, name="Bureau 1"))
    login_as(make_user(restos, role="coordinator"))
    page = page_text(client.get(f"/partage?month={MONDAY:%Y-%m}"))
    assert "Restos du cœur" in page and "Secours populaire" in page
    assert "3 h" in page and "2 h" in page and "20 h par mois" in page
    assert "Groupe : les deux bureaux" in page
    assert client.get("/partage?month=2026-13").status_code == 422
    assert client.get("/partage?first_day=2026-12-01&last_day=2026-12-07").status_code == 200


def test_the_sharing_page_is_not_for_volunteers(pole, client, login_as):
    _, restos, _ = pole
    login_as(make_user(restos))
    assert client.get("/partage").status_code == 403


def test_the_sharing_page_counts_a_late_cancellation(pole, client, login_as, manager):
    _, restos, hall = pole
    late = make_booking(hall, restos, at(MONDAY, 8), hours=2, status="cancelled")
    db.session.execute(
        sa.update(Booking).where(Booking.id == late.id).values(updated_at=at(MONDAY, 7))
    )
    db.session.commit()
    login_as(manager)
    page = page_text(client.get(f"/partage?month={MONDAY:%Y-%m}"))
    assert 'data-label="Annulées tard">2 h<' in page


def test_the_standing_line_follows_the_organisation_and_the_date(pole, client, login_as):
    _, restos, hall = pole
    stranger = make_organisation(name="Secours catholique")
    make_quota(resource=hall, maximum=6)
    make_booking(hall, restos, at(MONDAY, 8), hours=4)
    login_as(make_user(restos))
    ask = f"/quotas/situation?resource_id={hall.id}&date={MONDAY}&organisation_id="
    assert "Restos du cœur : 4 h sur 6 h" in page_text(client.get(ask + str(restos.id)))
    assert "sur 6 h" not in page_text(client.get(ask + str(stranger.id)))  # not theirs
    later = MONDAY + timedelta(days=45)
    line = page_text(client.get(ask.replace(str(MONDAY), str(later)) + str(restos.id)))
    assert "Restos du cœur : 0 h sur 6 h ce mois-là" in line
    assert client.get("/quotas/situation?resource_id=x&date=nope").status_code == 200


def test_the_manager_approves_a_request_beyond_a_quota_only_with_a_note(
    pole, client, login_as, manager, mailbox
):
    site, restos, _ = pole
    kitchen = make_resource(site, name="Cuisine", requires_approval=True)
    make_booking(kitchen, restos, at(MONDAY, 8), hours=4)
    request = make_booking(kitchen, restos, at(MONDAY, 13), hours=4, status="pending")
    make_quota(resource=kitchen, maximum=6)  # set after the request was made
    login_as(manager)
    refused = client.post(f"/gestion/demandes/{request.id}/valider", headers=HX)
    text = page_text(refused)
    assert "dépasserait le quota" in text
    assert '<details class="quota-override" open>' in text
    client.post(
        f"/gestion/demandes/{request.id}/valider", data={"quota_override_note": "Repas de Noël"}
    )
    db.session.expire_all()
    approved = db.session.get(Booking, request.id)
    assert (approved.status, approved.quota_override_note) == ("confirmed", "Repas de Noël")


def test_a_note_with_a_nul_character_is_no_500(pole, client, login_as, manager):
    site, restos, _ = pole
    kitchen = make_resource(site, name="Cuisine", requires_approval=True)
    request = make_booking(kitchen, restos, at(MONDAY, 13), hours=4, status="pending")
    make_quota(resource=kitchen, maximum=2)
    login_as(manager)
    answer = client.post(
        f"/gestion/demandes/{request.id}/valider", data={"quota_override_note": "a\x00b"}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, request.id).quota_override_note == "ab"
