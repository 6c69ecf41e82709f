"""Accounts: logging in and out, argon2id passwords, sessions, invitation and reset links."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from pole.auth.passwords import verify_password
from pole.auth.services import find_user_by_email
from pole.auth.tokens import INVITATION, make_invitation_token
from pole.db import db, utcnow
from tests.conftest import Mailbox, deliver_mail, free_port
from tests.factories import (
    PASSWORD,
    errors_beside,
    make_invitation,
    make_organisation,
    make_user,
    page_text,
)

NEW_PASSWORD = "une phrase de passe neuve"
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
RESET_SENT = "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe"
DAY = 24 * 3600


def logged_in(client) -> bool:  # noqa: ANN001
    return client.get("/compte").status_code == 200


# Logging in and out ---------------------------------------------------------------------------


def test_a_member_logs_in_then_out(client, auth):
    make_user(email="marie@exemple.fr", name="Marie Curie")

    response = auth.login("Marie@Exemple.fr ")
    assert response.status_code == 302
    assert "Bonjour Marie Curie" in page_text(client.get("/"))

    auth.logout()
    assert not logged_in(client)
    assert "Se connecter" in page_text(client.get("/"))


def _without_secrets(response, email: str) -> str:  # noqa: ANN001
    """The page with the typed e-mail and the CSRF tokens blanked out."""
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    return re.sub(r'"[\w-]+\.[\w-]+\.[\w-]+"', '"TOKEN"', body)


@pytest.mark.parametrize(
    "email, password",
    [
        pytest.param("marie@exemple.fr", "pas-le-bon-mot-de-passe", id="wrong-password"),
        pytest.param("ancienne@exemple.fr", PASSWORD, id="inactive-account"),
        pytest.param("invitee@exemple.fr", PASSWORD, id="account-without-password"),
    ],
)
def test_a_failed_login_gives_no_hint_whether_the_email_exists(client, auth, email, password):
    make_user(email="marie@exemple.fr")
    make_user(email="ancienne@exemple.fr", is_active=False)
    make_user(email="invitee@exemple.fr", password_hash=None)

    failed = auth.login(email, password)
    unknown = auth.login("inconnue@exemple.fr", password)

    assert failed.status_code == unknown.status_code == 422
    assert WRONG_LOGIN in page_text(failed)
    assert _without_secrets(failed, email) == _without_secrets(unknown, "inconnue@exemple.fr")
    assert not logged_in(client)


def test_an_htmx_login_with_errors_gets_only_its_form_back(client):
    response = client.post(
        "/connexion",
        data={"email": "inconnue@exemple.fr", "password": "pas-le-bon-mot-de-passe"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert WRONG_LOGIN in page_text(response)
    assert "HX-Request" in response.headers["Vary"]


def test_logging_in_starts_a_new_session(client, auth):
    user = make_user()
    client.get("/connexion")
    with client.session_transaction() as session:
        session["planted"] = "by whoever used this browser before"
    cookie_before = client.get_cookie("session").value

    auth.login(user.email)

    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get_cookie("session").value != cookie_before
    assert logged_in(client)


@pytest.mark.parametrize(
    "next_page, landing",
    [
        pytest.param("/salles/", "/salles/", id="a-page-of-this-site"),
        pytest.param("/organisations/?tri=nom", "/organisations/?tri=nom", id="with-a-query"),
        pytest.param("https://evil.example/", "/", id="another-site"),
        pytest.param("//evil.example/", "/", id="protocol-relative"),
        pytest.param("///evil.example/", "/", id="three-slashes"),
        pytest.param("/\\evil.example/", "/", id="backslash"),
        pytest.param("/\t/evil.example/", "/", id="tab-between-slashes"),
        pytest.param("javascript:alert(1)", "/", id="javascript"),
    ],
)
def test_login_follows_next_only_to_a_page_of_this_site(client, next_page, landing):
    user = make_user()
    response = client.post(
        "/connexion?" + urlencode({"next": next_page}),
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_a_page_that_needs_login_comes_back_after_it(client):
    user = make_user()
    to_login = client.get("/compte")
    assert to_login.status_code == 302

    response = client.post(
        to_login.headers["Location"], data={"email": user.email, "password": PASSWORD}
    )

    assert response.headers["Location"] == "/compte"


def test_remember_me_keeps_me_logged_in_after_the_browser_is_closed(client, auth):
    user = make_user()
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})

    client.delete_cookie("session")

    assert [logged_in(client) for _ in range(3)] == [True, True, True]


def test_logging_out_forgets_remember_me(client, auth):
    user = make_user()
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})

    auth.logout()

    assert not logged_in(client)
    assert client.get_cookie("remember_token") is None


def test_a_session_cookie_replayed_after_logout_is_anonymous(app, client, auth):
    user = make_user()
    auth.login(user.email)
    stolen = client.get_cookie("session").value
    assert logged_in(client)

    auth.logout()

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert not logged_in(replay)


def test_a_remember_cookie_replayed_after_logout_is_anonymous(app, client):
    user = make_user()
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    stolen = client.get_cookie("remember_token").value

    client.post("/deconnexion")

    replay = app.test_client()
    replay.set_cookie("remember_token", stolen)
    assert not logged_in(replay)


def test_the_remember_cookie_is_same_site_lax_and_http_only(client):
    user = make_user()
    response = client.post(
        "/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )

    remember = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    )
    assert "SameSite=Lax" in remember
    assert "HttpOnly" in remember


def test_an_account_deactivated_by_the_manager_loses_its_open_session(client, login_as):
    user = make_user()
    login_as(user)
    assert logged_in(client)

    user.is_active = False
    db.session.commit()

    assert not logged_in(client)


# Passwords ------------------------------------------------------------------------------------


def _created_by_cli(app, client, mailbox, login_as) -> str:  # noqa: ANN001
    app.test_cli_runner().invoke(
        args=["pole", "create-user", "--email", "gestion@exemple.fr", "--name", "Nadia"]
        + ["--password", NEW_PASSWORD]
    )
    return "gestion@exemple.fr"


def _created_by_invitation(app, client, mailbox, login_as) -> str:  # noqa: ANN001
    restos = make_organisation()
    login_as(make_user(restos, "coordinator"))
    client.post(
        f"/organisations/{restos.id}/invitations",
        data={"email": "nouvelle@exemple.fr", "role": "volunteer"},
    )
    link = mailbox.link_to("nouvelle@exemple.fr")
    client.post(link, data={"name": "Nouvelle", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    return "nouvelle@exemple.fr"


def _changed_by_reset(app, client, mailbox, login_as) -> str:  # noqa: ANN001
    make_user(email="marie@exemple.fr")
    client.post("/mot-de-passe-oublie", data={"email": "marie@exemple.fr"})
    link = mailbox.link_to("marie@exemple.fr")
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    return "marie@exemple.fr"


@pytest.mark.parametrize(
    "set_password",
    [
        pytest.param(_created_by_cli, id="flask-pole-create-user"),
        pytest.param(_created_by_invitation, id="accepted-invitation"),
        pytest.param(_changed_by_reset, id="reset-link"),
    ],
)
def test_passwords_are_stored_as_argon2id(app, client, mailbox, login_as, set_password):
    email = set_password(app, client, mailbox, login_as)
    db.session.rollback()  # see what the command or the requests committed

    password_hash = find_user_by_email(email).password_hash

    assert password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in password_hash
    assert verify_password(password_hash, NEW_PASSWORD)


def test_a_reset_link_sets_a_new_password_once(client, auth, mailbox):
    make_user(email="marie@exemple.fr")

    client.post("/mot-de-passe-oublie", data={"email": "marie@exemple.fr"})
    link = mailbox.link_to("marie@exemple.fr")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert logged_in(client)

    again = client.get(link)
    assert again.status_code == 404
    assert "Lien invalide" in page_text(again)
    auth.logout()
    assert auth.login("marie@exemple.fr", PASSWORD).status_code == 422
    assert auth.login("marie@exemple.fr", NEW_PASSWORD).status_code == 302


def test_asking_for_a_reset_says_the_same_for_any_address(client, mailbox):
    make_user(email="marie@exemple.fr")

    known = client.post(
        "/mot-de-passe-oublie", data={"email": "marie@exemple.fr"}, follow_redirects=True
    )
    unknown = client.post(
        "/mot-de-passe-oublie", data={"email": "inconnue@exemple.fr"}, follow_redirects=True
    )

    assert RESET_SENT in page_text(known)
    assert _without_secrets(known, "") == _without_secrets(unknown, "")
    mailbox.to("marie@exemple.fr")  # sent after the answer: wait for it
    assert [message["To"] for message in mailbox.messages] == ["marie@exemple.fr"]


SLOW_SMTP_SECONDS = 2.0


class SlowMailbox(Mailbox):
    """An SMTP server that takes its time to accept a message, as a busy relay does."""

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        await asyncio.sleep(SLOW_SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture()
def slow_smtp(app, monkeypatch) -> Iterator[SlowMailbox]:  # noqa: ANN001
    from aiosmtpd.controller import Controller

    box = SlowMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    # The web process's outbox thread sends the mail once the answer is committed.
    monkeypatch.setitem(app.config, "POLE_MAIL_KICK", True)
    yield box
    controller.stop()


def test_a_reset_request_does_not_wait_for_a_slow_mail_server(app, client, slow_smtp):
    make_user(email="marie@exemple.fr")
    token = client.csrf_token()

    timings = {}
    for email in ("marie@exemple.fr", "inconnue@exemple.fr"):
        started = time.perf_counter()
        response = client.post("/mot-de-passe-oublie", data={"email": email, "csrf_token": token})
        timings[email] = time.perf_counter() - started
        assert response.status_code == 302

    assert max(timings.values()) < SLOW_SMTP_SECONDS / 4, timings
    deliver_mail(app)  # the worker's turn: a reset mail is not sent by the web process
    assert "/mot-de-passe/" in slow_smtp.link_to("marie@exemple.fr")


def test_a_reset_link_fails_once_the_password_changed_otherwise(client, mailbox, login_as):
    user = make_user(email="marie@exemple.fr")
    client.post("/mot-de-passe-oublie", data={"email": "marie@exemple.fr"})
    link = mailbox.link_to("marie@exemple.fr")

    login_as(user)
    client.post(
        "/compte",
        data={
            "password-current": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )

    assert client.get(link).status_code == 404


def test_changing_my_password_logs_out_my_other_devices(app, client, login_as):
    user = make_user()
    phone = login_as(user, on=app.test_client())
    login_as(user)
    assert logged_in(phone)

    response = client.post(
        "/compte",
        data={
            "password-current": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(phone)


def test_a_reset_logs_out_every_session_opened_before(app, client, mailbox, login_as):
    user = make_user(email="marie@exemple.fr")
    old_session = login_as(user, on=app.test_client())
    client.post("/mot-de-passe-oublie", data={"email": "marie@exemple.fr"})

    client.post(
        mailbox.link_to("marie@exemple.fr"),
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert logged_in(client)
    assert not logged_in(old_session)


def test_changing_password_needs_the_current_one(client, login_as):
    user = make_user()
    login_as(user)

    response = client.post(
        "/compte",
        data={
            "password-current": "pas-le-bon-mot-de-passe",
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 422
    assert errors_beside(response, "password-current") == [
        "Ce n'est pas votre mot de passe actuel."
    ]
    assert logged_in(client)


@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "only-spaces"])
def test_my_name_cannot_be_blank(client, login_as, name):
    user = make_user(name="Marie Curie")
    login_as(user)

    response = client.post("/compte", data={"account-name": name, "account-phone": ""})

    assert response.status_code == 422
    assert errors_beside(response, "account-name") == ["Indiquez votre nom."]
    db.session.refresh(user)
    assert user.name == "Marie Curie"


# Invitation links -----------------------------------------------------------------------------


def _signed_days_ago(app, invitation_id: int, days: float) -> str:  # noqa: ANN001
    class SignedThen(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * DAY)

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=INVITATION, signer=SignedThen
    )
    return serializer.dumps({"i": invitation_id})


@pytest.mark.parametrize(
    "days_ago, status",
    [
        pytest.param(0, 200, id="today"),
        pytest.param(6.9, 200, id="almost-seven-days"),
        pytest.param(7.1, 404, id="over-seven-days"),
        pytest.param(30, 404, id="a-month"),
    ],
)
def test_an_invitation_link_lasts_seven_days(app, client, days_ago, status):
    invitation = make_invitation(make_organisation())

    response = client.get(f"/invitation/{_signed_days_ago(app, invitation.id, days_ago)}")

    assert response.status_code == status
    if status == 404:
        assert "Lien invalide" in page_text(response)


def test_the_invitation_lifetime_is_configurable(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "POLE_INVITATION_MAX_AGE", 3600)
    invitation = make_invitation(make_organisation())

    assert client.get(f"/invitation/{_signed_days_ago(app, invitation.id, 0)}").status_code == 200
    assert client.get(f"/invitation/{_signed_days_ago(app, invitation.id, 0.1)}").status_code == 404


def test_an_invitation_link_works_once(app, client):
    invitation = make_invitation(make_organisation(), email="nouvelle@exemple.fr")
    link = f"/invitation/{make_invitation_token(invitation.id)}"
    accept = {"name": "Nouvelle", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(link, data=accept).status_code == 302

    someone_else = app.test_client()
    again = someone_else.get(link)
    reused = someone_else.post(
        link, data={**accept, "password": "une autre phrase", "confirm": "une autre phrase"}
    )

    assert again.status_code == reused.status_code == 404
    assert "Lien invalide" in page_text(again)
    assert not logged_in(someone_else)
    db.session.rollback()
    assert verify_password(find_user_by_email("nouvelle@exemple.fr").password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("revoked", id="revoked-by-the-coordinator"),
        pytest.param("tampered", id="id-changed-by-hand"),
        pytest.param("other-key", id="signed-by-another-server"),
    ],
)
def test_a_broken_invitation_link_is_refused(app, client, broken):
    invitation = make_invitation(make_organisation())
    token = make_invitation_token(invitation.id)
    if broken == "revoked":
        invitation.revoked_at = utcnow()
        db.session.commit()
    elif broken == "tampered":
        # The id of this invitation pasted into the link of another one.
        received = make_invitation_token(make_invitation(invitation.organisation).id)
        token = token.split(".")[0] + received[received.index(".") :]
    else:
        token = URLSafeTimedSerializer("another-secret", salt=INVITATION).dumps(
            {"i": invitation.id}
        )

    response = client.get(f"/invitation/{token}")

    assert response.status_code == 404
    assert "Lien invalide" in page_text(response)


def test_joining_needs_a_name(client):
    invitation = make_invitation(make_organisation())
    link = f"/invitation/{make_invitation_token(invitation.id)}"

    response = client.post(
        link, data={"name": "   ", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 422
    assert errors_beside(response, "name") == ["Indiquez votre nom."]
    assert client.get(link).status_code == 200  # the link still works
