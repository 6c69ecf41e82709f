"""WTForms' attributes written by pole.core.html: byte for byte what WTForms writes."""

from __future__ import annotations

import random
import re

import pytest
from markupsafe import Markup
from wtforms.widgets import core

import pole.forms  # noqa: F401  (puts the fast html_params in WTForms' place)
from pole.core.html import WTFORMS_HTML_PARAMS, WTFORMS_SELECT_CALL, html_params, select_html
from tests.factories import make_organisation, make_resource, make_user

KEYS = ("id", "name", "type", "value", "class_", "for_", "data_hx_get", "aria_describedby",
        "aria_invalid", "required", "checked", "min", "max", "step", "data_x_")  # fmt: skip
VALUES = ("", "09:00", 'a "quoted" <b>&</b> l\'été', "Bureau partagé 1", 0, 7, 2.5, None,
          True, False, Markup('<i class="x">ok</i>'), Markup("déjà &amp; échappé"))  # fmt: skip


def test_the_fast_attributes_are_wtforms_own_byte_for_byte():
    rng = random.Random(12)
    for _ in range(3000):
        kwargs = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randrange(0, 8))}
        ours, theirs = html_params(**kwargs), WTFORMS_HTML_PARAMS(**kwargs)
        assert (type(ours), str(ours)) == (type(theirs), str(theirs)), kwargs


def test_every_widget_writes_with_the_fast_attributes():
    assert core.html_params is html_params
    assert core.Input.html_params is html_params and core.Button.html_params is html_params
    assert core.Select.__call__ is select_html


CHOICE_VALUES = ("", "weekly", 'a "q" <b>&</b> l\'été', 0, 7, 12345, True, False, None,
                 Markup("<i>m</i>"))  # fmt: skip
CHOICE_LABELS = ("", "Choisissez…", 'Bureau "partagé" <1> & l\'été', 3, None,
                 Markup('<b class="x">déjà &amp;</b>'))  # fmt: skip


def test_the_fast_select_is_wtforms_own_byte_for_byte(app):
    from wtforms import Form, SelectChoice, SelectField, SelectMultipleField
    from wtforms.validators import InputRequired

    class Choices(Form):
        one = SelectField("Un", validate_choice=False, coerce=str)
        many = SelectMultipleField("Plusieurs", validate_choice=False, coerce=str)
        given = SelectField("Requis", validate_choice=False, validators=[InputRequired()])

    rng = random.Random(14)
    for _ in range(1500):
        form = Choices()
        for field in form:
            field.choices = [
                SelectChoice(
                    rng.choice(CHOICE_VALUES),
                    rng.choice(CHOICE_LABELS),
                    render_kw={"data_x": "1"} if rng.random() < 0.05 else None,
                    optgroup="G" if rng.random() < 0.03 else None,
                )
                for _ in range(rng.randrange(0, 6))
            ]
            picked = rng.choice([c.value for c in field.choices] or [None])
            field.data = [str(picked)] if field.name == "many" else str(picked)
            kwargs = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randrange(0, 4))}
            kwargs.pop("name", None)
            ours = select_html(field.widget, field, **kwargs)
            theirs = WTFORMS_SELECT_CALL(field.widget, field, **kwargs)
            assert (type(ours), str(ours)) == (type(theirs), str(theirs)), field.choices


@pytest.fixture()
def booking_form_page(app, client, login_as):
    restos = make_organisation(name="Restos du cœur")
    make_resource(name="Hall d'accueil")
    make_resource(name='Bureau "partagé" <1>')
    login_as(make_user(restos))

    def page() -> str:
        html = client.get("/reservations/nouvelle").get_data(as_text=True)
        return re.sub(r'(name="csrf_token" type="hidden" value|content)="[^"]+"', r"\1=…", html)

    return page


def test_a_booking_form_is_the_same_page_with_wtforms_own_attributes(
    booking_form_page, monkeypatch
):
    ours = booking_form_page()
    monkeypatch.setattr(core, "html_params", WTFORMS_HTML_PARAMS)
    monkeypatch.setattr(core.Input, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
    monkeypatch.setattr(core.Button, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
    monkeypatch.setattr("wtforms.widgets.html_params", WTFORMS_HTML_PARAMS)
    theirs = booking_form_page()
    assert "<select" in ours and 'id="resource_id"' in ours
    assert ours == theirs
