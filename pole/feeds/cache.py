"""Built feeds, kept in this process by the version of their sources.

Building a year of a room takes a few milliseconds, but a calendar app asks every hour
whether anything changed. Each source gives a cheap version (a count and the last change of
its rows, one aggregate query); built feeds are kept in this process by version, so an
unchanged feed is answered from memory. Rows only change through the booking and permanence
services, which bump `sequence` and `updated_at`; renaming a room or an organisation shows
once the cached copy expires (POLE_FEED_CACHE_SECONDS).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from pole.feeds import ical, ratelimit, sources
from pole.feeds.bookings import booking_link
from pole.feeds.feed import Feed, Window, current_window

CACHE_KEY = "pole.feeds.cache"


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    etag: str  # strong: the body's hash
    last_modified: datetime


def build(
    feed: Feed, window: Window, link: Callable[[int], str] | None, last_change: datetime
) -> BuiltFeed:
    """Write the feed from its sources: the same rows always give the same bytes."""
    events: list[ical.Event] = []
    for source in sources.EVENT_SOURCES[feed.kind]:
        events.extend(source.load(feed, window, link))
    body = ical.to_ics(ical.Calendar(name=feed.name, events=tuple(events)))
    etag = hashlib.sha256(body).hexdigest()[:40]
    return BuiltFeed(body, etag, last_change.replace(microsecond=0))


def get(feed: Feed, window: Window | None = None) -> BuiltFeed:
    """The feed as it stands, from this process's cache when none of its sources changed."""
    window = window or current_window()
    link = booking_link()
    versions = []
    last_change = window.day
    for source in sources.EVENT_SOURCES[feed.kind]:
        version, changed = source.version(feed, window)
        versions.append((source.name, version))
        if changed is not None and changed > last_change:
            last_change = changed
    key = (feed, window, link(0) if link else None, tuple(versions))
    cache = _cache()
    built = cache.get(key)
    if built is None:
        built = build(feed, window, link, last_change)
        cache.put(key, built)
    return built


class FeedCache:
    """Built feeds by key, least recently used first out, each kept `max_age` seconds."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, BuiltFeed]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> BuiltFeed | None:
        max_age = current_app.config["POLE_FEED_CACHE_SECONDS"]
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, built: BuiltFeed) -> None:
        size = current_app.config["POLE_FEED_CACHE_SIZE"]
        if size <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic(), built)
            self._entries.move_to_end(key)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _cache() -> FeedCache:
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(CACHE_KEY, FeedCache())
    return cache


def clear_cache() -> None:
    """Forget built feeds and rate-limit buckets (tests that reset the database between runs)."""
    current_app.extensions.pop(CACHE_KEY, None)
    ratelimit.clear_buckets()
