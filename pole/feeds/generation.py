"""What invalidates every process's built feeds at once: the feed generation, in the database.

A feed's bookings and appointments carry their own version (pole.feeds.sources). But a feed
also shows the names of rooms, organisations, sites and permanences, and the site's address
and time zone: changing one of those bumps one number, in the same transaction, at flush
time whoever made the change. pole.feeds.cache keys built feeds by it, so every process sees
the change when it commits, and none by time alone.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from pole.feeds.models import FeedGeneration
from pole.organisations.models import Organisation
from pole.permanences.models import Permanence
from pole.resources.models import Resource, Site

# What feeds write of each row beside the bookings' and appointments' own columns.
SHOWN_IN_FEEDS: dict[type, frozenset[str]] = {
    Organisation: frozenset({"name", "short_name"}),
    Resource: frozenset({"name", "site_id"}),
    Site: frozenset({"name", "address", "timezone"}),
    Permanence: frozenset({"title", "resource_id", "organisation_id"}),
}

# The generation feeds are built at (0 before any change): a statement to read alone, or to
# fold into another query as a scalar subquery (the feed link's, the public agenda's).
CURRENT = sa.select(sa.func.coalesce(sa.select(FeedGeneration.value).scalar_subquery(), 0))


def current(session: so.Session) -> int:
    """The generation feeds are built at (0 before any change)."""
    return session.execute(CURRENT).scalar_one()


def bump(connection: sa.Connection) -> None:
    """Move every feed to a new generation, in the transaction of `connection`."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(FeedGeneration).values(id=1, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[FeedGeneration.id], set_={"value": FeedGeneration.value + 1}
    )
    connection.execute(statement)


def rewrites_feeds(row: object) -> bool:
    """Whether this changed row changes what some feed writes."""
    shown = SHOWN_IN_FEEDS.get(type(row))
    if shown is None:
        return False
    state = sa.inspect(row)
    return any(state.attrs[key].history.has_changes() for key in shown)


@event.listens_for(so.Session, "before_flush")
def _bump_on_change(session: so.Session, _context: object, _instances: object) -> None:
    # New rows appear in no feed until a booking or an appointment points at them, which
    # changes that feed's own version; a deleted one takes its bookings with it, likewise.
    if any(rewrites_feeds(row) for row in session.dirty):
        bump(session.connection())
