"""What people ask for, what a change did, and how a refusal answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time

from pole.core.refusals import Refused
from pole.permanences import rules


class PermanenceRefused(Refused):
    """A permanence change cannot be made; `reasons` say why, field by field."""


class AppointmentRefused(PermanenceRefused):
    """A slot cannot be booked or cancelled; `reasons` say why."""

    @property
    def lost_race(self) -> bool:
        return self.has("taken")


# What people ask for --------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternData:
    """A pattern in local wall time, from `first_day` until `until` (both included)."""

    weekdays: frozenset[int]
    start_time: time
    end_time: time
    slot_minutes: int
    first_day: date
    until: date
    pause_start: time | None = None
    pause_end: time | None = None

    def as_rule(self, skipped: Iterable[date] = ()) -> rules.Pattern:
        return rules.Pattern(
            valid_from=self.first_day,
            until=self.until,
            weekdays=frozenset(self.weekdays),
            start=self.start_time,
            end=self.end_time,
            slot_minutes=self.slot_minutes,
            pause_start=self.pause_start,
            pause_end=self.pause_end,
            skipped=frozenset(skipped),
        )


@dataclass(frozen=True)
class PermanenceData:
    resource_id: int
    organisation_id: int  # the CCAS that owns the room bookings
    title: str
    pattern: PatternData
    open_days_ahead: int = 21
    fair_share_limit: int = 2
    fair_share_hours: int = 48


@dataclass(frozen=True)
class AppointmentData:
    organisation_id: int
    purpose: str
    for_whom: str = "beneficiary"
    note: str = ""
    beneficiary_ref: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a change did, for the screen that tells the social worker."""

    notified: list[str] = field(default_factory=list)  # association names told by mail
    cancelled: int = 0  # appointments cancelled
