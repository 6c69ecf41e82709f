"""The home page shows each demo account what matters to their role."""

from __future__ import annotations

import re

import pytest

from pole import demo
from pole.db import db
from pole.organisations.models import Organisation
from tests.factories import PASSWORD, page_text

ROLE_PANELS = ("Gestion du bâtiment", "Mes permanences")
MANAGER_LINKS = ('href="/organisations/nouvelle"', 'href="/salles/nouvelle"')

# account (None: a visitor): (role panels, "Mes organisations" as listed, manager links)
HOMES = {
    None: ([], None, False),
    "gestion": (
        ["Gestion du bâtiment"],
        ["CCAS d'Andrézieux-Bouthéon CCAS · Coordinateur·rice"],
        True,
    ),
    "as": (["Mes permanences"], ["CCAS d'Andrézieux-Bouthéon CCAS · Bénévole"], False),
    "coordination.restos": ([], ["Restos du cœur Association · Coordinateur·rice"], False),
    "benevole": (
        [],
        [
            "Épicerie solidaire des 4 ponts Association · Bénévole",
            "Restos du cœur Association · Bénévole",
        ],
        False,
    ),
    "partenaire": ([], ["CAF de la Loire Partenaire · Coordinateur·rice"], False),
}


def my_organisations(page: str) -> list[str] | None:
    """The "Mes organisations" list as read on screen, one line per organisation."""
    section = re.search(r'aria-labelledby="my-orgs">(.*?)</section>', page, re.DOTALL)
    if section is None:
        return None
    items = re.findall(r'<li class="org-chip[^"]*">(.*?)</li>', section[1], re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.mark.parametrize("account", HOMES, ids=lambda account: account or "visitor")
def test_each_demo_account_has_a_home_page_for_its_role(app, client, auth, account):
    demo.load(PASSWORD)
    if account:
        assert auth.login(f"{account}@{demo.DOMAIN}").status_code == 302

    home = client.get("/")

    page = page_text(home)
    panels, organisations, manages = HOMES[account]
    assert home.status_code == 200
    assert [panel for panel in ROLE_PANELS if f">{panel}</h2>" in page] == panels
    assert my_organisations(page) == organisations
    assert all(link in page for link in MANAGER_LINKS) is manages
    assert any(link in page for link in MANAGER_LINKS) is manages
    assert ("Se connecter" in page) is (account is None)


def test_a_visitor_sees_the_building_and_its_rooms(app, client):
    demo.load(PASSWORD)

    page = page_text(client.get("/"))

    assert "Pôle des solidarités Les 4 Épis" in page
    assert "Hall d'accueil" in page and "Cuisine équipée" in page
    assert 'href="/connexion"' in page


def test_a_coordinator_reaches_their_organisation_from_home(app, client, auth):
    demo.load(PASSWORD)
    restos = db.session.scalar(db.select(Organisation).where(Organisation.short_name == "Restos"))
    auth.login(f"coordination.restos@{demo.DOMAIN}")

    assert f'href="/organisations/{restos.id}"' in client.get("/").get_data(as_text=True)

    organisation = page_text(client.get(f"/organisations/{restos.id}"))
    assert "Bernard Coordination" in organisation
    assert "Monique Bénévole" in organisation
    assert "Inviter un membre" in organisation
