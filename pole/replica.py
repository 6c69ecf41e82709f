"""Reads that may come from a read replica (POLE_READ_REPLICA_URL), and only those.

When one PostgreSQL is no longer enough, a streaming replica takes the reads that tolerate
being a moment behind: the calendar feeds (polled by thousands of calendar apps; a feed a
second late is still right the next time it is polled) and the manager's reports (a year of
bookings, counted). Those requests' SELECTs go to the replica; everything else, and every
write of those requests (a feed link's rate-limit bucket), goes to the primary. Never from a
replica: the booking form's and the permanence's checks, quotas, the grids people book from,
logins and their throttle, anything read before a write: they must see the last commit.
Without the setting everything reads the primary.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session

REPLICA_KEY = "pole.replica"
# The endpoints whose reads may be a moment behind (GET and HEAD only).
REPLICA_READS = frozenset(
    {
        "feeds.fetch_feed",
        "feeds.fetch_public_agenda",
        "reports.index",
        "reports.export_csv",
        "reports.export_xlsx",
        "reports.attestation",
    }
)


def reads_from_replica() -> bool:
    """Whether this request's reads may go to the replica (one is configured or not)."""
    return (
        has_request_context()
        and request.method in ("GET", "HEAD")
        and request.endpoint in REPLICA_READS
    )


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending the SELECTs of replica-read requests to the replica."""

    def get_bind(
        self,
        mapper: t.Any | None = None,
        clause: t.Any | None = None,
        bind: sa.Engine | sa.Connection | None = None,
        **kwargs: t.Any,
    ) -> sa.Engine | sa.Connection:
        # Whether a replica is configured is asked before the request is looked at: without
        # one (SQLite, most deployments) no statement pays for reads_from_replica().
        if (
            bind is None
            and isinstance(clause, sa.Select)
            and clause._for_update_arg is None  # a lock is taken on the primary
            and (replica := current_app.extensions.get(REPLICA_KEY)) is not None
            and reads_from_replica()
        ):
            return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def init_app(app: Flask) -> None:
    """Open the replica's engine when POLE_READ_REPLICA_URL is set."""
    from pole.config import engine_options, normalised_url
    from pole.db import hide_values

    url = (app.config.get("POLE_READ_REPLICA_URL") or "").strip()
    if not url:
        app.extensions.pop(REPLICA_KEY, None)
        return
    url = normalised_url(url)
    engine = sa.create_engine(url, **engine_options(url=url))
    hide_values(engine)
    app.extensions[REPLICA_KEY] = engine


def dispose(app: Flask) -> None:
    """Close the replica's pooled connections (tests, forks)."""
    engine = app.extensions.get(REPLICA_KEY)
    if engine is not None:
        engine.dispose()
