"""A resource's booking policy and the plain data the rules read: requests, bookings, closures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

UNIT_SINGULAR, UNIT_PLURAL = "unité", "unités"  # equipment whose unit has no name


@dataclass(frozen=True)
class Policy:
    """How a resource (room, kitchen or pooled equipment) may be booked."""

    name: str
    is_room: bool
    quantity: int
    opening_hours: Mapping[int, Sequence[tuple[int, int]]]
    granularity: int
    min_duration: int
    max_duration: int
    max_days_ahead: int
    min_notice: int
    buffer: int
    allowed_kinds: frozenset[str]
    tz: ZoneInfo
    # Singular and plural noun for one unit, used in messages ("table pliante", "tables pliantes").
    units: tuple[str, str] = (UNIT_SINGULAR, UNIT_PLURAL)


@dataclass(frozen=True)
class Occupation:
    """An existing pending or confirmed booking of the same resource."""

    start: datetime
    end: datetime
    quantity: int
    label: str
    booking_id: int | None = None


@dataclass(frozen=True)
class ClosurePeriod:
    """A period when the resource cannot be booked at all."""

    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class BookingRequest:
    """What someone asks to book."""

    start: datetime
    end: datetime
    quantity: int
    organisation_kind: str
    is_member: bool
    is_manager: bool


def unit_noun(n: int, singular: str, plural: str) -> str:
    """0 and 1 take the singular in French ("1 table pliante"), 2 and more the plural."""
    return singular if abs(n) < 2 else plural


def quantity_text(n: int, singular: str, plural: str) -> str:
    """ "1 table pliante", "10 tables pliantes"."""
    return f"{n} {unit_noun(n, singular, plural)}"
