"""With POLE_HTTPS=1 the site insists on HTTPS: HSTS, and https:// links in every mail."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from pole.db import db
from tests.conftest import Client, build_app
from tests.factories import make_organisation, make_user

HSTS = "Strict-Transport-Security"
# On HTTPS, Flask-WTF also checks that a form comes from a page of this site.
FROM_THIS_SITE = {"Referer": "https://localhost/"}


class BehindTlsProxy(Client):
    """Requests as the app gets them from a TLS proxy: plain http, no X-Forwarded-Proto."""

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        kwargs.setdefault("base_url", "http://localhost")
        return super().open(*args, **kwargs)


@pytest.fixture()
def https_app(app: Flask, smtp_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as deployed behind a TLS proxy, with POLE_HTTPS=1 and no POLE_TRUST_PROXY."""
    monkeypatch.setenv("POLE_HTTPS", "1")
    monkeypatch.delenv("POLE_TRUST_PROXY", raising=False)
    secure = build_app(app.config["SQLALCHEMY_DATABASE_URI"], smtp_server[1])
    secure.test_client_class = BehindTlsProxy
    yield secure
    with secure.app_context():
        db.engine.dispose()


def test_https_pages_send_strict_transport_security(https_app):
    response = https_app.test_client().get("/connexion")

    assert response.status_code == 200
    assert response.headers[HSTS].startswith("max-age=31536000")


def test_without_pole_https_there_is_no_hsts(client):
    assert HSTS not in client.get("/connexion").headers


def test_a_reset_mail_links_to_https_even_without_a_trusted_proxy(https_app, mailbox):
    make_user(email="marie@exemple.fr")

    response = https_app.test_client().post(
        "/mot-de-passe-oublie", data={"email": "marie@exemple.fr"}, headers=FROM_THIS_SITE
    )

    assert response.status_code == 302
    assert mailbox.link_to("marie@exemple.fr").startswith("https://localhost/mot-de-passe/")


def test_an_invitation_mail_links_to_https_even_without_a_trusted_proxy(
    https_app, mailbox, login_as
):
    restos = make_organisation()
    browser = login_as(make_user(restos, "coordinator"), on=https_app.test_client())

    response = browser.post(
        f"/organisations/{restos.id}/invitations",
        data={"email": "nouvelle@exemple.fr", "role": "volunteer"},
        headers=FROM_THIS_SITE,
    )

    assert response.status_code in (200, 302, 303)
    assert mailbox.link_to("nouvelle@exemple.fr").startswith("https://localhost/invitation/")


def test_mail_links_follow_the_base_url_not_the_requests_host(client, mailbox):
    make_user(email="marie@exemple.fr")

    evil = "http://evil.example"
    page = client.get("/mot-de-passe-oublie", base_url=evil).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/mot-de-passe-oublie",
        data={"email": "marie@exemple.fr", "csrf_token": token},
        base_url=evil,
        csrf=False,
    )

    assert response.status_code == 302

    # POLE_BASE_URL (http://localhost in the tests): a forged Host never reaches a reset link.
    assert mailbox.link_to("marie@exemple.fr").startswith("http://localhost/mot-de-passe/")
