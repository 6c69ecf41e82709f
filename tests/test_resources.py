"""Rooms and equipment: a public list with opening hours, edited by the manager with its policy."""

from __future__ import annotations

import pytest

from pole.db import db
from pole.resources.forms import format_hours, parse_hours
from pole.resources.models import Resource
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)


def resource_form(**overrides: object) -> dict:
    """What the manager types in the resource form, as the browser sends it."""
    fields = {
        "name": "Salle polyvalente",
        "kind": "room",
        "description": "Au rez-de-chaussée.",
        "capacity": "30",
        "quantity": "1",
        "unit_singular": "",
        "unit_plural": "",
        "position": "2",
        "granularity_minutes": "15",
        "min_duration_minutes": "30",
        "max_duration_minutes": "240",
        "max_days_ahead": "90",
        "min_notice_minutes": "60",
        "buffer_minutes": "30",
        "requires_approval": "y",
        "allowed_kinds": ["association", "partner"],
        "is_active": "y",
        "hours_0": "08:00-12:00, 14:00-19:00",
        "hours_1": "8h00-12h00",
        "hours_2": "",
        "hours_3": "",
        "hours_4": "",
        "hours_5": "fermé",
        "hours_6": "",
    }
    return {**fields, **overrides}


def saved(resource_id: int) -> Resource:
    db.session.rollback()
    return db.session.get(Resource, resource_id)


# The public list ------------------------------------------------------------------------------


def test_a_visitor_sees_the_rooms_and_their_opening_hours(client):
    make_site(name="Pôle des solidarités Les 4 Épis")
    make_resource(name="Cuisine équipée", opening_hours={"1": [[480, 720], [840, 1140]]})
    make_resource(
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table",
        unit_plural="tables",
    )

    page = page_text(client.get("/salles/"))

    assert "Les 4 Épis" in page
    assert "Cuisine équipée" in page
    assert "08:00 – 12:00, 14:00 – 19:00" in page
    assert "10 tables" in page
    assert "Ajouter" not in page


def test_a_visitor_reads_one_room_and_its_rules(client):
    kitchen = make_resource(
        name="Cuisine équipée",
        opening_hours={"0": [[480, 1140]]},
        buffer_minutes=30,
        requires_approval=True,
        allowed_kinds=["association", "ccas"],
    )

    page = page_text(client.get(f"/salles/{kitchen.id}"))

    assert "08:00 – 19:00" in page
    assert "fermé" in page
    assert "30 min restent libres après chaque usage" in page
    assert "Chaque réservation est validée par la gestion du bâtiment." in page
    assert "Ouvert à : associations, CCAS." in page
    assert "Modifier" not in page


def test_a_retired_resource_is_hidden_from_all_but_the_manager(client, login_as):
    retired = make_resource(name="Ancien local", is_active=False)

    assert "Ancien local" not in page_text(client.get("/salles/"))
    assert client.get(f"/salles/{retired.id}").status_code == 404

    login_as(make_user(is_manager=True))
    assert "Ancien local" in page_text(client.get("/salles/"))
    assert client.get(f"/salles/{retired.id}").status_code == 200


# The manager edits ----------------------------------------------------------------------------


def test_the_manager_adds_a_room_with_its_policy(client, login_as):
    login_as(make_user(is_manager=True))

    response = client.post("/salles/nouvelle", data=resource_form())

    assert response.status_code == 302
    room = db.session.scalar(db.select(Resource).where(Resource.name == "Salle polyvalente"))
    assert response.location == f"/salles/{room.id}"
    assert room.opening_hours == {"0": [[480, 720], [840, 1140]], "1": [[480, 720]]}
    assert (room.kind, room.capacity, room.quantity, room.position) == ("room", 30, 1, 2)
    assert (room.granularity_minutes, room.min_duration_minutes, room.max_duration_minutes) == (
        15,
        30,
        240,
    )
    assert (room.max_days_ahead, room.min_notice_minutes, room.buffer_minutes) == (90, 60, 30)
    assert room.requires_approval and room.is_active
    assert room.allowed_kinds == ["association", "partner"]
    assert room.site.name  # the first resource creates the building


def test_the_manager_adds_pooled_equipment(client, login_as):
    login_as(make_user(is_manager=True))

    client.post(
        "/salles/nouvelle",
        data=resource_form(
            name="Étagères",
            kind="equipment",
            quantity="6",
            unit_singular="étagère",
            unit_plural="étagères",
            capacity="",
        ),
    )

    shelves = db.session.scalar(db.select(Resource).where(Resource.name == "Étagères"))
    assert (shelves.kind, shelves.quantity, shelves.capacity) == ("equipment", 6, None)


def test_the_manager_edits_a_resource_and_its_hours(client, login_as):
    hall = make_resource(name="Hall", opening_hours={"0": [[480, 1140]]})
    login_as(make_user(is_manager=True))

    form = client.get(f"/salles/{hall.id}/modifier")
    assert 'value="08:00-19:00"' in form.get_data(as_text=True)

    response = client.post(
        f"/salles/{hall.id}/modifier",
        data=resource_form(name="Hall d'accueil", hours_0="", hours_6="10:00-12:00"),
    )

    assert response.status_code == 302
    hall = saved(hall.id)
    assert hall.name == "Hall d'accueil"
    assert hall.opening_hours == {"1": [[480, 720]], "6": [[600, 720]]}
    assert "dimanche" in page_text(client.get(f"/salles/{hall.id}")).lower()


def test_the_manager_retires_a_resource(client, login_as):
    hall = make_resource(name="Hall")
    login_as(make_user(is_manager=True))

    client.post(f"/salles/{hall.id}/modifier", data=resource_form(is_active=""))

    assert not saved(hall.id).is_active


@pytest.mark.parametrize(
    "fields, field, message",
    [
        pytest.param({"name": ""}, "name", "Indiquez le nom.", id="no-name"),
        pytest.param({"name": "   "}, "name", "Indiquez le nom.", id="blank-name"),
        pytest.param(
            {"hours_0": "8-12"},
            "hours_0",
            "« 8-12 » n'est pas une plage comme 08:00-12:00.",
            id="hours-without-minutes",
        ),
        pytest.param(
            {"hours_2": "14:00-12:00"},
            "hours_2",
            "La plage « 14:00-12:00 » n'est pas valable.",
            id="hours-backwards",
        ),
        pytest.param(
            {"hours_3": "08:00-12:00, 11:00-14:00"},
            "hours_3",
            "Les plages doivent se suivre sans se chevaucher.",
            id="hours-overlapping",
        ),
        pytest.param(
            {"min_duration_minutes": "120", "max_duration_minutes": "60"},
            "max_duration_minutes",
            "La durée maximale doit être au moins égale à la durée minimale.",
            id="max-below-min",
        ),
        pytest.param(
            {"kind": "room", "quantity": "3"},
            "quantity",
            "Une salle se réserve en entier : laissez 1.",
            id="room-with-three-units",
        ),
        pytest.param(
            {"allowed_kinds": []},
            "allowed_kinds",
            "Choisissez au moins un type d'organisation.",
            id="nobody-may-book",
        ),
        pytest.param(
            {"granularity_minutes": "2"},
            "granularity_minutes",
            "Entre 5 et 240 minutes.",
            id="granularity-too-small",
        ),
        pytest.param(
            {"quantity": "0", "kind": "equipment"}, "quantity", "Au moins 1.", id="no-units"
        ),
    ],
)
@pytest.mark.parametrize("page", ["nouvelle", "{id}/modifier"], ids=["create", "edit"])
def test_an_invalid_resource_is_refused_with_the_error_beside_the_field(
    client, login_as, page, fields, field, message
):
    hall = make_resource(name="Hall")
    login_as(make_user(is_manager=True))
    before = database_snapshot()

    response = client.post(f"/salles/{page.format(id=hall.id)}", data=resource_form(**fields))

    assert response.status_code == 422
    assert errors_beside(response, field) == [message]
    assert database_snapshot() == before


def test_badly_typed_hours_stay_in_the_field_to_be_corrected(client, login_as):
    login_as(make_user(is_manager=True))

    response = client.post("/salles/nouvelle", data=resource_form(hours_4="9h-midi"))

    assert 'value="9h-midi"' in response.get_data(as_text=True)
    assert 'value="08:00-12:00, 14:00-19:00"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "who", ["volunteer", "coordinator", "social-worker", "partner"], ids=lambda who: who
)
@pytest.mark.parametrize("page", ["nouvelle", "{id}/modifier"], ids=["create", "edit"])
def test_only_the_manager_edits_resources(client, login_as, who, page):
    hall = make_resource(name="Hall")
    people = {
        "volunteer": lambda: make_user(make_organisation()),
        "coordinator": lambda: make_user(make_organisation(), "coordinator"),
        "social-worker": lambda: make_user(is_social_worker=True),
        "partner": lambda: make_user(make_organisation(kind="partner"), "coordinator"),
    }
    login_as(people[who]())
    url = f"/salles/{page.format(id=hall.id)}"
    before = database_snapshot()

    assert client.get(url).status_code == 403
    assert client.post(url, data=resource_form()).status_code == 403
    assert database_snapshot() == before


def test_a_visitor_is_asked_to_log_in_to_edit(client):
    hall = make_resource()

    response = client.get(f"/salles/{hall.id}/modifier")

    assert response.status_code == 302
    assert response.location.startswith("/connexion")


# Opening hours as typed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, intervals",
    [
        pytest.param("08:00-12:00, 14:00-19:00", [[480, 720], [840, 1140]], id="two-ranges"),
        pytest.param("8h00-12h30", [[480, 750]], id="french-h"),
        pytest.param("08:00 à 12:00", [[480, 720]], id="with-a"),
        pytest.param("08:00–12:00", [[480, 720]], id="en-dash"),
        pytest.param(" 09:00 - 17:00 ", [[540, 1020]], id="spaces"),
        pytest.param("00:00-24:00", [[0, 1440]], id="all-day"),
        pytest.param("08:00-12:00, 12:00-14:00", [[480, 720], [720, 840]], id="touching"),
        pytest.param("", [], id="empty-is-closed"),
        pytest.param("fermé", [], id="ferme"),
        pytest.param("Fermé", [], id="ferme-capital"),
        pytest.param("-", [], id="dash"),
    ],
)
def test_opening_hours_are_read_as_people_write_them(text, intervals):
    assert parse_hours(text) == intervals


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("8-12", "n'est pas une plage comme 08:00-12:00", id="no-minutes"),
        pytest.param("matin", "n'est pas une plage comme 08:00-12:00", id="words"),
        pytest.param("12:00-08:00", "n'est pas valable", id="backwards"),
        pytest.param("08:00-08:00", "n'est pas valable", id="empty-range"),
        pytest.param("08:60-12:00", "n'est pas valable", id="sixty-minutes"),
        pytest.param("23:00-25:00", "n'est pas valable", id="past-midnight"),
        pytest.param("24:00-24:30", "n'est pas valable", id="starts-at-midnight-end"),
        pytest.param("08:00-12:00, 11:00-14:00", "sans se chevaucher", id="overlapping"),
        pytest.param("14:00-19:00, 08:00-12:00", "sans se chevaucher", id="out-of-order"),
        pytest.param("08:00-12:00,", "n'est pas une plage", id="trailing-comma"),
    ],
)
def test_opening_hours_that_make_no_sense_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(text)


@pytest.mark.parametrize(
    "intervals, text",
    [
        pytest.param([[480, 720], [840, 1140]], "08:00-12:00, 14:00-19:00", id="two-ranges"),
        pytest.param([[0, 1440]], "00:00-24:00", id="all-day"),
        pytest.param([], "", id="closed"),
    ],
)
def test_opening_hours_are_written_back_the_way_they_are_read(intervals, text):
    assert format_hours(intervals) == text
    assert parse_hours(text) == intervals
