"""What a calendar feed is: a kind and its subject, the window of time it shows, and what
every source writes the same way (UIDs, cancelled titles, places).

A feed is a kind and a subject: an organisation, a resource, a person (personal and
social-worker feeds), or nothing for the public agenda. pole.feeds.sources says what each
kind holds; pole.feeds.cache builds and keeps it; pole.feeds.links opens it from a secret link.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from pole.db import utcnow

PUBLIC = "public"
APP_NAME = "Pôle"
# Feeds of different kinds get different UIDs for the same booking, so that a client holding
# two of them (or the single-event download) never merges a private title into another copy.
UID_NAMESPACE = uuid.UUID("0b6f5d3e-8a4c-5b8e-9c61-2f1d7a0c4e19")
# Some clients ignore STATUS (Google shows a TENTATIVE event like any other, Outlook keeps a
# CANCELLED one in place), so the title says it too.
SUMMARY_PREFIX = {"pending": "À confirmer : ", "cancelled": "Annulé : ", "rejected": "Annulé : "}


@dataclass(frozen=True)
class Feed:
    """One calendar: a kind, its subject's id (None for the public agenda) and its name.

    `generation` is the feed generation (pole.feeds.generation) read with the feed's name, in
    the same query; None: pole.feeds.cache reads it.
    """

    kind: str
    subject_id: int | None
    name: str
    generation: int | None = None
    # What the feed link's query read of its sources' versions (None: pole.feeds.cache reads
    # them); not part of what the feed is, so not of its equality.
    read: ReadVersions | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Window:
    """What a feed shows: occurrences overlapping [start, end), and those cancelled or
    refused since `cancelled_since`. It moves once a day (at 00:00 UTC) so that a feed stays
    byte-identical, and keeps its ETag, between two changes of its bookings."""

    day: datetime
    start: datetime
    end: datetime
    cancelled_since: datetime


@dataclass(frozen=True)
class ReadVersions:
    """Each source's version of a feed in `window`, and the last change: what
    pole.feeds.cache.stamp reads, read with the feed's link instead."""

    window: Window
    versions: tuple[tuple[str, Hashable], ...]
    last_change: datetime


def window_at(
    now: datetime, past_days: int = 30, future_days: int = 365, cancelled_days: int = 30
) -> Window:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(
        day=day,
        start=day - timedelta(days=past_days),
        end=day + timedelta(days=future_days),
        cancelled_since=day - timedelta(days=cancelled_days),
    )


def current_window(now: datetime | None = None) -> Window:
    config = current_app.config
    return window_at(
        now or utcnow(),
        config["POLE_FEED_PAST_DAYS"],
        config["POLE_FEED_FUTURE_DAYS"],
        config["POLE_FEED_CANCELLED_DAYS"],
    )


def place(room: str, site: str, address: str) -> str:
    """LOCATION: the room, then the site and its address."""
    return f"{room} — {site}, {address}" if address else f"{room} — {site}"


class Places:
    """The time zones and LOCATION texts of a feed's rows, each made once per feed: a year of
    the hall's bookings names one room in one zone."""

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}
        self._places: dict[tuple[str, str, str], str] = {}

    def zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = ZoneInfo(name)
        return zone

    def place(self, room: str, site: str, address: str) -> str:
        where = room, site, address
        text = self._places.get(where)
        if text is None:
            text = self._places[where] = place(room, site, address)
        return text
