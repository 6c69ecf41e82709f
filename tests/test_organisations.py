"""Organisations: coordinators invite members, managers appoint coordinators and edit names."""

from __future__ import annotations

import pytest

from pole.auth.models import User
from pole.auth.tokens import make_invitation_token
from pole.db import db
from pole.organisations.models import Invitation, Membership, Organisation
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_invitation,
    make_organisation,
    make_user,
    page_text,
)

NEW_PASSWORD = "une phrase de passe neuve"


def memberships(organisation: Organisation) -> dict[str, str]:
    """Who belongs to the organisation, as committed: e-mail → role."""
    db.session.rollback()
    rows = db.session.execute(
        db.select(Membership.role, Membership.user_id).where(
            Membership.organisation_id == organisation.id
        )
    ).all()

    return {db.session.get(User, user_id).email: role for role, user_id in rows}


def invitations(organisation: Organisation) -> list[tuple[str, str]]:
    db.session.rollback()
    return [
        (i.email, i.role)
        for i in db.session.scalars(
            db.select(Invitation).where(Invitation.organisation_id == organisation.id)
        )
    ]


def invite(client, organisation: Organisation, **fields):  # noqa: ANN001, ANN201
    data = {"email": "nouvelle@exemple.fr", "name": "", "role": "volunteer", **fields}
    return client.post(f"/organisations/{organisation.id}/invitations", data=data)


# Inviting -------------------------------------------------------------------------------------


def test_a_coordinator_invites_a_member_who_joins_and_logs_in(app, client, auth, login_as, mailbox):
    restos = make_organisation(name="Restos du cœur")
    login_as(make_user(restos, "coordinator", name="Bernard"))

    response = invite(client, restos, email="Nouvelle@Exemple.fr", name="Nina")
    assert response.status_code == 302
    assert "Invitation envoyée à nouvelle@exemple.fr" in page_text(client.get(response.location))

    mail = mailbox.to("nouvelle@exemple.fr")
    assert "Restos du cœur" in mail["Subject"]
    assert "Bernard vous invite" in mail.get_content()

    newcomer = app.test_client()
    link = mailbox.link_to("nouvelle@exemple.fr")
    form = newcomer.get(link)
    assert form.status_code == 200
    assert 'value="Nina"' in form.get_data(as_text=True)
    accepted = newcomer.post(
        link, data={"name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert accepted.status_code == 302
    assert "Bienvenue dans Restos du cœur" in page_text(newcomer.get("/"))
    assert memberships(restos)["nouvelle@exemple.fr"] == "volunteer"

    newcomer.post("/deconnexion")
    assert auth.login("nouvelle@exemple.fr", NEW_PASSWORD).status_code == 302
    assert "Restos du cœur" in page_text(client.get("/"))


def test_the_manager_invites_a_coordinator(client, login_as, mailbox):
    restos = make_organisation()
    login_as(make_user(is_manager=True))

    response = invite(client, restos, role="coordinator")

    assert response.status_code == 302
    assert invitations(restos) == [("nouvelle@exemple.fr", "coordinator")]
    assert mailbox.to("nouvelle@exemple.fr")


def test_an_invited_coordinator_joins_as_coordinator(client):
    restos = make_organisation()
    invitation = make_invitation(restos, email="chef@exemple.fr", role="coordinator")

    client.post(
        f"/invitation/{make_invitation_token(invitation.id)}",
        data={"name": "Cheffe", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert memberships(restos) == {"chef@exemple.fr": "coordinator"}


def test_a_coordinator_cannot_appoint_coordinators(client, login_as, mailbox):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))
    other_coordinator = make_user(restos, "coordinator")
    volunteer = make_user(restos, "volunteer")
    members_before = memberships(restos)

    invited = invite(client, restos, role="coordinator")
    promoted = client.post(
        f"/organisations/{restos.id}/membres/{volunteer.memberships[0].id}/role",
        data={"role": "coordinator"},
    )
    removed = client.post(
        f"/organisations/{restos.id}/membres/{other_coordinator.memberships[0].id}/retirer"
    )

    assert invited.status_code == 422
    assert errors_beside(invited, "role")
    assert (promoted.status_code, removed.status_code) == (403, 403)
    assert invitations(restos) == []
    assert mailbox.messages == []
    assert memberships(restos) == members_before


def test_a_coordinator_is_only_offered_the_volunteer_role(client, login_as):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))

    page = client.get(f"/organisations/{restos.id}").get_data(as_text=True)

    assert 'value="volunteer"' in page
    assert 'value="coordinator"' not in page


@pytest.mark.parametrize(
    "fields, field, message",
    [
        pytest.param({"email": ""}, "email", "Indiquez son adresse e-mail.", id="no-email"),
        pytest.param(
            {"email": "marie.exemple.fr"},
            "email",
            "Saisissez une adresse e-mail valide, par exemple marie@exemple.fr.",
            id="not-an-email",
        ),
        pytest.param(
            {"name": "N" * 121},
            "name",
            "120 caractères au plus.",
            id="name-too-long",
        ),
    ],
)
def test_an_invalid_invitation_is_shown_again_with_the_error_beside_the_field(
    client, login_as, mailbox, fields, field, message
):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))

    response = invite(client, restos, **fields)

    assert response.status_code == 422
    assert message in " ".join(errors_beside(response, field))
    assert invitations(restos) == []
    assert mailbox.messages == []


def test_inviting_someone_already_in_the_organisation_is_refused(client, login_as, mailbox):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))
    make_user(restos, email="marie@exemple.fr")

    response = invite(client, restos, email="MARIE@exemple.fr")

    assert response.status_code == 422
    assert errors_beside(response, "email") == ["Cette personne est déjà membre de l'organisation."]
    assert invitations(restos) == []


def test_an_htmx_invitation_with_errors_swaps_only_the_members_block(client, login_as):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))

    response = client.post(
        f"/organisations/{restos.id}/invitations",
        data={"email": "pas-une-adresse", "role": "volunteer"},
        headers={"HX-Request": "true"},
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<div id="members"')
    assert "<html" not in body
    assert errors_beside(response, "email")
    assert "HX-Request" in response.headers["Vary"]


def test_a_coordinator_revokes_an_invitation_and_its_link_dies(client, login_as):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))
    invitation = make_invitation(restos)

    response = client.post(f"/organisations/{restos.id}/invitations/{invitation.id}/annuler")

    assert response.status_code == 302
    assert client.get(f"/invitation/{make_invitation_token(invitation.id)}").status_code == 404


# Members and coordinators ---------------------------------------------------------------------


def test_a_coordinator_removes_a_volunteer(client, login_as):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator", email="chef@exemple.fr"))
    volunteer = make_user(restos, "volunteer", name="Marie")

    response = client.post(
        f"/organisations/{restos.id}/membres/{volunteer.memberships[0].id}/retirer"
    )

    assert response.status_code == 302
    assert memberships(restos) == {"chef@exemple.fr": "coordinator"}
    assert "Marie ne fait plus partie" in page_text(client.get(response.location))


def test_the_manager_appoints_and_demotes_a_coordinator(client, login_as):
    restos = make_organisation()
    login_as(make_user(is_manager=True))
    make_user(restos, "coordinator", email="chef@exemple.fr")
    volunteer = make_user(restos, "volunteer", email="marie@exemple.fr")
    url = f"/organisations/{restos.id}/membres/{volunteer.memberships[0].id}/role"

    client.post(url, data={"role": "coordinator"})
    assert memberships(restos)["marie@exemple.fr"] == "coordinator"

    client.post(url, data={"role": "volunteer"})
    assert memberships(restos)["marie@exemple.fr"] == "volunteer"


@pytest.mark.parametrize(
    "action, data, message",
    [
        pytest.param("retirer", {}, "C'est le dernier coordinateur", id="remove"),
        pytest.param(
            "role",
            {"role": "volunteer"},
            "Il faut au moins un coordinateur ou une coordinatrice",
            id="make-volunteer",
        ),
    ],
)
def test_the_last_coordinator_stays(client, login_as, action, data, message):
    restos = make_organisation()
    login_as(make_user(is_manager=True))
    coordinator = make_user(restos, "coordinator", email="chef@exemple.fr")
    make_user(restos, "volunteer", email="marie@exemple.fr")

    response = client.post(
        f"/organisations/{restos.id}/membres/{coordinator.memberships[0].id}/{action}", data=data
    )

    assert message in page_text(client.get(response.location))
    assert memberships(restos) == {
        "chef@exemple.fr": "coordinator",
        "marie@exemple.fr": "volunteer",
    }


# One association never acts on another --------------------------------------------------------

# id: (method, path under the other organisation, form data)
ACTIONS_ON_B = {
    "view": ("get", "", None),
    "invite": ("post", "/invitations", {"email": "pirate@exemple.fr", "role": "volunteer"}),
    "remove-a-member": ("post", "/membres/{membership}/retirer", {}),
    "set-a-role": ("post", "/membres/{membership}/role", {"role": "coordinator"}),
    "revoke-an-invitation": ("post", "/invitations/{invitation}/annuler", {}),
    "edit": ("post", "/modifier", {"name": "Pirates", "short_name": "P", "colour": "#000000"}),
}


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
@pytest.mark.parametrize("action", ACTIONS_ON_B)
def test_a_member_of_one_association_cannot_act_on_another(client, login_as, mailbox, role, action):
    a, b = make_organisation(name="Restos du cœur"), make_organisation(name="Secours populaire")
    login_as(make_user(a, role))
    member_of_b = make_user(b, "volunteer")
    invitation = make_invitation(b)
    method, path, data = ACTIONS_ON_B[action]
    path = path.format(membership=member_of_b.memberships[0].id, invitation=invitation.id)
    before = database_snapshot()

    if method == "get":
        response = client.get(f"/organisations/{b.id}{path}")
    else:
        response = client.post(f"/organisations/{b.id}{path}", data=data)

    assert response.status_code in (403, 404)
    assert "Secours populaire" not in page_text(response)
    assert database_snapshot() == before
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("/membres/{membership}/retirer", id="remove-B-member-through-A"),
        pytest.param("/invitations/{invitation}/annuler", id="revoke-B-invitation-through-A"),
    ],
)
def test_a_coordinator_cannot_reach_another_association_through_their_own(client, login_as, target):
    a, b = make_organisation(), make_organisation()
    login_as(make_user(a, "coordinator"))
    path = target.format(
        membership=make_user(b).memberships[0].id, invitation=make_invitation(b).id
    )
    before = database_snapshot()

    response = client.post(f"/organisations/{a.id}{path}")

    assert response.status_code == 404
    assert database_snapshot() == before


def test_a_member_lists_only_their_own_organisations(client, login_as):
    restos, epicerie = make_organisation(name="Restos du cœur"), make_organisation(name="Épicerie")
    make_organisation(name="Secours populaire")
    volunteer = make_user(restos)
    db.session.add(Membership(user=volunteer, organisation=epicerie))
    db.session.commit()
    login_as(volunteer)

    page = page_text(client.get("/organisations/"))

    assert "Restos du cœur" in page and "Épicerie" in page
    assert "Secours populaire" not in page


# The manager's organisations ------------------------------------------------------------------

TAKEN = "Une organisation porte déjà ce nom."
ORGANISATION = {
    "name": "Secours populaire",
    "short_name": "Secours pop.",
    "kind": "association",
    "colour": "#B7791F",
    "email": "",
}


def test_the_manager_lists_every_organisation_in_french_alphabetical_order(client, login_as):
    for name, kind in [
        ("Secours populaire", "association"),
        ("Épicerie solidaire", "association"),
        ("restos du cœur", "association"),
        ("CAF de la Loire", "partner"),
        ("CCAS", "ccas"),
    ]:
        make_organisation(name=name, kind=kind)
    login_as(make_user(is_manager=True))

    page = page_text(client.get("/organisations/"))

    names = ["Épicerie solidaire", "restos du cœur", "Secours populaire", "CCAS", "CAF de la Loire"]
    assert sorted(names, key=page.index) == names


def test_the_manager_creates_an_organisation(client, login_as):
    login_as(make_user(is_manager=True))

    response = client.post("/organisations/nouvelle", data=ORGANISATION)

    assert response.status_code == 302
    created = db.session.scalar(
        db.select(Organisation).where(Organisation.name == "Secours populaire")
    )
    assert (created.short_name, created.kind, created.colour) == (
        "Secours pop.",
        "association",
        "#b7791f",
    )
    colours = client.get("/organisations.css").get_data(as_text=True)
    assert f".org-{created.id}{{--org-colour:#b7791f}}" in colours


def test_the_manager_edits_an_organisation(client, login_as):
    caf = make_organisation(name="CAF", kind="partner")
    login_as(make_user(is_manager=True))

    response = client.post(
        f"/organisations/{caf.id}/modifier",
        data={**ORGANISATION, "name": "CAF de la Loire", "short_name": "CAF", "kind": "partner"},
    )

    assert response.status_code == 302
    db.session.refresh(caf)
    assert (caf.name, caf.colour) == ("CAF de la Loire", "#b7791f")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        pytest.param({"name": "Restos du cœur"}, "name", TAKEN, id="taken"),
        pytest.param({"name": "RESTOS DU CŒUR"}, "name", TAKEN, id="taken-in-capitals"),
        pytest.param({"name": "ÉPICERIE SOLIDAIRE"}, "name", TAKEN, id="taken-accented-capitals"),
        pytest.param({"name": " Restos du cœur  "}, "name", TAKEN, id="taken-with-spaces"),
        pytest.param({"name": ""}, "name", "Indiquez le nom.", id="no-name"),
        pytest.param({"name": "   "}, "name", "Indiquez le nom.", id="blank-name"),
        pytest.param({"short_name": " "}, "short_name", "Indiquez un nom court.", id="blank-short"),
        pytest.param(
            {"colour": "rouge"},
            "colour",
            "Une couleur au format #RRVVBB, par exemple #c53030.",
            id="colour-in-words",
        ),
        pytest.param(
            {"colour": "#c5303"},
            "colour",
            "Une couleur au format #RRVVBB, par exemple #c53030.",
            id="colour-too-short",
        ),
        pytest.param(
            {"colour": "#c53030\n"},
            "colour",
            "Une couleur au format #RRVVBB, par exemple #c53030.",
            id="colour-then-newline",
        ),
        pytest.param({"kind": "club"}, "kind", "N'est pas un choix valide.", id="unknown-kind"),
    ],
)
@pytest.mark.parametrize("page", ["nouvelle", "{id}/modifier"], ids=["create", "edit"])
def test_an_invalid_organisation_is_refused_with_the_error_beside_the_field(
    client, login_as, page, fields, field, message
):
    make_organisation(name="Restos du cœur")
    make_organisation(name="Épicerie solidaire")
    editing = make_organisation(name="Secours populaire")
    login_as(make_user(is_manager=True))
    before = database_snapshot()

    response = client.post(
        f"/organisations/{page.format(id=editing.id)}", data={**ORGANISATION, **fields}
    )

    assert response.status_code == 422
    assert message in errors_beside(response, field)
    assert database_snapshot() == before


@pytest.mark.parametrize("page", ["nouvelle", "{id}/modifier"], ids=["create", "edit"])
def test_only_the_manager_creates_or_edits_organisations(client, login_as, page):
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))
    before = database_snapshot()

    response = client.post(f"/organisations/{page.format(id=restos.id)}", data=ORGANISATION)

    assert response.status_code == 403
    assert database_snapshot() == before
    assert client.get(f"/organisations/{page.format(id=restos.id)}").status_code == 403


def test_organisation_pages_need_a_login(client):
    restos = make_organisation()

    response = client.get(f"/organisations/{restos.id}")

    assert response.status_code == 302
    assert response.location.startswith("/connexion")
