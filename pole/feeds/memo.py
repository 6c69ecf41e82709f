"""Events already written, kept in this process by everything they are written from.

A feed is rebuilt whenever one of its bookings changes (pole.feeds.cache): a room's year is
about five hundred events, and one of them changed. Writing each event (its times converted
to the site's zone, its texts escaped and folded) was most of a rebuild. Each event's text
is kept here, keyed by the whole row it was written from (every column the writer reads, as
the database gave it) and by what the feed adds to it (its kind, whether it shows the
booking's details and the organisation, the booking's link). The same key always gives the
same text, so nothing kept here can be stale: a booking, a room or an organisation that
changes gives another row, hence another key. Only an optimisation, per app and process,
bounded by POLE_FEED_EVENT_MEMO_SIZE (0: off); the oldest half goes when it is full.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from itertools import islice

from flask import current_app

from pole.feeds.ical import Written

MEMO_KEY = "pole.feeds.memo"


class WrittenMemo:
    """Written events by key, up to `size`; looked up without a lock (one dict read)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[Hashable, Written] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Written | None:
        return self._entries.get(key)

    def put(self, key: Hashable, written: Written) -> None:
        if self.size <= 0:
            return
        with self._lock:
            entries = self._entries
            if len(entries) >= self.size:
                # The first half in goes (a dict keeps its order of insertion): cheaper than
                # keeping every hit in order, and what stays is still only ever right.
                for old in list(islice(entries, max(1, len(entries) // 2))):
                    del entries[old]
            entries[key] = written

    def __len__(self) -> int:
        return len(self._entries)


def written_memo() -> WrittenMemo:
    """This app's memo in this process."""
    memo = current_app.extensions.get(MEMO_KEY)
    if memo is None:
        size = current_app.config["POLE_FEED_EVENT_MEMO_SIZE"]
        memo = current_app.extensions.setdefault(MEMO_KEY, WrittenMemo(size))
    return memo


def forget() -> None:
    """Forget what was written (with the built feeds, for tests that empty the database)."""
    current_app.extensions.pop(MEMO_KEY, None)
