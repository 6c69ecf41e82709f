"""How often one secret link may fetch its feed: a token bucket per link (POLE_FEED_RATE_LIMIT).

The buckets are rows (FeedRateBucket), so that every worker process and every app server
counts the same requests: one link gets its limit, however many processes serve it. Taking a
request is one statement, an UPSERT that refills the bucket for the time elapsed, takes a
token if there is one and returns what is left. A feed request takes it only for a live link
whose verifier hash matches (an INSERT ... SELECT from its FeedToken row): a forged or
revoked link writes nothing. On SQLite it is a short transaction of its own under the write
lock. On PostgreSQL the statement is a CTE of the link's own query (pole.feeds.links), so a
304 costs no statement more than the link's; a feed request runs it as a transaction of its
own (autocommit: no BEGIN nor COMMIT round trip; two requests of one link queue on the row
for that statement only), or joins a transaction already begun, committed at the end of the
request; the table is unlogged (migration 0017), so a commit waits for no disk. Only live
links get a bucket, so the table holds at most one row per link and needs no purge.
"""

from __future__ import annotations

import math
import time

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response, after_this_request, current_app, has_request_context
from sqlalchemy.dialects import postgresql, sqlite

from pole.core import stored_time
from pole.db import db, write_transaction
from pole.feeds.models import FeedRateBucket, FeedToken
from pole.pool import unpinged

_NOW = sa.bindparam("now", type_=sa.Float)
_RATE = sa.bindparam("rate", type_=sa.Float)  # tokens per second
_CAPACITY = sa.bindparam("capacity", type_=sa.Float)
# Constants written into the statement, not bound: shorter, and nothing to bind.
_ZERO, _ONE = sa.literal_column("0", sa.Float), sa.literal_column("1", sa.Float)


def _take_statement(insert, for_link: bool = False) -> sa.Insert:  # noqa: ANN001  (a dialect's insert)
    """Insert a full bucket less one request, or refill the link's bucket and take one.

    `for_link`: only for a live link whose verifier hash is the bound "verifier_hash" (a
    request for an unknown, forged or revoked link touches no bucket; no row to return).
    """
    tokens, at = FeedRateBucket.tokens, FeedRateBucket.at
    # A clock that went back refills nothing; a bucket never holds more than its capacity.
    # (LEAST and GREATEST, not CASEs: the refill is written three times, and the statement
    # is a CTE of the feed link's query, which psycopg parses again above 4 kB.)
    elapsed = stored_time.greatest(_NOW - at, _ZERO, type_=sa.Float)
    refilled = stored_time.least(tokens + elapsed * _RATE, _CAPACITY, type_=sa.Float)
    if for_link:
        link = so.aliased(FeedToken, name="f")
        live = sa.select(link.selector, _CAPACITY - _ONE, _NOW, sa.true()).where(
            link.selector == sa.bindparam("selector"),
            link.verifier_hash == sa.bindparam("verifier_hash"),
            link.revoked_at.is_(None),
        )
        statement = insert(FeedRateBucket).from_select(
            ["selector", "tokens", "at", "granted"], live
        )
    else:
        statement = insert(FeedRateBucket).values(
            selector=sa.bindparam("selector"), tokens=_CAPACITY - 1, at=_NOW, granted=True
        )
    return statement.on_conflict_do_update(
        index_elements=[FeedRateBucket.selector],
        set_={
            "tokens": refilled - sa.case((refilled >= _ONE, _ONE), else_=_ZERO),
            "at": _NOW,
            "granted": refilled >= _ONE,
        },
    ).returning(FeedRateBucket.tokens, FeedRateBucket.granted)


# Built once: the same statement objects each time let SQLAlchemy reuse their compiled form.
_TAKE = {"postgresql": _take_statement(postgresql.insert), "sqlite": _take_statement(sqlite.insert)}
_TAKE_FOR_LINK = {
    "postgresql": _take_statement(postgresql.insert, for_link=True),
    "sqlite": _take_statement(sqlite.insert, for_link=True),
}


def parameters(selector: str, capacity: int, period: float, now: float | None = None) -> dict:
    """The bound values of a take: `capacity` requests refilled evenly over `period` seconds,
    `now` in seconds since the epoch (every process and server must share the clock: NTP)."""
    now = time.time() if now is None else now
    return {
        "selector": selector,
        "now": now,
        "rate": capacity / period,
        "capacity": float(capacity),
    }


def wait_of(tokens: float, granted: bool, parameters: dict) -> int:
    """0 if the take was granted, else whole seconds until the bucket holds one request."""
    return 0 if granted else math.ceil((1 - tokens) / parameters["rate"])


def take_statement(dialect: str) -> sa.Insert:
    """The take for a live link (bound: those of `parameters`, and "verifier_hash")."""
    return _TAKE_FOR_LINK[dialect]


def take_for_link(parameters: dict) -> tuple[float, bool] | None:
    """Take one request from a live link's bucket in a short write transaction of its own
    (SQLite): (tokens left, granted), or None when no live link has this selector and hash."""
    statement = _TAKE_FOR_LINK[db.engine.dialect.name]
    with write_transaction():
        # Through the connection: the ORM's bulk INSERT has no INSERT ... SELECT.
        return db.session.connection().execute(statement, parameters).first()


def take_with_link(statement: sa.Select, parameters: dict) -> sa.Row | None:
    """PostgreSQL: the link's statement with its take (pole.feeds.links), on the primary (a
    write), whatever the replica setting says of this request.

    As a statement of its own (`_statement_per_transaction`) it goes without the pool's pre-ping:
    one round trip instead of two. If its connection was dropped (a restart, a failover), the
    statement failed whole and runs again on a pinged one; at worst, an answer lost after
    the commit counts one take twice: the limit is stricter then, never looser.
    """
    own_transaction = _statement_per_transaction()
    if not own_transaction:  # a transaction already begun: committed after the answer
        row = _execute_on_primary(statement, parameters, {})
        commit_after_request()
        return row
    try:
        with unpinged():
            return _execute_on_primary(statement, parameters, own_transaction)
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        db.session.rollback()
    return _execute_on_primary(statement, parameters, own_transaction)


def _execute_on_primary(statement: sa.Select, parameters: dict, options: dict) -> sa.Row | None:
    connection = db.session.connection(bind_arguments={"bind": db.engine}, **options)
    return connection.execute(statement, parameters).one_or_none()


def _statement_per_transaction() -> dict:
    """PostgreSQL, a request that has not begun a transaction yet: each of its statements is
    a transaction of its own (autocommit), so no BEGIN and no COMMIT round trips.

    The take is one atomic statement, and READ COMMITTED gives each statement its own
    snapshot anyway, so the link and the feed's version read nothing less fresh than in one
    transaction; the bucket's row is held for its statement only, no longer until the
    response. Within a transaction already begun (a test sharing its session), the request
    joins it as before.
    """
    if db.session().in_transaction():
        return {}
    return {"execution_options": {"isolation_level": "AUTOCOMMIT"}}


def commit_after_request() -> None:
    """End the request's transaction, holding the bucket's row, once the answer is made."""
    after_this_request(_commit)


def take(selector: str, capacity: int, period: float, now: float | None = None) -> float:
    """Take one request from the link's bucket: 0 if allowed, else seconds until one is.

    `capacity` requests, refilled evenly over `period` seconds; `now` in seconds since the
    epoch (every process and server must share the clock: NTP).
    """
    now = time.time() if now is None else now
    rate = capacity / period
    parameters = {"selector": selector, "now": now, "rate": rate, "capacity": float(capacity)}
    if db.engine.dialect.name == "postgresql" and has_request_context():
        tokens, granted = db.session.execute(_TAKE["postgresql"], parameters).one()
        after_this_request(_commit)
    else:
        with write_transaction():
            tokens, granted = db.session.execute(_TAKE[db.engine.dialect.name], parameters).one()
    return 0.0 if granted else (1 - tokens) / rate


def _commit(response: Response) -> Response:
    db.session.commit()
    return response


def parse_rate(text: str) -> tuple[int, int] | None:
    """ "60/600" means 60 requests per 600 seconds; "" or "0" turns the limit off."""
    text = (text or "").strip()
    if text in ("", "0"):
        return None
    count, _, seconds = text.partition("/")
    return int(count), int(seconds or 60)


def configured() -> tuple[int, int] | None:
    """POLE_FEED_RATE_LIMIT as (requests, seconds); None when it is off."""
    return parse_rate(current_app.config["POLE_FEED_RATE_LIMIT"])


def retry_after(selector: str) -> int:
    """0 if this link may fetch now, else whole seconds to wait (POLE_FEED_RATE_LIMIT)."""
    rate = configured()
    if rate is None:
        return 0
    wait = take(selector, *rate)
    return math.ceil(wait) if wait else 0
