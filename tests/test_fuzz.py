"""Every form of the app, posted with odd values: never a 5xx, and a refusal changes nothing.

The endpoints come from the app's url_map and the field names from every form class, so a
new form is fuzzed without touching this file. Each request starts from plausible values
(a room, an association, a date on an open weekday) and hypothesis swaps some of them for
the shapes that once answered 500: far dates, blank hours, NUL bytes, 400-digit numbers,
ids beyond what a database integer holds. POLE_FUZZ_EXAMPLES raises the count for a
bigger local run; POLE_FUZZ_REPORT=path appends the statuses seen.
"""

from __future__ import annotations

import collections
import json
import os
import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from pole.db import db, utcnow
from pole.resources.models import Closure
from pole.timeutil import local_day_bounds, to_local
from tests.factories import (
    database_snapshot,
    make_booking,
    make_invitation,
    make_organisation,
    make_permanence,
    make_resource,
    make_site,
    make_user,
)

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("POLE_FUZZ_EXAMPLES", "12"))
REPORT = os.environ.get("POLE_FUZZ_REPORT", "")
OPEN_HOURS = {str(day): [[8 * 60, 19 * 60]] for day in range(5)}  # Monday to Friday

# The shapes that once made a 500, then a little of everything.
NASTY_TEXT = [
    "",
    "   ",
    "\x00",
    "Atelier\x00cuisine",
    "ligne\nsuivante",
    "\t",
    "9999-12-31",
    "0001-01-01",
    "31/12/9999",
    "99991231T2359Z",
    "00010101T0000Z",
    "4" * 400,
    "-" + "4" * 400,
    str(2**31),
    str(2**63),
    "-1",
    "0",
    "7",
    "24:00",
    "02:30",
    "23:59",
    "é" * 300,
    "<script>alert(1)</script>",
]
NASTY_IDS = [str(2**31), str(2**31 - 1), str(2**63), str(2**64), "4" * 400, "0"]


def _all_form_fields() -> dict[str, None]:
    """Every field name of every form of the app (ordered, without duplicates)."""
    import pole.auth.forms
    import pole.bookings.forms
    import pole.bookings.manage_forms
    import pole.organisations.forms
    import pole.permanences.forms
    import pole.resources.forms  # noqa: F401

    names: dict[str, None] = {}
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for name in dir(form_class):
            if hasattr(getattr(form_class, name, None), "field_class"):
                names.setdefault(name, None)
    names.pop("csrf_token", None)
    # The account page holds two forms, told apart by a prefix.
    for prefixed in ("account-name", "account-phone", "password-current", "password-password"):
        names.setdefault(prefixed, None)
    return names


def _post_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    # Logging out would end the very session the fuzzing runs in.
    return sorted((r for r in rules if r.endpoint != "auth.logout"), key=lambda r: r.rule)


def _get_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments]
    return sorted((r for r in rules if r.endpoint != "static"), key=lambda r: r.rule)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


@pytest.fixture()
def building(app):
    """A small pôle: a room open on weekdays, pooled chairs, a permanence, people, a closure."""
    now = utcnow()
    site = make_site()
    room = make_resource(site, name="Salle du lundi", opening_hours=OPEN_HOURS)
    chairs = make_resource(
        site,
        name="Chaises",
        kind="equipment",
        quantity=40,
        unit_singular="chaise",
        unit_plural="chaises",
        opening_hours=OPEN_HOURS,
    )
    association = make_organisation(name="Les 4 Ponts")
    ccas = make_organisation(kind="ccas", name="CCAS")
    manager = make_user(ccas, role="coordinator", is_manager=True)
    volunteer = make_user(association)
    social_worker = make_user(ccas, is_social_worker=True)
    today = to_local(now, site.tz).date()
    tuesday = _next_weekday(today + timedelta(days=7), 1)
    start, _ = local_day_bounds(tuesday, site.tz)
    booking = make_booking(room, association, start + timedelta(hours=10), created_by=volunteer)
    permanence = make_permanence(social_worker, now=now)
    invitation = make_invitation(association)
    closure = Closure(site_id=site.id, start=start, end=start + timedelta(days=1), reason="Férié")
    db.session.add(closure)
    db.session.commit()
    thursday = _next_weekday(today, 3)
    slot_start = local_day_bounds(thursday, site.tz)[0] + timedelta(hours=14)
    ids = {
        "resource_id": room.id,
        "booking_id": booking.id,
        "organisation_id": association.id,
        "permanence_id": permanence.id,
        "closure_id": closure.id,
        "invitation_id": invitation.id,
        "membership_id": volunteer.memberships[0].id,
        "appointment_id": 1,
        "subject_id": association.id,
    }
    known = [str(n) for n in (room.id, chairs.id, association.id, ccas.id, booking.id)]
    base = {
        "title": "Atelier cuisine",
        "name": "Atelier",
        "short_name": "Atelier",
        "date": tuesday.isoformat(),
        "start": "14:00",
        "end": "15:00",
        "end_date": "",
        "resource_id": str(room.id),
        "organisation_id": str(association.id),
        "quantity": "2",
        "interval": "1",
        "count": "3",
        "weekdays": "1",
        "start_date": tuesday.isoformat(),
        "first_day": today.isoformat(),
        "until": (today + timedelta(weeks=6)).isoformat(),
        "start_time": "14:00",
        "end_time": "16:00",
        "slot_minutes": "30",
        "purpose": "logement",
        "for_whom": "beneficiary",
        "reason": "Travaux",
        "role": "volunteer",
        "kind": "association",
        "colour": "#2f855a",
        "email": "quelquun@exemple.fr",
        "scope": "one",
        "position": "1",
        "account-name": "Nadia",
        "account-phone": "06 12 34 56 78",
    }
    slot_key = slot_start.strftime("%Y%m%dT%H%MZ")
    strings = {"key": slot_key, "day": thursday.isoformat(), "kind": "organisation"}
    return {
        "users": {"manager": manager.id, "volunteer": volunteer.id},
        "ids": ids,
        "strings": strings,
        "base": base,
        "known": known,
    }


def _value(known: list[str]) -> st.SearchStrategy[str]:
    """A field's value: a plausible one, one of the nasty shapes, or any short text."""
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=12),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(date.isoformat),
        st.times().map(lambda t: t.strftime("%H:%M")),
    )


def _url(rule: Rule, building: dict, overrides: dict[str, str]) -> str:
    path = rule.rule
    for argument in rule.arguments:
        value = overrides.get(argument)
        if value is None:
            value = str(building["ids"].get(argument) or building["strings"].get(argument, "x"))
        path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", value, path)
    return path


def _arguments(rule: Rule) -> st.SearchStrategy[dict[str, str]]:
    """Path arguments: kept plausible, or an id beyond the databases, or a nasty string."""
    parts = {}
    for argument in sorted(rule.arguments):
        converter = type(rule._converters[argument]).__name__
        if "Int" in converter or "Id" in converter:
            nasty = st.sampled_from(NASTY_IDS)
        else:
            nasty = st.sampled_from([t for t in NASTY_TEXT if t and "\n" not in t])
        # Mostly the real value, so the request goes past the loader into the form.
        parts[argument] = st.one_of(st.none(), st.none(), st.none(), nasty)
    return st.fixed_dictionaries(parts)


class Tally:
    def __init__(self) -> None:
        self.statuses: collections.Counter[int] = collections.Counter()

    def write(self, backend: str, what: str) -> None:
        if REPORT:
            with open(REPORT, "a") as out:
                counts = dict(sorted(self.statuses.items()))
                line = {"backend": backend, "what": what, "statuses": counts}
                out.write(json.dumps(line) + "\n")


def _login(app, client, login_as, user_id: int):  # noqa: ANN001, ANN202
    from pole.auth.models import User

    db.session.expire_all()
    return login_as(db.session.get(User, user_id), on=client)


def _post_once(app, client, building, rule, overrides, form, tally) -> None:  # noqa: ANN001
    url = _url(rule, building, overrides)
    if "\x00" in url:
        url = url.replace("\x00", "%00")
    before = database_snapshot()
    response = client.post(url, data=form)
    tally.statuses[response.status_code] += 1
    assert response.status_code < 500, (url, form, response.get_data(as_text=True)[-2000:])
    if 400 <= response.status_code < 500:
        after = database_snapshot()
        changed = {t for t in before if before[t] != after[t]}
        assert not changed, (url, form, response.status_code, changed)


FUZZ_SETTINGS = settings(
    database=None,
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _form_fuzzer(rule: Rule, base: dict, fields: list[str], known: list[str], send):  # noqa: ANN001, ANN202
    @FUZZ_SETTINGS
    @given(
        overrides=_arguments(rule),
        changes=st.dictionaries(st.sampled_from(fields), st.none() | _value(known), max_size=6),
    )
    def fuzz(overrides: dict, changes: dict) -> None:
        form = dict(base)
        for name, value in changes.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = value
        send(rule, overrides, form)

    return fuzz


def _page_fuzzer(rule: Rule, known: list[str], send):  # noqa: ANN001, ANN202
    names = ["date", "du", "slot", "organisation_id", "refresh", "fermer"]

    @FUZZ_SETTINGS
    @given(
        overrides=_arguments(rule),
        query=st.dictionaries(st.sampled_from(names), _value(known), max_size=2),
    )
    def fuzz(overrides: dict, query: dict) -> None:
        send(rule, overrides, query)

    return fuzz


def _run_all(fuzzers: list) -> None:
    """Run every endpoint's fuzzer, then report all the endpoints that failed at once."""
    failures = []
    for rule, fuzz in fuzzers:
        try:
            fuzz()
        except Exception as failure:  # an app error propagates in tests; it is a 500 in production
            failures.append(f"{rule.rule}: {type(failure).__name__}: {str(failure)[:1500]}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.mark.parametrize("who", ["manager", "volunteer"])
def test_no_form_answers_5xx_and_a_refusal_changes_nothing(
    app, client, login_as, building, backend, who
):
    fields = list(_all_form_fields())
    base = {
        name: value
        for name, value in building["base"].items()
        if name in fields or name.endswith("_id")
    }
    tally = Tally()

    def send(rule: Rule, overrides: dict, form: dict) -> None:
        _login(app, client, login_as, building["users"][who])
        _post_once(app, client, building, rule, overrides, form, tally)

    rules = _post_rules(app)
    _run_all([(rule, _form_fuzzer(rule, base, fields, building["known"], send)) for rule in rules])
    tally.write(backend, f"POST as {who}")
    assert sum(tally.statuses.values()) >= len(rules) * EXAMPLES


@pytest.mark.parametrize("who", ["manager", "volunteer"])
def test_no_page_answers_5xx_whatever_its_url_or_date(
    app, client, login_as, building, backend, who
):
    tally = Tally()

    def send(rule: Rule, overrides: dict, query: dict) -> None:
        _login(app, client, login_as, building["users"][who])
        url = _url(rule, building, overrides).replace("\x00", "%00")
        response = client.get(url, query_string=query)
        tally.statuses[response.status_code] += 1
        assert response.status_code < 500, (url, query, response.get_data(as_text=True)[-1500:])

    rules = _get_rules(app) + [r for r in app.url_map.iter_rules() if r.rule == "/agenda"]
    _run_all([(rule, _page_fuzzer(rule, building["known"], send)) for rule in rules])
    tally.write(backend, f"GET as {who}")
