"""Pôle with no mail written for a booking: the baseline of "booking POST + its mail".

Served by gunicorn next to the real app (bench/run.py, `bench.quiet:app`): the same app, the
same database, only the listener that writes the booking mails into the outbox is left out.
"""

from __future__ import annotations

from pole import create_app
from pole.events import record
from pole.notifications import listeners

app = create_app()
record._listeners[:] = [(p, f) for p, f in record._listeners if f is not listeners.note]
