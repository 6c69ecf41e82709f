"""Template helpers (pole.templating): the addresses a page prints are those url_for builds."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for

from pole import create_app

PAGE = (
    "{{ url_for('bookings.day') }} {{ url_for('static', filename='css/pole.css') }}"
    " {{ url_for('bookings.week', resource_id=3) }}"
    " {{ url_for('bookings.day', date='2026-03-03') }}"
)


@pytest.fixture()
def bare_app():  # noqa: ANN201
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "templating"})


@pytest.mark.parametrize("script_root", ["", "/pole", "/autre"])
def test_the_remembered_addresses_are_url_for_s_under_each_script_root(bare_app, script_root):
    for _ in range(2):  # built, then remembered
        with bare_app.test_request_context("/", base_url=f"http://localhost{script_root}"):
            expected = " ".join(
                [
                    url_for("bookings.day"),
                    url_for("static", filename="css/pole.css"),
                    url_for("bookings.week", resource_id=3),
                    url_for("bookings.day", date="2026-03-03"),
                ]
            )
            assert expected.startswith(f"{script_root}/agenda ")
            assert render_template_string(PAGE) == expected


def test_a_template_rendered_outside_a_request_builds_its_addresses_as_flask_does():
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "t", "SERVER_NAME": "pole.test"}
    )
    with app.app_context():
        assert render_template_string("{{ url_for('bookings.day') }}") == url_for("bookings.day")
