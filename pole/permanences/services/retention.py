"""Retention: appointments are deleted some time after their slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from pole.db import db, utcnow, write_transaction
from pole.permanences.models import Appointment
from pole.reports.models import AppointmentCount

# Retention ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    appointments: int


def purge(retention_days: int, now: datetime | None = None) -> Purged:
    """Delete appointments whose slot ended more than `retention_days` ago."""
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    now = now or utcnow()
    limit = now - timedelta(days=retention_days)
    with write_transaction():
        _keep_counts(limit)
        appointments = db.session.execute(
            sa.delete(Appointment).where(Appointment.end < limit)
        ).rowcount
    return Purged(appointments)


def _keep_counts(limit: datetime) -> None:
    """Keep, anonymous, how many appointments the purge deletes, by month, permanence,
    association, purpose and outcome: the year's report must outlive the rows."""
    rows = db.session.execute(
        sa.select(
            Appointment.permanence_id,
            Appointment.organisation_id,
            Appointment.purpose,
            Appointment.status,
            Appointment.day,
            sa.func.count(),
        )
        .where(Appointment.end < limit)
        .group_by(
            Appointment.permanence_id,
            Appointment.organisation_id,
            Appointment.purpose,
            Appointment.status,
            Appointment.day,
        )
    ).all()
    counts: dict[tuple, int] = {}
    for permanence_id, organisation_id, purpose, status, day, count in rows:
        key = (day.replace(day=1), permanence_id, organisation_id, purpose, status)
        counts[key] = counts.get(key, 0) + count
    db.session.add_all(
        AppointmentCount(
            month=month,
            permanence_id=permanence_id,
            organisation_id=organisation_id,
            purpose=purpose,
            status=status,
            count=count,
        )
        for (month, permanence_id, organisation_id, purpose, status), count in counts.items()
    )
