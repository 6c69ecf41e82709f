"""The shared core: reasons go beside their field, French lists, lost races."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from wtforms import Form, IntegerField, StringField

from pole.core.forms import apply_reasons
from pole.core.locks import LOST_RACE, lost_race
from pole.core.refusals import Reason, Refused
from pole.db import db, write_transaction
from pole.formatting import join_words
from tests.factories import make_booking, make_organisation, make_resource


class _Form(Form):
    start = StringField()
    quantity = IntegerField()
    organisation_id = StringField()

    def __init__(self) -> None:
        super().__init__()
        self.form_errors = []

    def shows(self, name: str) -> bool:
        return name != "quantity"


@pytest.mark.parametrize(
    ("field", "beside"),
    [
        ("start", "start"),
        ("organisation", "organisation_id"),
        ("organisation_id", "organisation_id"),
        ("quantity", None),  # hidden: read above the form
        ("", None),
        ("slot", None),  # not on this form
    ],
    ids=["own-field", "select-of-rows", "exact-name", "hidden-field", "whole-form", "unknown"],
)
def test_a_reason_shows_beside_its_field_or_above_the_form(field, beside):
    form = _Form()
    apply_reasons(form, [Reason("x", field, "Non."), Reason("x", field, "Non.")])
    if beside is None:
        assert form.form_errors == ["Non.", "Non."]
    else:
        assert form[beside].errors == ["Non."]
        assert form.form_errors == []


def test_a_refusal_carries_its_reasons_and_names_them():
    refused = Refused.because("Trop tôt.", "start", "early")
    assert refused.reasons == [Reason("early", "start", "Trop tôt.")]
    assert refused.has("early") and not refused.has("late")
    assert str(refused) == "Trop tôt."


@pytest.mark.parametrize(
    ("words", "text"),
    [([], ""), (["lundi"], "lundi"), (["lundi", "mardi"], "lundi et mardi")]
    + [(["lundi", "mardi", "jeudi"], "lundi, mardi et jeudi")],
    ids=["none", "one", "two", "three"],
)
def test_lists_read_the_french_way(words, text):
    assert join_words(words) == text


class _Violation(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("violation")
        self.sqlstate = sqlstate


def _integrity(sqlstate: str) -> sa.exc.IntegrityError:
    return sa.exc.IntegrityError("INSERT", {}, _Violation(sqlstate))


def test_a_lost_race_is_a_clean_refusal_and_anything_else_is_raised(app):
    with pytest.raises(Refused) as refused, lost_race(Refused([LOST_RACE])):
        raise _integrity("23P01")
    assert refused.value.reasons == [LOST_RACE]
    with pytest.raises(Refused), lost_race(Refused([LOST_RACE]), exclusion=False, unique=True):
        raise _integrity("23505")
    with pytest.raises(sa.exc.IntegrityError), lost_race(Refused([LOST_RACE])):
        raise _integrity("23505")


# The iCal change stamp -----------------------------------------------------------------------

STAMP_NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TUESDAY_10 = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)


@pytest.fixture()
def booking(app):
    organisation = make_organisation()
    return make_booking(make_resource(), organisation, TUESDAY_10)


@pytest.mark.parametrize(
    "change",
    [
        lambda b: setattr(b, "title", "Autre titre"),
        lambda b: setattr(b, "status", "cancelled"),
        lambda b: setattr(b, "start", b.start - timedelta(minutes=30)),
    ],
    ids=["title", "status", "start"],
)
def test_any_change_of_a_booking_tells_calendars_once_at_the_write_time(booking, change):
    before = booking.sequence
    with write_transaction(now=STAMP_NOW):
        change(booking)
    assert (booking.sequence, booking.updated_at) == (before + 1, STAMP_NOW)


def test_a_booking_written_unchanged_keeps_its_stamp(booking):
    before = (booking.sequence, booking.updated_at)
    with write_transaction(now=STAMP_NOW):
        booking.title = booking.title
    assert (booking.sequence, booking.updated_at) == before


def test_a_stamp_set_by_hand_is_not_bumped_twice(booking):
    before = booking.sequence
    with write_transaction(now=STAMP_NOW):
        booking.title = "Autre titre"
        booking.sequence += 1
    assert booking.sequence == before + 1


def test_a_change_outside_a_timed_write_is_stamped_with_the_clock(booking):
    before = datetime.now(UTC)
    booking.title = "Autre titre"
    db.session.commit()
    assert booking.updated_at >= before.replace(microsecond=0)
