"""Every link in every mail starts with the building's public address, POLE_BASE_URL: in a
request or in the worker, whatever Host a request carried, with or without SERVER_NAME."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import current_app, has_request_context

from pole import config
from pole.bookings import services as bookings
from pole.outbox.links import mail_domain, mail_url
from pole.waitlist import services as waitlist
from tests.test_permanences import NOW
from tests.test_waitlist import DELAY, wait, world

__all__ = ["world"]  # the fixture this module uses


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"SERVER_NAME": "pole.example.fr"}, "http://pole.example.fr"),
        ({"SERVER_NAME": "pole.example.fr", "POLE_HTTPS": "1"}, "https://pole.example.fr"),
        ({"POLE_BASE_URL": "https://pole.example.fr/"}, "https://pole.example.fr"),
        ({"POLE_BASE_URL": " https://ccas.example.fr/pole ", "SERVER_NAME": "x"},
         "https://ccas.example.fr/pole"),
    ],
    ids=["make-run", "server-name", "server-name-https", "trailing-slash", "under-a-path"],
)  # fmt: skip
def test_the_base_url_setting_and_its_defaults(monkeypatch, env, expected):
    for name in ("POLE_BASE_URL", "SERVER_NAME", "POLE_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    https = config._flag("POLE_HTTPS")
    assert config.base_url(https, env.get("SERVER_NAME")) == expected


@pytest.mark.parametrize(
    "value",
    ["pole.example.fr", "ftp://pole.example.fr", "https://", "https://a.fr/?x=1",
     "https://user:pw@a.fr"],
    ids=["no-scheme", "not-http", "no-host", "query", "login"],
)  # fmt: skip
def test_a_base_url_that_is_not_an_address_stops_the_app_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("POLE_BASE_URL", value)
    with pytest.raises(ValueError, match="POLE_BASE_URL"):
        config.base_url(False, None)


def test_links_are_built_without_a_request_nor_server_name(app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "POLE_BASE_URL", "https://ccas.example.fr/pole/")

    assert (
        mail_url("bookings.show", booking_id=12) == "https://ccas.example.fr/pole/reservations/12"
    )
    assert mail_url("main.home") == "https://ccas.example.fr/pole/"
    assert mail_domain() == "ccas.example.fr"


def test_in_a_request_links_still_follow_the_base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "POLE_BASE_URL", "https://pole.example.fr")
    with app.test_request_context("/", base_url="http://10.0.0.7:8000"):
        assert mail_url("main.home") == "https://pole.example.fr/"


def test_served_over_https_the_links_are_https(app, monkeypatch):
    monkeypatch.setitem(app.config, "POLE_BASE_URL", "http://pole.example.fr")
    monkeypatch.setitem(app.config, "POLE_HTTPS", True)
    assert mail_url("main.home") == "https://pole.example.fr/"


def test_the_workers_waiting_list_turn_links_the_filled_booking_form(world, monkeypatch, mailbox):
    """The next person waiting is told by the worker (no request): her link still works."""
    monkeypatch.setitem(current_app.config, "SERVER_NAME", None)
    monkeypatch.setitem(current_app.config, "POLE_BASE_URL", "https://pole.example.fr")
    wait(world, world.alice, world.restos)
    wait(world, world.chloe, world.epicerie, now=NOW + timedelta(minutes=1))
    told = NOW + timedelta(hours=1)
    bookings.cancel_booking(world.taken.id, world.bob, now=told)
    assert not has_request_context()

    assert waitlist.advance(told + DELAY) == 1

    text = mailbox.to(world.chloe.email).get_content()
    link = re.search(r"Réservez-le ici :\s+(\S+)", text).group(1)
    assert link.startswith("https://pole.example.fr/reservations/nouvelle?")
    assert f"resource_id={world.room.id}" in link and f"organisation_id={world.epicerie.id}" in link


@pytest.mark.parametrize(
    ("env", "base_url", "warned"),
    [
        (None, "http://127.0.0.1:5000", True),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000", False),  # make run sets it
        (None, "https://pole.example.fr", False),  # from SERVER_NAME
    ],
    ids=["default", "make-run", "server-name"],
)
def test_the_worker_warns_when_mail_links_would_point_to_the_default(
    app, monkeypatch, caplog, env, base_url, warned
):
    from pole import worker

    if env is None:
        monkeypatch.delenv("POLE_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("POLE_BASE_URL", env)
    monkeypatch.setitem(app.config, "POLE_BASE_URL", base_url)
    with caplog.at_level("WARNING", logger="pole.worker"):
        worker.warn_of_the_default_base_url(app)
    assert ("POLE_BASE_URL is not set" in caplog.text) is warned
