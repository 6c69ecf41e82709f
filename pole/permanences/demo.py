"""The demo building's permanence: the CCAS social worker, Thursday afternoons, some slots taken."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pole.auth.models import User
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.permanences import services
from pole.permanences.models import Permanence
from pole.resources.models import Resource
from pole.timeutil import local_to_utc, to_local

THURSDAY = 3
DOMAIN = "demo.les4epis.fr"

RESTOS, EPICERIE = "Restos du cœur", "Épicerie solidaire des 4 ponts"
# (weeks after the next Thursday, local time, association, volunteer, purpose, for whom, ref)
APPOINTMENTS = [
    (0, time(14, 0), RESTOS, "benevole", "logement", "beneficiary", "M.D."),
    (0, time(14, 30), RESTOS, "coordination.restos", "budget", "beneficiary", "D-2031"),
    (0, time(15, 30), EPICERIE, "benevole", "droits", "beneficiary", "A.B."),
    (1, time(14, 0), EPICERIE, "benevole", "orientation", "volunteer", ""),
    (1, time(16, 0), RESTOS, "coordination.restos", "sante", "beneficiary", "K.L."),
]


def _one(model, **where):  # noqa: ANN001, ANN202
    return db.session.scalar(db.select(model).filter_by(**where))


def load_permanence(now: datetime | None = None) -> Permanence:
    """A weekly Thursday 14:00–17:00 permanence in Bureau partagé 1, 30-minute slots."""
    now = now or utcnow()
    social_worker = _one(User, email=f"as@{DOMAIN}")
    ccas = _one(Organisation, kind="ccas")
    room = _one(Resource, name="Bureau partagé 1")
    today = to_local(now, room.site.tz).date()
    data = services.PermanenceData(
        resource_id=room.id,
        organisation_id=ccas.id,
        title="Permanence de l'assistante sociale",
        pattern=services.PatternData(
            weekdays=frozenset({THURSDAY}),
            start_time=time(14, 0),
            end_time=time(17, 0),
            slot_minutes=30,
            first_day=today,
            until=today + timedelta(weeks=26),
        ),
    )
    # This Thursday may already be under way: leave out any date the room refuses.
    preview = services.preview_permanence(data, social_worker, now)
    skip = [c.day for c in preview.conflicts]
    permanence = services.publish_permanence(data, social_worker, skip, now)
    first = _next_thursday(today)
    for week, at, org_name, login, purpose, for_whom, ref in APPOINTMENTS:
        volunteer = _one(User, email=f"{login}@{DOMAIN}")
        organisation = _one(Organisation, name=org_name)
        start = local_to_utc(first + timedelta(weeks=week), at, room.site.tz)
        services.book_slot(
            permanence.id,
            start,
            services.AppointmentData(organisation.id, purpose, for_whom, "", ref),
            volunteer,
            now,
        )
    return permanence


def _next_thursday(today: date) -> date:
    """The first Thursday after today, so that every demo appointment is still to come."""
    return today + timedelta(days=(THURSDAY - today.weekday() - 1) % 7 + 1)
