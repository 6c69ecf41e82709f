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
        # Every token (the form's, the logout's, the site picker's, the meta's) carries the
        # second it was signed: two renders a second apart differ there alone.
        return re.sub(r'(name="csrf_token"[^>]*?value|content)="[^"]+"', r"\1=…", html)

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


HELPS = (None, "", "Par exemple « Distribution ». L'été <b>&</b>", Markup("<i>déjà</i> &amp;"))
CLASSES = ("field", "field wide", 'a "b" <c>')


@pytest.mark.parametrize(
    "formdata",
    [
        {},
        {"title": "<x> & 'y'", "date": "2027-01-05", "start": "9h", "end": "10:00", "repeat": "y"},
        {"title": " ", "date": "abc", "start": "99:00", "quantity": "0", "is_public": "y"},
        {"expected_people": "9" * 30, "description": "d" * 2100, "count": "0", "until": "x"},
    ],
    ids=["empty", "filled", "bad", "too-big"],
)
def test_the_python_field_is_the_macro_byte_for_byte(app, formdata):
    from werkzeug.datastructures import MultiDict

    from pole.bookings.forms import BookingForm, EditForm
    from pole.core.html import form_field

    with app.test_request_context():
        macro = app.jinja_env.get_template("_forms.html").module.field_in_jinja
        for form_class in (BookingForm, EditForm):
            form = form_class(formdata=MultiDict(formdata), meta={"csrf": False})
            form.validate()
            if form_class is BookingForm:
                form.organisation_id.choices = [("", "Choisissez…"), ("1", "Restos <&>")]
                form.resource_id.choices = [(1, "Hall d'accueil")]
            for f in form:
                for help in HELPS:
                    for class_ in CLASSES:
                        ours, theirs = form_field(f, help, class_), macro(f, help, class_)
                        assert (type(ours), str(ours)) == (type(theirs), str(theirs)), f.name
