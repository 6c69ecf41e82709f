"""Several buildings on one Pôle: each page shows one site, a manager may be limited to some
sites, organisations may work in some, and a single-site Pôle looks exactly as before."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.resources.models import Closure, Resource, Site
from pole.resources.services import ClosureData, create_closure
from pole.sites import services as sites
from pole.timeutil import local_to_utc
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")


def next_weekday(weekday: int, weeks: int = 2) -> date:
    """That weekday, `weeks` weeks or so after the (injected) clock's today, in Paris."""
    today = utcnow().astimezone(PARIS).date()
    return today + timedelta(days=7 * weeks + (weekday - today.weekday()) % 7)


TUESDAY = next_weekday(1)


def at(day: date, hh: int) -> datetime:
    return local_to_utc(day, time(hh, 0), PARIS)


def picker_on(response) -> bool:  # noqa: ANN001
    return 'class="site-picker' in response.get_data(as_text=True)


@pytest.fixture()
def city(app):
    """The 4 Épis and a day centre; a manager of both, one of the centre only; the Restos
    work in both, the Amicale only at the centre."""
    epis = make_site(name="Les 4 Épis", address="1 rue des Épis")
    centre = make_site(name="Centre de jour", address="5 quai du Furan")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    amicale = make_organisation(name="Amicale du centre", short_name="Amicale")
    sites.set_organisation_sites(amicale.id, {centre.id})
    limited = make_user(name="Chloé Centre", is_manager=True)
    sites.set_manager_sites(limited.id, {centre.id})
    return SimpleNamespace(
        epis=epis,
        centre=centre,
        restos=restos,
        amicale=amicale,
        hall=make_resource(epis, name="Hall d'accueil", requires_approval=True),
        workshop=make_resource(centre, name="Salle d'atelier", requires_approval=True),
        manager=make_user(name="Nadia Gestion", is_manager=True),
        limited=limited,
        volunteer=make_user(restos, name="Monique Bénévole"),
    )


# One site: nothing changes ---------------------------------------------------------------------


PAGES = ["/", "/agenda", "/agenda/mois", "/agenda/trouver", "/salles/", "/gestion/fermetures"]


@pytest.mark.parametrize("path", PAGES)
def test_a_single_site_shows_no_picker(app, client, login_as, path):
    make_resource(make_site(name="Les 4 Épis"), name="Hall d'accueil")
    login_as(make_user(name="Nadia Gestion", is_manager=True))

    response = client.get(path)

    assert response.status_code == 200
    assert not picker_on(response)
    assert "Site affiché" not in page_text(response)


def test_a_single_site_keeps_its_addresses_and_has_no_site_field(app, client, login_as):
    site = make_site(name="Les 4 Épis")
    login_as(make_user(is_manager=True))

    form = client.get("/salles/nouvelle")
    assert form.status_code == 200 and 'name="site_id"' not in form.get_data(as_text=True)
    public = client.get("/le-pole/")
    assert public.status_code == 200 and "Les 4 Épis" in page_text(public)
    assert 'href="/le-pole/qui-fait-quoi"' in public.get_data(as_text=True)
    feed = client.get("/agenda.ics")
    assert feed.status_code == 200 and "Agenda public · Les 4 Épis" in feed.get_data(as_text=True)
    assert client.get(f"/le-pole/{site.id}/").status_code == 200


# The picker -------------------------------------------------------------------------------------


def test_the_picker_remembers_the_choice_on_the_account_across_devices(app, city, client, login_as):
    login_as(city.volunteer)
    first = client.get("/agenda")
    assert picker_on(first)
    assert "Hall d'accueil" in page_text(first) and "Salle d'atelier" not in page_text(first)

    chosen = client.post(
        "/sites/choisir", data={"site": city.centre.id, "next": "/agenda?date=2030-01-02&site=1"}
    )

    assert chosen.status_code == 303 and chosen.location == "/agenda?date=2030-01-02"
    db.session.expire_all()
    assert db.session.get(User, city.volunteer.id).site_id == city.centre.id
    other_device = app.test_client()
    login_as(city.volunteer, on=other_device)
    page = page_text(other_device.get("/agenda"))
    assert "Salle d'atelier" in page and "Hall d'accueil" not in page
    assert f'<option selected value="{city.centre.id}">' in other_device.get("/").get_data(
        as_text=True
    )


def test_a_visitor_s_choice_is_kept_in_their_session(app, city, client):
    client.post("/sites/choisir", data={"site": city.centre.id, "next": "/salles/"})

    page = page_text(client.get("/salles/"))

    assert "Salle d'atelier" in page and "Hall d'accueil" not in page


@pytest.mark.parametrize(
    "fields",
    [{"site": "999999"}, {"site": "centre"}, {}],
    ids=["unknown-site", "not-a-number", "nothing"],
)
def test_the_picker_refuses_what_is_not_a_site(app, city, client, login_as, fields):
    login_as(city.volunteer)

    response = client.post("/sites/choisir", data={"next": "/agenda", **fields})

    assert response.status_code == 422
    assert errors_beside(response, "site")
    db.session.expire_all()
    assert db.session.get(User, city.volunteer.id).site_id is None


@pytest.mark.parametrize("target", ["https://ailleurs.example/", "//ailleurs.example/x", "agenda"])
def test_the_picker_only_goes_back_to_our_own_pages(app, city, client, target):
    response = client.post("/sites/choisir", data={"site": city.centre.id, "next": target})

    assert response.status_code == 303 and response.location == "/"


def test_a_site_named_in_the_address_wins_and_an_unknown_one_is_ignored(app, city, client):
    assert "Salle d'atelier" in page_text(client.get(f"/salles/?site={city.centre.id}"))
    unknown = client.get("/salles/?site=999999")
    assert unknown.status_code == 200 and "Hall d'accueil" in page_text(unknown)
    assert client.get("/le-pole/999999/").status_code == 404


# Pages, feeds and reports per site ------------------------------------------------------------


def test_the_day_view_shows_only_the_site_s_bookings(app, city, client, login_as):
    make_booking(city.hall, city.restos, at(TUESDAY, 10), title="Distribution aux Épis")
    make_booking(city.workshop, city.restos, at(TUESDAY, 10), title="Atelier au centre")
    login_as(city.manager)

    epis = page_text(client.get(f"/agenda?date={TUESDAY.isoformat()}&site={city.epis.id}"))
    centre = page_text(client.get(f"/agenda?date={TUESDAY.isoformat()}&site={city.centre.id}"))

    assert "Distribution aux Épis" in epis and "Atelier au centre" not in epis
    assert "Atelier au centre" in centre and "Distribution aux Épis" not in centre


def test_each_site_has_its_public_page_and_public_agenda(app, city, client):
    make_booking(city.hall, city.restos, at(TUESDAY, 10), title="Expo aux Épis", is_public=True)
    make_booking(
        city.workshop, city.restos, at(TUESDAY, 14), title="Fête du centre", is_public=True
    )

    centre_page = page_text(client.get(f"/le-pole/{city.centre.id}/"))
    centre_feed = client.get(f"/agenda/{city.centre.id}.ics").get_data(as_text=True)
    first_feed = client.get("/agenda.ics").get_data(as_text=True)

    assert "Centre de jour" in centre_page and "Fête du centre" in centre_page
    assert "Expo aux Épis" not in centre_page
    assert f'href="/le-pole/{city.centre.id}/qui-fait-quoi"' in centre_page
    assert "Fête du centre" in centre_feed and "Expo aux Épis" not in centre_feed
    assert "Agenda public · Centre de jour" in centre_feed
    # The address it always had is the first site's agenda.
    assert "Expo aux Épis" in first_feed and "Fête du centre" not in first_feed
    assert client.get("/agenda/999999.ics").status_code == 404


def test_public_addresses_do_not_depend_on_who_asks(app, city, client, login_as):
    """Shared caches keep the public page and agenda: only the address chooses the site."""
    login_as(city.volunteer)
    client.post("/sites/choisir", data={"site": city.centre.id, "next": "/"})

    assert "Les 4 Épis" in page_text(client.get("/le-pole/"))
    assert "Agenda public · Les 4 Épis" in client.get("/agenda.ics").get_data(as_text=True)
    assert "Centre de jour" in page_text(client.get(f"/le-pole/?site={city.centre.id}"))


def test_the_report_is_per_site_and_closed_to_managers_of_other_sites(app, city, client, login_as):
    login_as(city.manager)
    epis = page_text(client.get(f"/rapports/?site={city.epis.id}"))
    assert "Hall d'accueil" in epis and "Salle d'atelier" not in epis

    login_as(city.limited)
    assert client.get(f"/rapports/?site={city.epis.id}").status_code == 403
    centre = client.get(f"/rapports/?site={city.centre.id}")
    assert centre.status_code == 200 and "Salle d'atelier" in page_text(centre)


# A manager limited to one site ------------------------------------------------------------------


def test_a_manager_of_one_site_cannot_touch_another_site(app, city, client, login_as):
    pending = make_booking(city.hall, city.restos, at(TUESDAY, 10), status="pending")
    closure = create_closure(
        ClosureData(city.epis.id, None, at(TUESDAY, 0), at(TUESDAY, 23), "Travaux"), None
    )
    login_as(city.limited)

    denied = [
        client.get(f"/salles/{city.hall.id}/modifier"),
        client.post(f"/salles/{city.hall.id}/modifier", data={"name": "Pris"}),
        client.get(f"/gestion/fermetures?site={city.epis.id}"),
        client.post(f"/gestion/fermetures?site={city.epis.id}", data={"reason": "x"}),
        client.post(f"/gestion/fermetures/{closure.id}/supprimer"),
        client.post(f"/gestion/fermetures/{closure.id}/reservations", data={"decision": "keep"}),
        client.post(f"/gestion/demandes/{pending.id}/valider"),
        client.post(f"/gestion/demandes/{pending.id}/refuser", data={"reason": "Non"}),
        client.get(f"/sites/{city.epis.id}/modifier"),
        client.post(f"/sites/{city.epis.id}/modifier", data={"name": "Pris"}),
        client.get("/sites/nouveau"),
        client.get(f"/sites/responsables/{city.limited.id}"),
        client.get(f"/sites/organisations/{city.restos.id}"),
    ]

    assert [r.status_code for r in denied] == [403] * len(denied)
    db.session.expire_all()
    assert db.session.get(Resource, city.hall.id).name == "Hall d'accueil"
    assert db.session.get(Closure, closure.id) is not None
    assert db.session.get(type(pending), pending.id).status == "pending"
    assert db.session.get(Site, city.epis.id).name == "Les 4 Épis"
    queue = page_text(client.get("/gestion/demandes"))
    assert "Salle d'atelier" not in queue and "Hall d'accueil" not in queue
    listed = client.get("/sites/").get_data(as_text=True)
    assert f"/sites/{city.centre.id}/modifier" in listed
    assert f"/sites/{city.epis.id}/modifier" not in listed


def test_a_manager_of_one_site_manages_it(app, city, client, login_as):
    pending = make_booking(city.workshop, city.amicale, at(TUESDAY, 10), status="pending")
    login_as(city.limited)

    assert "Salle d'atelier" in page_text(client.get("/gestion/demandes"))
    assert client.post(f"/gestion/demandes/{pending.id}/valider").status_code == 302
    closed = client.post(
        f"/gestion/fermetures?site={city.centre.id}",
        data={"resource_id": "0", "start_date": TUESDAY.isoformat(), "reason": "Jour férié"},
    )
    assert closed.status_code == 302 and f"site={city.centre.id}" in closed.location
    assert db.session.scalar(sa.select(Closure.site_id)) == city.centre.id
    renamed = client.post(
        f"/sites/{city.centre.id}/modifier",
        data={"name": "Centre de jour Furan", "address": "", "timezone": "Europe/Paris"},
    )
    assert renamed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, city.centre.id).name == "Centre de jour Furan"
    # The resource form offers only the site they manage.
    form = client.get("/salles/nouvelle").get_data(as_text=True)
    field = re.search(r'<select id="site_id".*?</select>', form, re.DOTALL)[0]
    assert f'selected value="{city.centre.id}"' in field and f'"{city.epis.id}"' not in field


def test_a_limited_manager_cannot_put_a_resource_in_another_site(app, city, client, login_as):
    login_as(city.limited)
    data = {
        "site_id": str(city.epis.id),
        "name": "Salle volée",
        "kind": "room",
        "quantity": "1",
        "granularity_minutes": "15",
        "min_duration_minutes": "15",
        "max_duration_minutes": "120",
        "max_days_ahead": "30",
        "min_notice_minutes": "0",
        "buffer_minutes": "0",
        "allowed_kinds": ["association"],
    }

    refused = client.post("/salles/nouvelle", data=data)
    placed = client.post("/salles/nouvelle", data={**data, "site_id": str(city.centre.id)})

    assert refused.status_code == 422 and errors_beside(refused, "site_id")
    assert placed.status_code == 302
    rooms = db.session.execute(sa.select(Resource.name, Resource.site_id)).all()
    assert ("Salle volée", city.centre.id) in rooms and ("Salle volée", city.epis.id) not in rooms


# The manager of every site ---------------------------------------------------------------------


def test_a_manager_adds_a_site_and_says_who_works_there(app, city, client, login_as):
    login_as(city.manager)

    empty = client.post("/sites/nouveau", data={"name": "  ", "timezone": "Europe/Paris"})
    bad_zone = client.post("/sites/nouveau", data={"name": "Gare", "timezone": "Mars/Olympus"})
    added = client.post(
        "/sites/nouveau",
        data={
            "name": "Local de la gare",
            "address": "2 place de la Gare",
            "timezone": "Europe/Paris",
        },
    )
    assert empty.status_code == 422 and errors_beside(empty, "name") == ["Indiquez le nom."]
    assert bad_zone.status_code == 422 and errors_beside(bad_zone, "timezone")
    assert added.status_code == 302
    gare = db.session.scalar(sa.select(Site).where(Site.name == "Local de la gare"))

    unknown = client.post(f"/sites/responsables/{city.limited.id}", data={"site_ids": ["999999"]})
    assert unknown.status_code == 422 and "Cochez des sites de la liste." in page_text(unknown)
    assert client.get(f"/sites/responsables/{city.volunteer.id}").status_code == 404
    limit = client.post(f"/sites/responsables/{city.limited.id}", data={"site_ids": [gare.id]})
    works = client.post(f"/sites/organisations/{city.restos.id}", data={"site_ids": [gare.id]})
    assert limit.status_code == 302 and works.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, city.limited.id).limited_to_sites == {gare.id}
    assert sites.organisation_site_ids(city.restos.id) == {gare.id}
    page = page_text(client.get("/sites/"))
    assert "Local de la gare" in page and "Chloé Centre : Local de la gare" in page

    # Every site checked is the same as none: every site, those to come too.
    every = [s.id for s in sites.all_sites()]
    client.post(f"/sites/organisations/{city.restos.id}", data={"site_ids": every})
    assert sites.organisation_site_ids(city.restos.id) == set()


def test_an_organisation_books_only_in_the_sites_it_works_in(app, city):
    volunteer = make_user(city.amicale)
    assert sites.organisation_works_in(city.amicale.id, city.centre.id)
    assert not sites.organisation_works_in(city.amicale.id, city.epis.id)
    assert not permissions.can_book_resource(volunteer, city.amicale, city.hall)
    assert permissions.can_book_resource(volunteer, city.amicale, city.workshop)
    # No site given: every site (the organisations that existed before keep everything).
    assert permissions.can_book_resource(city.volunteer, city.restos, city.hall)
    assert permissions.can_book_resource(city.volunteer, city.restos, city.workshop)


def test_a_booking_for_an_organisation_in_another_site_is_refused(app, city, client, login_as):
    login_as(make_user(city.amicale, name="Paul Amicale"))
    form = {
        "organisation_id": city.amicale.id,
        "date": TUESDAY.isoformat(),
        "start": "10:00",
        "end": "12:00",
        "quantity": "1",
        "title": "Permanence de l'Amicale",
    }

    # The form takes its site from the room, whichever site the person last looked at.
    refused = client.post("/reservations", data={**form, "resource_id": city.hall.id})
    made = client.post("/reservations", data={**form, "resource_id": city.workshop.id})

    assert refused.status_code == 422
    assert errors_beside(refused, "organisation_id") == [
        "Aucune de vos organisations ne peut réserver cette ressource."
    ]
    assert made.status_code == 303
    booked = db.session.scalars(sa.select(Booking.resource_id)).all()
    assert booked == [city.workshop.id]


def test_current_site_outside_a_request_is_the_first_site(app, city):
    assert sites.current_site().id == city.epis.id
    assert [s.id for s in sites.all_sites()] == [city.epis.id, city.centre.id]
