"""Every page asked by htmx (HX-Request) answers as it does to a plain request, never a 500.

A page rendered as a fragment (pole.htmx.render with a block) runs that block alone: what the
template sets up outside it, such as a `{% from … import %}` at its top, does not exist there.
The fuzz tests ask every page plainly; this asks every GET route both ways, as each kind of
person, on a building where each route's ids exist.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from pole.db import db, utcnow
from pole.resources.models import Closure
from pole.seasons.services import plan
from pole.timeutil import local_day_bounds, to_local
from tests.factories import (
    make_booking,
    make_group,
    make_organisation,
    make_permanence,
    make_quota,
    make_resource,
    make_season,
    make_user,
)


@pytest.fixture()
def building(app):
    """A room, its group and quota, people, a booking, a permanence, a closure, a season with
    a request: an id for each argument of the GET routes."""
    now = utcnow()
    hall = make_resource(name="Hall")
    site = hall.site
    restos = make_organisation(name="Restos du cœur")
    ccas = make_organisation(kind="ccas", name="CCAS")
    manager = make_user(ccas, role="coordinator", is_manager=True)
    coordinator = make_user(restos, role="coordinator")
    volunteer = make_user(restos)
    social_worker = make_user(ccas, is_social_worker=True)
    today = to_local(now, site.tz).date()
    day = today + timedelta(days=9)
    start, _ = local_day_bounds(day, site.tz)
    booking = make_booking(hall, restos, start + timedelta(hours=10), created_by=volunteer)
    permanence = make_permanence(social_worker, now=now)
    group = make_group("Les salles", hall)
    quota = make_quota(group_id=group.id)
    closure = Closure(site_id=site.id, start=start, end=start + timedelta(days=1), reason="Férié")
    season = make_season(site.id)
    db.session.add(closure)
    db.session.commit()
    asked = plan.submit_request(
        season,
        plan.RequestData(
            restos.id,
            hall.id,
            frozenset({0}),
            time(18),
            time(20),
            season.first_day,
            season.first_day + timedelta(days=30),
        ),
        coordinator,
    )
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    slot = local_day_bounds(thursday, site.tz)[0] + timedelta(hours=14)
    values = {
        "resource_id": hall.id,
        "booking_id": booking.id,
        "organisation_id": restos.id,
        "permanence_id": permanence.id,
        "site_id": site.id,
        "group_id": group.id,
        "quota_id": quota.id,
        "season_id": season.id,
        "request_id": asked.id,
        "user_id": volunteer.id,
        "appointment_id": 1,
        "key": slot.strftime("%Y%m%dT%H%MZ"),
        "day": thursday.isoformat(),
        "year": str(today.year),
        "token": "x",
    }
    people = {
        "manager": manager,
        "coordinator": coordinator,
        "volunteer": volunteer,
        "social worker": social_worker,
    }
    return values, people


def _get_paths(app, values: dict) -> list[str]:  # noqa: ANN001
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(values[argument]), path)
        paths.append(path)
    return sorted(paths)


@pytest.mark.parametrize("who", ["manager", "coordinator", "volunteer", "social worker"])
def test_every_page_asked_by_htmx_answers_as_plainly_asked(app, client, login_as, building, who):
    values, people = building
    login_as(people[who])
    paths = _get_paths(app, values)
    assert len(paths) > 60
    answered = []
    for path in paths:
        plain = client.get(path)
        fragment = client.get(path, headers={"HX-Request": "true"})
        assert plain.status_code < 500, (path, plain.get_data(as_text=True)[-1500:])
        assert fragment.status_code < 500, (path, fragment.get_data(as_text=True)[-1500:])
        assert fragment.status_code == plain.status_code, path
        answered.append(plain.status_code)
    # The ids are real: pages open (not a test of 404s and 403s).
    assert answered.count(200) >= 30, answered
