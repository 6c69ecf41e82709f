"""The connection pool's pre-ping, once per request and connection."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event

# A connection that this very request gave back to the pool that recently is not pinged again
# when the request takes it back (a booking POST takes one out twice, a refusal three times):
# it answered a moment ago. Every other checkout, and any in another request, is pinged, so a
# request after a restart of the database still finds its connections replaced.
PING_SKIP_WINDOW = 1.0  # seconds
_MOST_RETURNED = 1000  # connections remembered; the pool holds a few dozen at most
_UNPINGED: ContextVar[bool] = ContextVar("pole_unpinged", default=False)


@contextmanager
def unpinged() -> Iterator[None]:
    """Check connections out without the pre-ping, for a caller that runs one statement on it
    and, if the connection turns out to be dropped, runs it again on a pinged one."""
    token = _UNPINGED.set(True)
    try:
        yield
    finally:
        _UNPINGED.reset(token)


def _request_now() -> object | None:
    return request._get_current_object() if has_request_context() else None


def ping_once_per_request(engine: sa.Engine) -> None:
    """Skip the pool's pre-ping of a connection the same request checked in moments ago."""
    dialect = engine.dialect
    if getattr(dialect, "_pole_ping_once", False):
        return
    dialect._pole_ping_once = True
    # By id of the DBAPI connection: (a weak reference to the request that gave it back, when).
    returned: dict[int, tuple[weakref.ref, float]] = {}

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, _record):  # noqa: ANN001
        if dbapi_connection is None:
            return
        current = _request_now()
        if current is None:
            returned.pop(id(dbapi_connection), None)
            return
        if len(returned) >= _MOST_RETURNED:
            returned.clear()
        returned[id(dbapi_connection)] = (weakref.ref(current), time.monotonic())

    ping = dialect.do_ping

    def do_ping(dbapi_connection: object) -> bool:
        seen = returned.pop(id(dbapi_connection), None)
        if _UNPINGED.get():
            return True
        if seen is not None:
            giver, at = seen
            current = _request_now()
            if (
                current is not None
                and giver() is current
                and time.monotonic() - at < PING_SKIP_WINDOW
            ):
                return True
        return ping(dbapi_connection)

    dialect.do_ping = do_ping
