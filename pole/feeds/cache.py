"""Built feeds, kept in this process by the version of their sources and the feed generation.

Building a year of a room takes a few milliseconds, but a calendar app asks every hour
whether anything changed. Each source gives a cheap version (a count and the last change of
its rows, one aggregate query); built feeds are kept in this process by version, so an
unchanged feed is answered from memory. Booking and appointment rows bump `sequence` and
`updated_at` when they change (pole.core.stamps); renaming a room, an organisation or a site
bumps the feed generation (pole.feeds.generation). Both are in the database and change in
the transaction of the change, so this cache is only an optimisation: every process sees a
change when it commits, and nothing here expires by time.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from pole.db import db
from pole.feeds import generation, ical, memo, sources
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
    writer = ical.Writer()
    written: list[ical.Written] = []
    for source in sources.EVENT_SOURCES[feed.kind]:
        if source.write is not None:
            written.extend(source.write(feed, window, link, writer))
        else:
            written.extend(writer.event(event) for event in source.load(feed, window, link))
    body = ical.calendar_bytes(ical.Calendar(name=feed.name), written)
    etag = hashlib.sha256(body).hexdigest()[:40]
    return BuiltFeed(body, etag, last_change.replace(microsecond=0))


@dataclass(frozen=True)
class Stamp:
    """What a feed is built from, read from the database: its cache key and last change."""

    feed: Feed
    window: Window
    link: Callable[[int], str] | None
    key: Hashable
    last_change: datetime


def stamp(feed: Feed, window: Window | None = None) -> Stamp:
    """Read the versions of the feed's sources (one aggregate each) and its generation, unless
    the feed's link read them already (`feed.read`)."""
    link = booking_link()
    if window is None and feed.read is not None:
        window, versions, last_change = feed.read.window, feed.read.versions, feed.read.last_change
    else:
        window = window or current_window()
        versions = []
        last_change = window.day
        for source in sources.EVENT_SOURCES[feed.kind]:
            version, changed = source.version(feed, window)
            versions.append((source.name, version))
            if changed is not None and changed > last_change:
                last_change = changed
        versions = tuple(versions)
    at = feed.generation if feed.generation is not None else generation.current(db.session)
    key = (feed, at, window, link(0) if link else None, versions)
    return Stamp(feed, window, link, key, last_change)


def built(stamp: Stamp) -> BuiltFeed:
    """The feed at this stamp: from this process's cache, else built from its rows."""
    cache = _cache()
    feed = cache.get(stamp.key)
    if feed is None:
        feed = build(stamp.feed, stamp.window, stamp.link, stamp.last_change)
        cache.put(stamp.key, feed)
    return feed


def get(feed: Feed, window: Window | None = None) -> BuiltFeed:
    """The feed as it stands, from this process's cache when none of its sources changed."""
    return built(stamp(feed, window))


class FeedCache:
    """Built feeds by key (what they were built from), least recently used first out."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, BuiltFeed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> BuiltFeed | None:
        with self._lock:
            built = self._entries.get(key)
            if built is not None:
                self._entries.move_to_end(key)
            return built

    def put(self, key: Hashable, built: BuiltFeed) -> None:
        size = current_app.config["POLE_FEED_CACHE_SIZE"]
        if size <= 0:
            return
        with self._lock:
            self._entries[key] = built
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
    """Forget built feeds and written events (tests that empty the database between runs: ids
    come back)."""
    current_app.extensions.pop(CACHE_KEY, None)
    memo.forget()
