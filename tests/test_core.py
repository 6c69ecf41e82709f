"""The shared core: reasons go beside their field, French lists, lost races."""

import pytest
import sqlalchemy as sa
from wtforms import Form, IntegerField, StringField

from pole.core.forms import apply_reasons
from pole.core.locks import LOST_RACE, lost_race
from pole.core.refusals import Reason, Refused
from pole.core.text import join_words


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


def test_a_lost_race_is_a_clean_refusal_and_anything_else_is_raised():
    with pytest.raises(Refused) as refused, lost_race(Refused([LOST_RACE])):
        raise _integrity("23P01")
    assert refused.value.reasons == [LOST_RACE]
    with pytest.raises(Refused), lost_race(Refused([LOST_RACE]), exclusion=False, unique=True):
        raise _integrity("23505")
    with pytest.raises(sa.exc.IntegrityError), lost_race(Refused([LOST_RACE])):
        raise _integrity("23505")
