"""`flask pole create-user` and `flask pole demo`, as the person installing Pôle runs them."""

from __future__ import annotations

import re

import pytest

from pole.auth.models import User
from pole.auth.passwords import verify_password
from pole.auth.services import find_user_by_email
from pole.db import db
from pole.organisations.models import Organisation
from pole.resources.models import Resource
from tests.factories import PASSWORD, database_snapshot, make_site, make_user

NEW_PASSWORD = "une phrase de passe neuve"
DEMO = "demo.les4epis.fr"


def pole(app, *args: str, input: str | None = None):  # noqa: ANN001, ANN201
    result = app.test_cli_runner().invoke(args=["pole", *args], input=input)
    db.session.rollback()  # read what the command committed
    return result


def create_user(app, *options: str, password: str = NEW_PASSWORD):  # noqa: ANN001, ANN201
    return pole(
        app,
        "create-user",
        "--email",
        "Gestion@Exemple.fr",
        "--name",
        "Nadia Gestion",
        "--password",
        password,
        *options,
    )


# create-user ----------------------------------------------------------------------------------


def test_create_user_makes_the_first_manager(app, client, auth):
    result = create_user(app)

    assert result.exit_code == 0, result.output
    assert "Compte créé pour" in result.output
    user = find_user_by_email("gestion@exemple.fr")
    assert (user.name, user.is_manager, user.is_social_worker) == ("Nadia Gestion", True, False)
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in result.output
    assert auth.login("gestion@exemple.fr", NEW_PASSWORD).status_code == 302


def test_create_user_asks_what_it_was_not_told(app):
    result = pole(
        app,
        "create-user",
        input=f"gestion@exemple.fr\nNadia Gestion\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert verify_password(find_user_by_email("gestion@exemple.fr").password_hash, NEW_PASSWORD)


def test_create_user_makes_a_social_worker(app):
    result = create_user(app, "--no-manager", "--social-worker")

    assert result.exit_code == 0, result.output
    user = find_user_by_email("gestion@exemple.fr")
    assert (user.is_manager, user.is_social_worker) == (False, True)


def test_create_user_refuses_an_address_that_has_an_account(app):
    make_user(email="gestion@exemple.fr")
    before = database_snapshot()

    result = create_user(app)

    assert result.exit_code == 1
    assert "Un compte existe déjà pour" in result.output
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "options, message",
    [
        pytest.param(("--password", "court"), "au moins 10 caractères", id="short-password"),
        pytest.param(
            ("--email", "gestion.exemple.fr"),
            "« gestion.exemple.fr » n'est pas une adresse e-mail valide",
            id="not-an-email",
        ),
    ],
)
def test_create_user_refuses_what_could_never_log_in(app, options, message):
    before = database_snapshot()

    result = create_user(app, *options)

    assert result.exit_code == 2
    assert message in result.output
    assert database_snapshot() == before


# demo -----------------------------------------------------------------------------------------

ORGANISATIONS = {
    # name: (kind, short name, colour)
    "Épicerie solidaire des 4 ponts": ("association", "Épicerie", "#2f855a"),
    "Restos du cœur": ("association", "Restos", "#c53030"),
    "Secours catholique": ("association", "Secours cath.", "#2b6cb0"),
    "Secours populaire": ("association", "Secours pop.", "#b7791f"),
    "CAF de la Loire": ("partner", "CAF", "#6b46c1"),
    "Mission locale": ("partner", "Mission locale", "#0e7490"),
    "CCAS d'Andrézieux-Bouthéon": ("ccas", "CCAS", "#4a5568"),
}

RESOURCES = {
    # name: (kind, capacity, quantity, who may book)
    "Hall d'accueil": ("room", 80, 1, ["association", "ccas"]),
    "Cuisine équipée": ("room", 12, 1, ["association", "ccas"]),
    "Bureau partagé 1": ("room", 4, 1, ["association", "partner", "ccas"]),
    "Bureau partagé 2": ("room", 4, 1, ["association", "partner", "ccas"]),
    "Vidéoprojecteur": ("equipment", None, 1, ["association", "partner", "ccas"]),
    "Tables pliantes": ("equipment", None, 10, ["association", "ccas"]),
    "Étagères de la chambre froide": ("equipment", None, 6, ["association", "ccas"]),
}

ACCOUNTS = {
    # e-mail: (manager, social worker, {organisation short name: role})
    f"gestion@{DEMO}": (True, False, {"CCAS": "coordinator"}),
    f"as@{DEMO}": (False, True, {"CCAS": "volunteer"}),
    f"coordination.restos@{DEMO}": (False, False, {"Restos": "coordinator"}),
    f"benevole@{DEMO}": (False, False, {"Restos": "volunteer", "Épicerie": "volunteer"}),
    f"partenaire@{DEMO}": (False, False, {"CAF": "coordinator"}),
}


def test_demo_loads_the_4_epis_building(app, monkeypatch):
    monkeypatch.setenv("POLE_DEMO_PASSWORD", PASSWORD)

    result = pole(app, "demo")

    assert result.exit_code == 0, result.output
    organisations = db.session.scalars(db.select(Organisation)).all()
    assert {o.name: (o.kind, o.short_name, o.colour) for o in organisations} == ORGANISATIONS
    resources = db.session.scalars(db.select(Resource).order_by(Resource.position)).all()
    assert {r.name: (r.kind, r.capacity, r.quantity, r.allowed_kinds) for r in resources} == (
        RESOURCES
    )
    assert resources[0].site.name == "Pôle des solidarités Les 4 Épis"
    assert resources[0].site.timezone == "Europe/Paris"


def test_demo_makes_one_account_per_role(app, monkeypatch):
    monkeypatch.setenv("POLE_DEMO_PASSWORD", PASSWORD)

    result = pole(app, "demo")

    users = db.session.scalars(db.select(User)).all()
    assert {
        u.email: (
            u.is_manager,
            u.is_social_worker,
            {m.organisation.short_name: m.role for m in u.memberships},
        )
        for u in users
    } == ACCOUNTS
    for email in ACCOUNTS:
        assert email in result.output


def test_demo_honours_pole_demo_password(app, client, auth, monkeypatch):
    monkeypatch.setenv("POLE_DEMO_PASSWORD", NEW_PASSWORD)

    result = pole(app, "demo")

    assert result.output.count(NEW_PASSWORD) == 1
    assert auth.login(f"benevole@{DEMO}", NEW_PASSWORD).status_code == 302


def test_demo_prints_its_random_password_once(app, monkeypatch):
    monkeypatch.delenv("POLE_DEMO_PASSWORD", raising=False)

    result = pole(app, "demo")

    password = re.search(r"Mot de passe de tous les comptes de démo : (\S+)", result.output)[1]
    assert len(password) >= 10
    assert result.output.count(password) == 1
    manager = find_user_by_email(f"gestion@{DEMO}")
    assert verify_password(manager.password_hash, password)


@pytest.mark.parametrize(
    "options, exit_code, message",
    [
        pytest.param((), 1, "La base n'est pas vide", id="refused"),
        pytest.param(("--if-empty",), 0, "démo non chargée", id="if-empty-does-nothing"),
    ],
)
def test_demo_never_touches_a_building_in_use(app, monkeypatch, options, exit_code, message):
    monkeypatch.setenv("POLE_DEMO_PASSWORD", PASSWORD)
    make_site(name="Notre pôle")
    make_user(email="gestion@exemple.fr", is_manager=True)
    before = database_snapshot()

    result = pole(app, "demo", *options)

    assert result.exit_code == exit_code
    assert message in result.output
    assert database_snapshot() == before


def test_demo_if_empty_loads_an_empty_database(app, monkeypatch):
    monkeypatch.setenv("POLE_DEMO_PASSWORD", PASSWORD)

    assert pole(app, "demo", "--if-empty").exit_code == 0
    assert find_user_by_email(f"gestion@{DEMO}") is not None
