"""A resource's unit has a singular and a plural: "1 table pliante", "10 tables pliantes"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.rules import quantity_text, unit_noun
from pole.db import db
from pole.resources.models import Resource
from tests.factories import errors_beside, make_resource, make_user, page_text
from tests.test_resources import resource_form

TABLES = {"unit_singular": "table pliante", "unit_plural": "tables pliantes"}


@pytest.mark.parametrize(
    ("n", "noun"),
    [
        pytest.param(0, "table pliante", id="zero-is-singular-in-french"),
        pytest.param(1, "table pliante", id="one"),
        pytest.param(2, "tables pliantes", id="two"),
        pytest.param(10, "tables pliantes", id="ten"),
    ],
)
def test_the_unit_takes_the_plural_from_two_on(n, noun):
    assert unit_noun(n, "table pliante", "tables pliantes") == noun
    assert quantity_text(n, "table pliante", "tables pliantes") == f"{n} {noun}"


def tables(**overrides) -> Resource:
    fields = {"name": "Tables pliantes", "kind": "equipment", "quantity": 10, **TABLES}
    return make_resource(**{**fields, **overrides})


def test_booking_messages_use_the_stored_singular_not_a_trimmed_plural(app):
    resource = tables()
    assert bookings.policy_of(resource).units == ("table pliante", "tables pliantes")
    assert resource.quantity_label(1) == "1 table pliante"
    assert resource.quantity_label(10) == "10 tables pliantes"


def test_equipment_without_a_unit_name_counts_in_units(app):
    resource = make_resource(name="Gobelets", kind="equipment", quantity=3)
    assert resource.units == ("unité", "unités")
    assert resource.quantity_label(1) == "1 unité"


def test_pages_show_the_quantity_with_the_right_form(client):
    resource = tables()
    make_resource(
        name="Vidéoprojecteur",
        kind="equipment",
        quantity=1,
        unit_singular="écran",
        unit_plural="écrans",
    )
    listing = page_text(client.get("/salles/"))
    assert "10 tables pliantes" in listing and "1 écran" in listing and "1 écrans" not in listing
    assert "10 tables pliantes à prêter en même temps" in page_text(
        client.get(f"/salles/{resource.id}")
    )


def test_the_manager_names_one_unit_and_several(client, login_as):
    login_as(make_user(is_manager=True))
    response = client.post(
        "/salles/nouvelle",
        data=resource_form(name="Tables pliantes", kind="equipment", quantity="10", **TABLES),
    )
    assert response.status_code in (302, 303)
    resource = db.session.scalar(db.select(Resource).where(Resource.name == "Tables pliantes"))
    assert resource.units == ("table pliante", "tables pliantes")

    form = page_text(client.get(f"/salles/{resource.id}/modifier"))
    assert 'value="table pliante"' in form and 'value="tables pliantes"' in form
    client.post(
        f"/salles/{resource.id}/modifier",
        data=resource_form(
            name="Tables pliantes",
            kind="equipment",
            quantity="10",
            unit_singular="grande table",
            unit_plural="grandes tables",
        ),
    )
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).units == ("grande table", "grandes tables")


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        (
            {"unit_singular": "", "unit_plural": "tables pliantes"},
            "unit_singular",
            "Indiquez aussi le nom d'une seule unité (« table pliante »).",
        ),
        (
            {"unit_singular": "table pliante", "unit_plural": "  "},
            "unit_plural",
            "Indiquez aussi le pluriel (« tables pliantes »).",
        ),
    ],
    ids=["plural-only", "singular-only"],
)
def test_one_form_without_the_other_is_refused_beside_the_field(
    client, login_as, given, field, message
):
    login_as(make_user(is_manager=True))
    response = client.post(
        "/salles/nouvelle",
        data=resource_form(name="Tables", kind="equipment", quantity="10", **given),
    )
    assert response.status_code == 422
    assert errors_beside(response, field) == [message]
    assert db.session.scalar(db.select(sa.func.count(Resource.id))) == 0


# The migration fills both forms from the old single label -------------------------------------

OLD_LABELS = {
    "tables pliantes": ("table pliante", "tables pliantes"),
    "étagères": ("étagère", "étagères"),
    "vidéoprojecteur": ("vidéoprojecteur", "vidéoprojecteurs"),
    "sièges de bureau": ("siège de bureau", "sièges de bureau"),
    "jeux": ("jeux", "jeux"),
    "": ("unité", "unités"),
}


def test_the_migration_fills_singular_and_plural_from_the_old_label(scratch_app):
    runner = scratch_app.test_cli_runner()
    with scratch_app.app_context():
        result = runner.invoke(args=["db", "upgrade", "0003"])
        assert result.exit_code == 0, result.output
        created = datetime(2026, 1, 5, tzinfo=UTC)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO site (id, name, address, timezone, created_at) "
                    "VALUES (1, 'Pôle', '', 'Europe/Paris', :created)"
                ),
                {"created": created},
            )
            for n, label in enumerate(OLD_LABELS, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO resource (id, site_id, kind, name, description, quantity, "
                        "unit_label, position, is_active, opening_hours, granularity_minutes, "
                        "min_duration_minutes, max_duration_minutes, max_days_ahead, "
                        "min_notice_minutes, buffer_minutes, requires_approval, allowed_kinds, "
                        "created_at) VALUES (:id, 1, 'equipment', :name, '', 5, :label, 0, "
                        "true, '{}', 15, 15, 60, 30, 0, 0, false, '[]', :created)"
                    ),
                    {"id": n, "name": f"Matériel {n}", "label": label, "created": created},
                )

        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output

        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, unit_singular, unit_plural FROM resource ORDER BY id")
            ).all()
        assert [(s, p) for _, s, p in rows] == list(OLD_LABELS.values())
