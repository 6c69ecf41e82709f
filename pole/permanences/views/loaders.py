"""Loaders of the permanence screens: parse a slot or a day, 404/403 in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import abort
from flask_login import current_user

from pole import permissions
from pole.db import db
from pole.forms import FIRST_DAY, LAST_DAY
from pole.permanences.models import Appointment, Permanence
from pole.permanences.patterns import SLOT_KEY
from pole.timeutil import to_local


def parse_slot_key(key: str) -> datetime:
    """A slot's UTC start from its key, or 404 for a key that names no slot we could hold."""
    try:
        start = datetime.strptime(key, SLOT_KEY).replace(tzinfo=UTC)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= start.date() <= LAST_DAY:
        abort(404)  # and local times near year 1 or 9999 would overflow
    return start


def parse_day(value: str) -> date:
    """A date in a URL, 2000 to 2099, or 404."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(404)
    return day


def get_permanence(permanence_id: int, manage: bool = False) -> Permanence:
    """Load a permanence or 404; with `manage`, 403 for anyone but its social worker or manager."""
    permanence = db.get_or_404(Permanence, permanence_id)
    if manage and not permissions.can_manage_permanence(current_user, permanence):
        abort(403)
    return permanence


def get_day_sheet(permanence_id: int) -> Permanence:
    """Load a permanence whose appointments only its social worker reads, or 404/403."""
    permanence = get_permanence(permanence_id)
    if not permissions.can_see_day_sheet(current_user, permanence):
        abort(403)
    return permanence


def get_appointment(appointment_id: int) -> Appointment:
    """Load an appointment or 404; 403 unless it is the viewer's association's or sheet's."""
    appointment = db.get_or_404(Appointment, appointment_id)
    if not permissions.can_see_appointment(current_user, appointment):
        abort(403)
    return appointment


def monday_of(now: datetime) -> date:
    day = to_local(now, site_tz()).date()
    return day - timedelta(days=day.weekday())


def site_tz():  # noqa: ANN202
    from pole.sites.services import current_site

    site = current_site()
    return site.tz if site else UTC
