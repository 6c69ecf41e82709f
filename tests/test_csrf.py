"""Every change is a POST that carries the CSRF token, in the form or in htmx's header."""

from __future__ import annotations

import pytest

from pole.auth.tokens import make_invitation_token, make_reset_token
from tests.factories import (
    PASSWORD,
    database_snapshot,
    make_invitation,
    make_organisation,
    make_resource,
    make_user,
    page_text,
)

NEW_PASSWORD = "une phrase de passe neuve"
EXPIRED_FORM = "Le formulaire a expiré ou n'est pas valide."
HTMX = {"HX-Request": "true"}


class Building:
    """A small building: an association with its coordinator and a volunteer, and a manager."""

    def __init__(self) -> None:
        self.association = make_organisation()
        self.coordinator = make_user(self.association, "coordinator")
        self.volunteer = make_user(self.association, "volunteer")
        self.manager = make_user(is_manager=True)
        self.invitation = make_invitation(self.association)
        self.resource = make_resource()
        self.membership = self.volunteer.memberships[0]


def _org(b: Building) -> str:
    return f"/organisations/{b.association.id}"


NEW_RESOURCE = {"name": "Salle", "kind": "room", "quantity": "1", "allowed_kinds": ["association"]}

# id: (who is logged in, url, form data)
FORMS = {
    "login": (
        None,
        lambda b: "/connexion",
        lambda b: {"email": b.manager.email, "password": PASSWORD},
    ),
    "logout": ("manager", lambda b: "/deconnexion", lambda b: {}),
    "edit-my-account": ("manager", lambda b: "/compte", lambda b: {"account-name": "Pirate"}),
    "change-my-password": (
        "manager",
        lambda b: "/compte",
        lambda b: {
            "password-current": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    ),
    "ask-for-a-reset-link": (
        None,
        lambda b: "/mot-de-passe-oublie",
        lambda b: {"email": b.manager.email},
    ),
    "reset-a-password": (
        None,
        lambda b: f"/mot-de-passe/{make_reset_token(b.manager.id, b.manager.password_hash)}",
        lambda b: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    "accept-an-invitation": (
        None,
        lambda b: f"/invitation/{make_invitation_token(b.invitation.id)}",
        lambda b: {"name": "Pirate", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    "create-an-organisation": (
        "manager",
        lambda b: "/organisations/nouvelle",
        lambda b: {
            "name": "Pirates",
            "short_name": "P",
            "kind": "association",
            "colour": "#000000",
        },
    ),
    "edit-an-organisation": (
        "manager",
        lambda b: f"{_org(b)}/modifier",
        lambda b: {
            "name": "Pirates",
            "short_name": "P",
            "kind": "association",
            "colour": "#000000",
        },
    ),
    "invite-a-member": (
        "coordinator",
        lambda b: f"{_org(b)}/invitations",
        lambda b: {"email": "pirate@exemple.fr", "role": "volunteer"},
    ),
    "revoke-an-invitation": (
        "coordinator",
        lambda b: f"{_org(b)}/invitations/{b.invitation.id}/annuler",
        lambda b: {},
    ),
    "remove-a-member": (
        "coordinator",
        lambda b: f"{_org(b)}/membres/{b.membership.id}/retirer",
        lambda b: {},
    ),
    "appoint-a-coordinator": (
        "manager",
        lambda b: f"{_org(b)}/membres/{b.membership.id}/role",
        lambda b: {"role": "coordinator"},
    ),
    "add-a-resource": ("manager", lambda b: "/salles/nouvelle", lambda b: NEW_RESOURCE),
    "edit-a-resource": (
        "manager",
        lambda b: f"/salles/{b.resource.id}/modifier",
        lambda b: NEW_RESOURCE,
    ),
}


@pytest.mark.parametrize("headers", [pytest.param({}, id="form"), pytest.param(HTMX, id="htmx")])
@pytest.mark.parametrize("form", FORMS)
def test_a_post_without_token_is_refused_and_changes_nothing(
    client, login_as, mailbox, form, headers
):
    building = Building()
    who, url, data = FORMS[form]
    if who:
        login_as(getattr(building, who))
    before = database_snapshot()

    response = client.post(url(building), data=data(building), headers=headers, csrf=False)

    assert response.status_code == 400
    assert EXPIRED_FORM in page_text(response)
    assert database_snapshot() == before
    assert mailbox.messages == []
    assert (client.get("/compte").status_code == 200) is bool(who)


def test_a_token_from_another_browser_is_refused(app, client, login_as):
    building = Building()
    login_as(building.coordinator)
    stranger_token = app.test_client().csrf_token()
    before = database_snapshot()

    response = client.post(
        f"{_org(building)}/invitations",
        data={"email": "pirate@exemple.fr", "role": "volunteer", "csrf_token": stranger_token},
    )

    assert response.status_code == 400
    assert database_snapshot() == before


def test_htmx_requests_send_the_token_in_a_header(client, login_as, mailbox):
    """static/js/pole.js copies the page's csrf-token meta into X-CSRFToken."""
    building = Building()
    login_as(building.coordinator)

    response = client.post(
        f"{_org(building)}/invitations",
        data={"email": "nouvelle@exemple.fr", "role": "volunteer"},
        headers={**HTMX, "X-CSRFToken": client.csrf_token()},
        csrf=False,
    )

    assert response.status_code == 302
    assert mailbox.to("nouvelle@exemple.fr")


def test_logging_out_with_the_header_token(client, login_as):
    login_as(make_user())

    response = client.post(
        "/deconnexion", headers={**HTMX, "X-CSRFToken": client.csrf_token()}, csrf=False
    )

    assert response.status_code == 302
    assert client.get("/compte").status_code == 302


def test_changes_are_never_made_by_a_get(client, login_as):
    building = Building()
    login_as(building.manager)

    assert client.get("/deconnexion").status_code == 405
    assert (
        client.get(f"{_org(building)}/membres/{building.membership.id}/retirer").status_code == 405
    )
    assert client.get("/compte").status_code == 200
