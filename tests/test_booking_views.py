"""The booking screens over HTTP: grids, the booking form, series, a booking's page, our list."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services
from pole.bookings.models import LONGEST_BOOKING, Booking, Series
from pole.bookings.recurrence import Recurrence
from pole.db import db, utcnow
from pole.organisations.models import Membership
from pole.timeutil import local_to_utc
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
HX = {"HX-Request": "true"}
DAYTIME = {str(day): [[8 * 60, 19 * 60]] for day in range(7)}


def _today() -> date:
    return datetime.now(PARIS).date()


# A Monday three to four weeks ahead: in the future and well within every horizon.
MONDAY = _today() + timedelta(days=21 - _today().weekday())
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


def spring_forward_day() -> date:
    """The next last Sunday of March, when 02:00–03:00 does not exist in Paris."""
    for year in (_today().year, _today().year + 1):
        day = date(year, 3, 31)
        day -= timedelta(days=(day.weekday() + 1) % 7)
        if day > _today():
            return day
    raise AssertionError("unreachable")


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


def booked(**where) -> list[Booking]:
    db.session.expire_all()
    query = sa.select(Booking).order_by(Booking.start)
    for name, value in where.items():
        query = query.where(getattr(Booking, name) == value)
    return list(db.session.scalars(query))


@pytest.fixture()
def pole(app):
    """The building: a hall, an office, a kitchen on approval, pooled tables; three orgs."""
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos", colour="#c53030")
    epicerie = make_organisation(name="Épicerie solidaire", short_name="Épicerie")
    caf = make_organisation(name="CAF de la Loire", short_name="CAF", kind="partner")
    hall = make_resource(
        site, name="Hall d'accueil", opening_hours=DAYTIME, allowed_kinds=["association", "ccas"]
    )
    office = make_resource(site, name="Bureau partagé", opening_hours=DAYTIME)
    kitchen = make_resource(
        site,
        name="Cuisine équipée",
        opening_hours=DAYTIME,
        requires_approval=True,
        buffer_minutes=30,
        allowed_kinds=["association", "ccas"],
    )
    tables = make_resource(
        site,
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table",
        unit_plural="tables",
        opening_hours=DAYTIME,
    )
    marie = make_user(restos, name="Marie Restos")
    monique = make_user(restos, name="Monique")
    db.session.add(Membership(user=monique, organisation=epicerie, role="volunteer"))
    db.session.commit()
    karim = make_user(caf, name="Karim CAF")
    return SimpleNamespace(**locals())


def form_for(pole, **fields) -> dict:
    data = {
        "resource_id": pole.hall.id,
        "organisation_id": pole.restos.id,
        "date": TUESDAY.isoformat(),
        "start": "10:00",
        "end": "12:00",
        "quantity": "1",
        "title": "Distribution",
    }
    data.update(fields)
    return data


# The day view ------------------------------------------------------------------------------


def test_day_view_shows_every_resource_side_by_side(client, pole):
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    for resource in (pole.hall, pole.office, pole.kitchen, pole.tables):
        assert resource.name in page
    assert "10 tables" in page


def test_visitors_see_public_titles_only_and_everything_else_as_reserved_by_whom(client, pole):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2, title="Distribution")
    make_booking(
        pole.office, pole.caf, at(TUESDAY, "14:00"), 1, title="Forum emploi", is_public=True
    )
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    assert "Réservé — Restos du cœur" in page
    assert "Distribution" not in page
    assert "Forum emploi (CAF)" in page
    assert "10:00–12:00" in page


def test_members_read_their_own_titles_but_not_other_organisations_private_ones(
    client, login_as, pole
):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2, title="Distribution")
    make_booking(pole.office, pole.caf, at(TUESDAY, "10:00"), 1, title="Dossier Dupont")
    login_as(pole.marie)
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    assert "Distribution (Restos)" in page
    assert "Dossier Dupont" not in page
    assert "Réservé — CAF de la Loire" in page


def test_pending_bookings_say_so_in_words(client, pole):
    make_booking(pole.kitchen, pole.restos, at(TUESDAY, "09:00"), 2, status="pending")
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    assert re.search(r'class="cell booking org-\d+ pending".*?en attente', page, re.S)


def test_cancelled_bookings_leave_the_grid(client, pole):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), title="Annulé", is_public=True)
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), title="Gone", status="cancelled")
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    assert "Annulé (Restos)" in page and "Gone" not in page


def test_free_cells_link_to_the_form_prefilled_with_resource_and_time(client, login_as, pole):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "11:00"), 2)
    login_as(pole.marie)
    page = page_text(client.get(f"/agenda?date={TUESDAY}"))
    # An hour by default, shortened to the free time before the next booking.
    assert (
        f'href="/reservations/nouvelle?resource_id={pole.hall.id}&date={TUESDAY}'
        f'&start=09:00&end=10:00"' in page
    )
    assert f"resource_id={pole.hall.id}&date={TUESDAY}&start=10:30&end=11:00" in page
    # Free cells open the form in place, below the grid.
    assert 'hx-boost:inherited="target:#booking-form swap:outerHTML push:false"' in page
    assert '<div id="booking-form"' in page


def test_past_days_offer_nothing_to_book(client, pole):
    page = client.get(f"/agenda?date={_today() - timedelta(days=2)}").get_data(as_text=True)
    assert 'class="slot"' not in page


def test_previous_next_and_today_swap_only_the_grid_and_keep_the_url(client, pole):
    page = client.get(f"/agenda?date={TUESDAY}").get_data(as_text=True)
    for day in (MONDAY, WEDNESDAY):
        link = f"/agenda?date={day}"
        assert f'href="{link}"' in page
        assert f'hx-get="{link}" hx-target="#day-grid" hx-swap="outerHTML" hx-push-url="true"' in (
            page
        )
    assert 'href="/agenda"' in page  # today
    # Without JavaScript, the date field is a plain GET form.
    assert re.search(r'<form class="agenda-jump" method="get" action="/agenda"', page)


def test_an_htmx_request_gets_only_the_grid_block(client, pole):
    full = client.get(f"/agenda?date={TUESDAY}")
    block = client.get(f"/agenda?date={TUESDAY}", headers=HX)
    assert "<html" in full.get_data(as_text=True)
    body = block.get_data(as_text=True).strip()
    assert body.startswith('<section id="day-grid"') and "<html" not in body
    assert body.endswith("</section>")
    assert "HX-Request" in block.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_a_history_restore_gets_the_whole_page(client, pole):
    headers = {**HX, "HX-History-Restore-Request": "true"}
    assert "<html" in client.get(f"/agenda?date={TUESDAY}", headers=headers).get_data(as_text=True)


def test_a_wrong_date_is_said_beside_the_date_field(client, pole):
    response = client.get("/agenda?date=2026-02-31")
    assert response.status_code == 400
    assert errors_beside(response, "day-grid-date") == ["Indiquez une date comme 14/03/2026."]


def test_the_day_view_runs_the_same_few_queries_however_many_bookings(app, client, pole):
    def queries_for_day() -> int:
        statements: list[str] = []

        def count(*_args) -> None:
            statements.append("query")

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/agenda?date={TUESDAY}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    make_booking(pole.hall, pole.restos, at(TUESDAY, "08:00"))
    few = queries_for_day()
    for hour in range(9, 18):
        make_booking(pole.hall, pole.restos, at(TUESDAY, f"{hour:02d}:00"))
        make_booking(pole.office, pole.caf, at(TUESDAY, f"{hour:02d}:00"))
        make_booking(pole.tables, pole.restos, at(TUESDAY, f"{hour:02d}:00"), quantity=2)
    assert queries_for_day() == few


# The week view -----------------------------------------------------------------------------


def test_week_view_shows_monday_to_sunday_of_the_asked_day(client, pole):
    make_booking(pole.hall, pole.restos, at(WEDNESDAY, "14:00"), 2, title="Atelier", is_public=True)
    page = page_text(client.get(f"/salles/{pole.hall.id}/semaine?date={WEDNESDAY}"))
    assert page.count('class="col-head') == 7
    assert "Atelier (Restos)" in page and "14:00–16:00" in page
    sunday = MONDAY + timedelta(days=6)
    assert f'href="/agenda?date={MONDAY}"' in page and f'href="/agenda?date={sunday}"' in page
    assert f"/salles/{pole.hall.id}/semaine?date={MONDAY + timedelta(days=7)}" in page


def test_week_view_block_and_cells(client, login_as, pole):
    login_as(pole.marie)
    response = client.get(f"/salles/{pole.hall.id}/semaine?date={MONDAY}", headers=HX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="week-grid"')
    assert 'hx-trigger="booking-changed from:body"' in body
    assert f"resource_id={pole.hall.id}&amp;date={WEDNESDAY}&amp;start=08:00&amp;end=09:00" in (
        body
    )
    assert "Vary" in response.headers


def test_the_resource_page_links_to_its_week(client, pole):
    page = client.get(f"/salles/{pole.hall.id}").get_data(as_text=True)
    assert f'href="/salles/{pole.hall.id}/semaine"' in page


def test_an_unknown_or_retired_resource_has_no_week(client, pole):
    assert client.get("/salles/999999/semaine").status_code == 404
    pole.office.is_active = False
    db.session.commit()
    assert client.get(f"/salles/{pole.office.id}/semaine").status_code == 404


# The booking form --------------------------------------------------------------------------


def test_booking_needs_to_be_logged_in(client, pole):
    response = client.get(f"/reservations/nouvelle?resource_id={pole.hall.id}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert client.post("/reservations", data=form_for(pole)).status_code == 302
    assert booked() == []


def test_the_form_is_prefilled_from_the_tapped_cell(client, login_as, pole):
    login_as(pole.marie)
    url = f"/reservations/nouvelle?resource_id={pole.hall.id}&date={TUESDAY}&start=10:00&end=11:00"
    response = client.get(url, headers=HX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="booking-form"')
    assert f'value="{TUESDAY}"' in body and 'value="10:00"' in body and 'value="11:00"' in body
    assert re.search(rf'<option selected value="{pole.hall.id}">', body)
    # Marie books for one organisation only: it is chosen, not asked.
    assert f'<input type="hidden" name="organisation_id" value="{pole.restos.id}">' in body
    # Focus moves to the form's heading once it is in place.
    assert re.search(r'<h2 id="booking-form-title" tabindex="-1" autofocus>', body)
    assert 'name="quantity"' not in body  # a room is booked whole


def test_the_organisation_list_holds_only_those_that_may_book_this_resource(client, login_as, pole):
    db.session.add(Membership(user=pole.karim, organisation=pole.epicerie, role="volunteer"))
    db.session.commit()
    login_as(pole.karim)
    hall = page_text(client.get(f"/reservations/nouvelle?resource_id={pole.hall.id}"))
    assert "Épicerie solidaire" in hall and "CAF de la Loire" not in hall  # hall: no partners
    office = page_text(client.get(f"/reservations/nouvelle?resource_id={pole.office.id}"))
    assert "Choisissez…" in office
    assert "Épicerie solidaire" in office and "CAF de la Loire" in office


def test_quantity_is_asked_for_pooled_equipment_only(client, login_as, pole):
    login_as(pole.marie)
    page = client.get(f"/reservations/nouvelle?resource_id={pole.tables.id}").get_data(as_text=True)
    assert 'name="quantity"' in page and "Il y en a 10 en tout." in page
    assert 'name="end_date"' in page  # loans may last several days


def test_a_resource_on_approval_says_the_booking_will_wait(client, login_as, pole):
    login_as(pole.marie)
    page = page_text(client.get(f"/reservations/nouvelle?resource_id={pole.kitchen.id}"))
    assert "en attente de validation" in page


def test_booking_a_free_slot_redirects_to_its_page_with_a_message(client, login_as, pole):
    login_as(pole.marie)
    response = client.post("/reservations", data=form_for(pole, description="Colis"))
    assert response.status_code == 303
    (booking,) = booked()
    assert response.headers["Location"].endswith(f"/reservations/{booking.id}")
    assert (booking.start, booking.end) == (at(TUESDAY, "10:00"), at(TUESDAY, "12:00"))
    assert (booking.title, booking.description, booking.status) == (
        "Distribution",
        "Colis",
        "confirmed",
    )
    assert booking.created_by_id == pole.marie.id
    page = page_text(client.get(response.headers["Location"]))
    assert "C'est réservé : Hall d'accueil" in page


def test_booking_through_htmx_confirms_in_place_and_refreshes_the_grid(client, login_as, pole):
    login_as(pole.marie)
    response = client.post("/reservations", data=form_for(pole), headers=HX)
    assert response.status_code == 200
    body = page_text(response)
    assert body.lstrip().startswith('<section id="booking-form"') and "C'est réservé" in body
    assert json.loads(response.headers["HX-Trigger"]) == {"booking-changed": {"target": "body"}}
    assert len(booked()) == 1


def test_an_end_at_midnight_means_the_following_midnight(client, login_as, pole):
    late = make_resource(pole.site, name="Chambre froide")  # open day and night
    login_as(pole.marie)
    data = form_for(pole, resource_id=late.id, start="22:00", end="00:00")
    assert client.post("/reservations", data=data).status_code == 303
    (booking,) = booked()
    assert booking.end == at(TUESDAY + timedelta(days=1), "00:00")


def test_a_taken_slot_is_refused_with_reasons_beside_the_fields_and_free_times(
    client, login_as, pole
):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2, title="Distribution")
    login_as(pole.marie)
    before = database_snapshot()
    response = client.post("/reservations", data=form_for(pole, start="11:00", end="12:00"))
    assert response.status_code == 422
    assert errors_beside(response, "start") == [
        "Ce créneau est déjà pris : Distribution (Restos), de 10:00 à 12:00."
    ]
    page = page_text(response)
    assert "La réservation n'est pas faite." in page
    # The nearest free hours of the same room that day, one tap each...
    assert f'name="slot" value="{TUESDAY}T12:00/{TUESDAY}T13:00"' in page
    assert f'name="slot" value="{TUESDAY}T12:15/{TUESDAY}T13:15"' in page
    # ...and the other rooms free at the asked time.
    assert f'name="other_resource" value="{pole.office.id}"' in page
    assert "Réserver Bureau partagé à la place" in page
    assert f'name="other_resource" value="{pole.kitchen.id}"' in page
    assert database_snapshot() == before


def test_tapping_a_suggested_time_books_it(client, login_as, pole):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2)
    login_as(pole.marie)
    slot = f"{TUESDAY}T12:00/{TUESDAY}T13:00"
    response = client.post("/reservations", data=form_for(pole, start="11:00", slot=slot))
    assert response.status_code == 303
    assert [(b.start, b.end) for b in booked(title="Distribution")][-1] == (
        at(TUESDAY, "12:00"),
        at(TUESDAY, "13:00"),
    )


def test_tapping_another_room_books_it_at_the_same_time(client, login_as, pole):
    make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2)
    login_as(pole.marie)
    data = form_for(pole, other_resource=pole.office.id)
    assert client.post("/reservations", data=data).status_code == 303
    (moved,) = booked(resource_id=pole.office.id)
    assert moved.start == at(TUESDAY, "10:00")


def test_a_time_skipped_by_the_spring_clock_change_is_refused_beside_start(client, login_as, pole):
    night = make_resource(pole.site, name="Chambre froide")  # open day and night
    day = spring_forward_day()
    login_as(pole.marie)
    data = form_for(pole, resource_id=night.id, date=day.isoformat(), start="02:30", end="04:00")
    response = client.post("/reservations", data=data)
    assert response.status_code == 422
    assert errors_beside(response, "start") == [
        f"Le {day:%d/%m/%Y} à 02:30 n'existe pas : c'est la nuit du passage à l'heure d'été."
    ]
    assert booked() == []


def test_too_many_units_are_refused_beside_the_quantity(client, login_as, pole):
    make_booking(pole.tables, pole.restos, at(TUESDAY, "09:00"), 4, quantity=7)
    login_as(pole.marie)
    data = form_for(pole, resource_id=pole.tables.id, quantity="5")
    response = client.post("/reservations", data=data)
    assert response.status_code == 422
    assert errors_beside(response, "quantity") == [
        "Il ne reste que 3 tables disponibles entre 10:00 et 12:00."
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Donnez un titre"),
        ({"start": "25:00"}, "start", "Indiquez une heure comme 14:30."),
        ({"date": "demain"}, "date", "Indiquez une date comme 14/03/2026."),
        ({"end": "09:00"}, "end", "La fin doit venir après le début."),
        ({"quantity": "0"}, "quantity", "Indiquez une quantité d'au moins 1."),
    ],
    ids=["no-title", "bad-hour", "bad-date", "end-before-start", "no-unit"],
)
def test_badly_filled_fields_are_explained_beside_them(
    client, login_as, pole, fields, field, message
):
    login_as(pole.marie)
    data = form_for(pole, resource_id=pole.tables.id, **fields)
    response = client.post("/reservations", data=data)
    assert response.status_code == 422
    assert any(e.startswith(message) for e in errors_beside(response, field))
    assert booked() == []


def test_booking_for_an_organisation_one_does_not_belong_to_is_refused(client, login_as, pole):
    login_as(pole.karim)
    response = client.post("/reservations", data=form_for(pole, resource_id=pole.office.id))
    assert response.status_code == 422
    assert errors_beside(response, "organisation_id") == [
        "Choisissez pour quelle organisation vous réservez."
    ]
    assert booked() == []


def test_a_booking_on_approval_is_pending_and_says_so(client, login_as, pole):
    login_as(pole.marie)
    response = client.post("/reservations", data=form_for(pole, resource_id=pole.kitchen.id))
    assert response.status_code == 303
    (booking,) = booked()
    assert booking.status == "pending"
    page = page_text(client.get(response.headers["Location"]))
    assert "attend la validation" in page and "En attente de validation" in page


def test_changing_the_resource_reloads_the_form_with_its_organisations(client, login_as, pole):
    login_as(pole.marie)
    page = client.get(f"/reservations/nouvelle?resource_id={pole.hall.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="resource_id"[^>]*>', page).group(0)
    for attribute in ('hx-get="/reservations/nouvelle"', 'hx-include="#booking-fields"'):
        assert attribute in select
    reload = client.get(
        f"/reservations/nouvelle?resource_id={pole.tables.id}&title=Vente&refresh=1", headers=HX
    )
    body = reload.get_data(as_text=True)
    assert 'name="quantity"' in body and 'value="Vente"' in body
    assert "autofocus" not in body.split('id="booking-form-title"')[1].split(">")[0]


# Series ------------------------------------------------------------------------------------


def series_form(pole, **fields) -> dict:
    data = form_for(
        pole,
        date=MONDAY.isoformat(),
        start="14:00",
        end="16:00",
        title="Atelier estime de soi",
        repeat="y",
        freq="weekly",
        interval="1",
        weekdays=str(MONDAY.weekday()),
        ends="count",
        count="4",
    )
    data.update(fields)
    return data


def test_a_series_is_previewed_with_its_dates_and_conflicts_before_anything_is_saved(
    client, login_as, pole
):
    third = MONDAY + timedelta(days=14)
    make_booking(pole.hall, pole.caf, at(third, "15:00"), 1, title="Réunion")
    login_as(pole.marie)
    response = client.post("/reservations", data=series_form(pole))
    assert response.status_code == 200
    page = page_text(response)
    assert "chaque lundi, 14:00–16:00, 4 fois" in page
    assert "4 dates, dont 1 impossible" in re.sub(r"</?strong>", "", page)
    assert page.count('class="ok"') == 3 and page.count('class="conflict"') == 1
    assert "Ce créneau est déjà pris : Réservé — CAF de la Loire" in page
    assert f'name="skip" value="{third}"' in page and "Ignorer cette date" in page
    assert 'name="confirm" value="1"' in page
    assert booked(organisation_id=pole.restos.id) == []


def test_a_series_with_an_unskipped_conflict_saves_nothing(client, login_as, pole):
    third = MONDAY + timedelta(days=14)
    make_booking(pole.hall, pole.caf, at(third, "15:00"), 1)
    login_as(pole.marie)
    response = client.post("/reservations", data=series_form(pole, confirm="1"))
    assert response.status_code == 422
    assert "La série n'est pas enregistrée" in page_text(response)
    assert booked(organisation_id=pole.restos.id) == []
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_skipping_the_conflicting_date_saves_the_others_as_one_series(client, login_as, pole):
    third = MONDAY + timedelta(days=14)
    make_booking(pole.hall, pole.caf, at(third, "15:00"), 1)
    login_as(pole.marie)
    data = series_form(pole, confirm="1", skip=third.isoformat())
    response = client.post("/reservations", data=data)
    assert response.status_code == 303
    ours = booked(organisation_id=pole.restos.id)
    assert [b.start for b in ours] == [at(MONDAY + timedelta(days=d), "14:00") for d in (0, 7, 21)]
    assert len({b.series_id for b in ours}) == 1
    series = db.session.get(Series, ours[0].series_id)
    assert series.skipped == [third.isoformat()]
    assert "3 dates" in page_text(client.get(response.headers["Location"]))


def test_a_date_taken_between_preview_and_confirmation_shows_the_preview_again(
    client, login_as, pole
):
    login_as(pole.marie)
    assert client.post("/reservations", data=series_form(pole)).status_code == 200
    second = MONDAY + timedelta(days=7)
    make_booking(pole.hall, pole.caf, at(second, "14:00"), 1)  # someone was quicker
    response = client.post("/reservations", data=series_form(pole, confirm="1"), headers=HX)
    assert response.status_code == 422
    page = page_text(response)
    assert page.lstrip().startswith('<section id="booking-form"')
    assert f'name="skip" value="{second}"' in page
    assert booked(organisation_id=pole.restos.id) == []


def test_a_monthly_series_on_the_second_tuesday(client, login_as, pole):
    second_tuesday = date(MONDAY.year, MONDAY.month, 1)
    second_tuesday += timedelta(days=(1 - second_tuesday.weekday()) % 7 + 7)
    if second_tuesday <= _today() + timedelta(days=1):
        second_tuesday = date(MONDAY.year + (MONDAY.month == 12), MONDAY.month % 12 + 1, 1)
        second_tuesday += timedelta(days=(1 - second_tuesday.weekday()) % 7 + 7)
    login_as(pole.marie)
    data = series_form(
        pole, date=second_tuesday.isoformat(), freq="monthly", month_week="2", count="3"
    )
    page = page_text(client.post("/reservations", data=data))
    assert "le 2e mardi de chaque mois, 14:00–16:00, 3 fois" in page
    assert page.count('class="ok"') == 3


def test_going_back_from_the_preview_keeps_what_was_typed(client, login_as, pole):
    login_as(pole.marie)
    response = client.post("/reservations", data=series_form(pole, confirm="1", back="1"))
    assert response.status_code == 200
    page = page_text(response)
    assert 'value="Atelier estime de soi"' in page and '<details class="repeat" open>' in page
    assert booked() == []


# A booking's page, editing and cancelling --------------------------------------------------


def make_series(pole, weeks: int = 4) -> list[Booking]:
    recurrence = Recurrence(
        first_day=MONDAY,
        start_time=time(14),
        end_time=time(16),
        freq="weekly",
        weekdays=frozenset({MONDAY.weekday()}),
        count=weeks,
    )
    data = services.SeriesData(pole.hall.id, pole.restos.id, "Atelier", recurrence)
    services.create_series(data, pole.marie)
    return booked(organisation_id=pole.restos.id)


def test_the_booking_page_shows_details_to_its_organisation(client, login_as, pole):
    (first, *_) = make_series(pole)
    login_as(pole.monique)
    page = page_text(client.get(f"/reservations/{first.id}"))
    assert "Atelier" in page and "Hall d'accueil" in page and "Pôle Les 4 Épis" in page
    assert f"{first.start.astimezone(PARIS):%H:%M}" == "14:00" and "de 14:00 à 16:00" in page
    assert "Chaque lundi, 14:00–16:00, 4 fois" in page
    assert "Réservée par" in page and "Marie Restos" in page
    assert "Confirmée" in page
    assert f'href="/reservations/{first.id}/modifier"' in page
    for scope in ("one", "following", "all"):
        assert f'name="scope" value="{scope}"' in page


def test_other_organisations_see_who_booked_but_not_the_private_details(client, login_as, pole):
    booking = make_booking(pole.office, pole.restos, at(TUESDAY, "10:00"), title="Famille M.")
    booking.created_by_id = pole.marie.id
    db.session.commit()
    login_as(pole.karim)
    page = page_text(client.get(f"/reservations/{booking.id}"))
    assert "Réservé — Restos du cœur" in page
    assert "Famille M." not in page and "Marie Restos" not in page
    assert "/modifier" not in page and "/annuler" not in page


def test_an_unknown_booking_is_not_found(client, login_as, pole):
    login_as(pole.marie)
    assert client.get("/reservations/999999").status_code == 404
    assert client.get("/reservations/999999/modifier").status_code == 404
    assert client.post("/reservations/999999/annuler", data={"scope": "one"}).status_code == 404


def test_other_organisations_cannot_edit_or_cancel_and_nothing_changes(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"))
    login_as(pole.karim)
    before = database_snapshot()
    assert client.get(f"/reservations/{booking.id}/modifier").status_code == 403
    moved = form_for(pole, start="15:00", end="16:00")
    assert client.post(f"/reservations/{booking.id}/modifier", data=moved).status_code == 403
    cancel = client.post(f"/reservations/{booking.id}/annuler", data={"scope": "one"})
    assert cancel.status_code == 403
    assert database_snapshot() == before


def test_visitors_are_sent_to_log_in_before_changing_anything(client, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"))
    response = client.post(f"/reservations/{booking.id}/annuler", data={"scope": "one"})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert booked()[0].status == "confirmed"


def test_moving_a_booking_rechecks_it_and_bumps_its_sequence(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2, title="Distribution")
    login_as(pole.marie)
    form = page_text(client.get(f"/reservations/{booking.id}/modifier"))
    assert 'value="10:00"' in form and 'value="12:00"' in form and 'value="Distribution"' in form
    data = {"title": "Distribution", "date": TUESDAY.isoformat(), "start": "14:00", "end": "16:00"}
    response = client.post(f"/reservations/{booking.id}/modifier", data=data)
    assert response.status_code == 303
    (moved,) = booked()
    assert (moved.start, moved.sequence) == (at(TUESDAY, "14:00"), 1)
    assert "Modification enregistrée." in page_text(client.get(response.headers["Location"]))


def test_a_refused_move_says_why_and_offers_free_times(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), 2)
    make_booking(pole.hall, pole.caf, at(TUESDAY, "12:00"), 4)
    login_as(pole.marie)
    data = {"title": "Réunion", "date": TUESDAY.isoformat(), "start": "13:00", "end": "14:00"}
    response = client.post(f"/reservations/{booking.id}/modifier", data=data)
    assert response.status_code == 422
    assert errors_beside(response, "start") == [
        "Ce créneau est déjà pris : Réservé — CAF de la Loire, de 12:00 à 16:00."
    ]
    # The booking's own time counts as free when moving it.
    assert f'name="slot" value="{TUESDAY}T11:00/{TUESDAY}T12:00"' in page_text(response)
    assert booked(id=booking.id)[0].start == at(TUESDAY, "10:00")


def test_moving_this_date_and_the_following_ones_of_a_series(client, login_as, pole):
    first, second, third, fourth = make_series(pole)
    login_as(pole.marie)
    data = {
        "title": "Atelier",
        "date": (MONDAY + timedelta(days=7)).isoformat(),
        "start": "09:00",
        "end": "11:00",
        "scope": "following",
    }
    response = client.post(f"/reservations/{second.id}/modifier", data=data)
    assert response.status_code == 303
    hours = [b.start.astimezone(PARIS).hour for b in booked(organisation_id=pole.restos.id)]
    assert hours == [14, 9, 9, 9]
    assert booked(id=first.id)[0].start == at(MONDAY, "14:00")
    assert booked(id=fourth.id)[0].start == at(MONDAY + timedelta(days=21), "09:00")


def test_cancelling_one_booking_keeps_it_visible_as_cancelled(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), title="Distribution")
    login_as(pole.marie)
    response = client.post(f"/reservations/{booking.id}/annuler", data={"scope": "one"})
    assert response.status_code == 303
    assert booked()[0].status == "cancelled"
    page = page_text(client.get(response.headers["Location"]))
    assert "Réservation annulée." in page and "Annulée" in page
    assert f"/reservations/{booking.id}/annuler" not in page  # nothing more to cancel
    listing = page_text(client.get("/reservations"))
    assert "Distribution" in listing and "Annulée" in listing


@pytest.mark.parametrize(
    ("scope", "left"),
    [("one", [0, 2, 3]), ("following", [0]), ("all", [])],
    ids=["this-date", "this-and-following", "whole-series"],
)
def test_cancelling_dates_of_a_series(client, login_as, pole, scope, left):
    dates = make_series(pole)
    login_as(pole.marie)
    response = client.post(
        f"/reservations/{dates[1].id}/annuler", data={"scope": scope, "next": "/reservations"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/reservations")
    active = [b.id for b in booked(organisation_id=pole.restos.id) if b.is_active]
    assert active == [dates[i].id for i in left]


def test_cancelling_does_not_follow_a_next_to_another_site(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"))
    login_as(pole.marie)
    response = client.post(
        f"/reservations/{booking.id}/annuler", data={"scope": "one", "next": "//evil.example"}
    )
    assert response.headers["Location"].endswith(f"/reservations/{booking.id}")


def test_a_cancelled_booking_cannot_be_edited_again(client, login_as, pole):
    booking = make_booking(pole.hall, pole.restos, at(TUESDAY, "10:00"), status="cancelled")
    login_as(pole.marie)
    response = client.get(f"/reservations/{booking.id}/modifier")
    assert response.status_code == 303
    assert "rien à changer" in page_text(client.get(response.headers["Location"]))


# Our bookings ------------------------------------------------------------------------------


def test_our_bookings_lists_my_organisations_coming_bookings_and_series(client, login_as, pole):
    make_series(pole, weeks=2)
    make_booking(pole.tables, pole.epicerie, at(TUESDAY, "09:00"), title="Vente", quantity=3)
    make_booking(pole.office, pole.caf, at(TUESDAY, "09:00"), title="Permanence CAF")
    make_booking(pole.hall, pole.restos, at(_today() - timedelta(days=3), "09:00"), title="Vieux")
    login_as(pole.monique)
    page = page_text(client.get("/reservations"))
    # The series is one line that opens to its two dates (see tests/test_our_bookings.py).
    assert page.count('class="booking-item series-line') == 1 and "Vente" in page
    assert len(re.findall(r'class="series-date[ "]', page)) == 2
    assert "Permanence CAF" not in page and "Vieux" not in page
    assert "2 dates à venir" in page and "Chaque lundi, 14:00–16:00, 2 fois" in page
    assert f"Prochaine date : {MONDAY.day} " in re.sub(r"<[^>]+>", "", page).replace("lundi ", "")
    for scope in ("one", "following", "all"):
        assert f'name="scope" value="{scope}"' in page


def test_our_bookings_to_come_include_equipment_lent_for_the_longest_time(client, login_as, pole):
    # Read on a range of starts that begins LONGEST_BOOKING ago (Booking.not_over).
    lent = utcnow() + timedelta(days=1) - LONGEST_BOOKING
    make_booking(pole.tables, pole.epicerie, lent, end=lent + LONGEST_BOOKING, title="Prêt long")
    returned = utcnow() - timedelta(minutes=1) - LONGEST_BOOKING
    make_booking(
        pole.tables, pole.epicerie, returned, end=returned + LONGEST_BOOKING, title="Rendu"
    )
    login_as(pole.monique)
    page = page_text(client.get("/reservations"))
    assert "Prêt long" in page and "Rendu" not in page


def test_our_bookings_can_be_narrowed_to_one_organisation(client, login_as, pole):
    make_series(pole, weeks=1)
    make_booking(pole.tables, pole.epicerie, at(TUESDAY, "09:00"), title="Vente")
    login_as(pole.monique)
    response = client.get(f"/reservations?organisation_id={pole.epicerie.id}", headers=HX)
    body = page_text(response)
    assert body.lstrip().startswith('<div id="our-bookings"')
    assert "Vente" in body and "Atelier" not in body
