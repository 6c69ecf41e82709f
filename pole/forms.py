"""What every form shares: text without control characters, bounded dates and numbers."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import InputRequired, StopValidation

from pole.core.html import use_fast_html_params

use_fast_html_params()  # WTForms' attributes, written ten times faster (pole.core.html)

# The dates a person can mean in this tool: a booking, a closure, a permanence, a page.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
DAY_RANGE_MESSAGE = "Choisissez une date entre 2000 et 2099."
# Integer columns hold 32 bits on PostgreSQL; no number a person types here comes near.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_DATE_FR = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


def clean_line(value: object) -> object:
    """A single-line value: line breaks and tabs become a space, other control characters go."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", value))


def clean_text(value: object) -> object:
    """A multi-line value keeps its line breaks and tabs; NUL and other control characters go."""
    if not isinstance(value, str):
        return value
    return _CONTROL_IN_TEXT.sub("", value)


def fits_integer(form: FlaskForm, field: Field) -> None:
    """A number the database can store; 400 digits are not a quantity anyone means.

    It runs first and stops the chain: NumberRange would turn such a number into a float.
    """
    if isinstance(field.data, int) and not INT_MIN <= field.data <= INT_MAX:
        field.errors[:] = []
        raise StopValidation("Ce nombre est bien trop grand.")


def check_day(day: date) -> date:
    """The day if it lies between 2000 and 2099; ValueError with a French message otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(DAY_RANGE_MESSAGE)
    return day


def parse_day(text: str) -> date:
    """'2026-03-14' (what date inputs send) or '14/03/2026' as a date between 2000 and 2099."""
    text = (text or "").strip()
    try:
        return check_day(date.fromisoformat(text))
    except ValueError as error:
        if str(error) == DAY_RANGE_MESSAGE:
            raise
    match = _DATE_FR.match(text)
    if match:
        try:
            return check_day(date(int(match[3]), int(match[2]), int(match[1])))
        except ValueError as error:
            if str(error) == DAY_RANGE_MESSAGE:
                raise
    raise ValueError("Indiquez une date comme 14/03/2026.")


class DayField(StringField):
    """A calendar date between 2000 and 2099, picked or typed."""

    def __init__(self, label: str, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_day(valuelist[0])

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class Given(InputRequired):
    """InputRequired that also refuses a value of only spaces (which would parse to nothing)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = field.raw_data[0] if field.raw_data else ""
        if isinstance(raw, str) and raw.strip():
            return
        if raw and not isinstance(raw, str):
            return
        field.errors[:] = []
        raise StopValidation(self.message or "Ce champ est obligatoire.")


@cache
def _wtforms_translations(locale: str) -> support.Translations:
    """WTForms' own messages in that language, read from their file once per process.

    Flask-WTF reads and parses the file again in every request that shows one of them.
    """
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form: text fields are cleaned, integer fields bounded, for all at once.

    Single-line fields (names, phone, titles, reasons) lose their control characters, a line
    break becoming a space; text areas keep line breaks. NUL never reaches the database, which
    PostgreSQL would refuse with an error.
    """

    class Meta:
        def get_translations(self, form):  # noqa: ANN001, ANN201
            translations = super().get_translations(form)
            if (
                translations is None
                or not has_request_context()
                or "babel" not in current_app.extensions
            ):
                return translations
            return _wtforms_translations(str(get_locale()))

        def bind_field(self, form, unbound_field, options):  # noqa: ANN001, ANN201
            field_class = unbound_field.field_class
            kwargs = unbound_field.kwargs
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                clean = clean_text if issubclass(field_class, TextAreaField) else clean_line
                options["filters"] = [clean, *(kwargs.get("filters") or ())]
            elif issubclass(field_class, IntegerField):
                options["validators"] = [fits_integer, *(kwargs.get("validators") or ())]
            return unbound_field.bind(form=form, **options)
