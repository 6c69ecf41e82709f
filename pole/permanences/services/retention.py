"""Retention: appointments are deleted some time after their slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from pole.db import db, utcnow, write_transaction
from pole.permanences.models import Appointment

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
        appointments = db.session.execute(
            sa.delete(Appointment).where(Appointment.end < limit)
        ).rowcount
    return Purged(appointments)
