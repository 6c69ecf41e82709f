"""Permanence rules as pure functions: slots in local wall time, fair share, opening window.

No web, no database: the services load plain data, pass `now`, and get slots or reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.core.text import join_words
from pole.timeutil import (
    WEEKDAYS_FR,
    NonexistentLocalTime,
    combine_minutes,
    format_day,
    local_to_utc,
    to_local,
)

SLOT_LENGTHS = (15, 20, 30, 45, 60)
PURPOSES = {
    "droits": "Droits / accès aux aides",
    "logement": "Logement",
    "budget": "Budget / dettes",
    "sante": "Santé",
    "orientation": "Orientation",
    "autre": "Autre",
}
FOR_WHOM = {
    "beneficiary": "Une personne que nous accompagnons",
    "volunteer": "Une question de bénévole",
}
REFERENCE_MAX = 20
NOTE_MAX = 300
# A pattern is laid out day by day: it spans two years at most, whatever dates are typed.
MAX_PATTERN_DAYS = 2 * 366
# Statuses that hold the slot; "cancelled" frees it.
APPOINTMENT_STATUSES = ("booked", "seen", "no_show", "cancelled")
ACTIVE_APPOINTMENT_STATUSES = ("booked", "seen", "no_show")
APPOINTMENT_STATUS_LABELS = {
    "booked": "Réservé",
    "seen": "Reçu",
    "no_show": "Absent",
    "cancelled": "Annulé",
}
TAKEN = Reason(
    "taken",
    "slot",
    "Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez-en un autre.",
)


@dataclass(frozen=True)
class Pattern:
    """When a permanence is held, from one date on: its weekdays, hours, slots and pause."""

    valid_from: date
    until: date
    weekdays: frozenset[int]
    start: time
    end: time
    slot_minutes: int
    pause_start: time | None = None
    pause_end: time | None = None
    skipped: frozenset[date] = frozenset()

    def holds_on(self, day: date) -> bool:
        return (
            self.valid_from <= day <= self.until
            and day.weekday() in self.weekdays
            and day not in self.skipped
        )


@dataclass(frozen=True)
class Slot:
    """One appointment slot: it starts at its wall time and lasts its length in real minutes."""

    day: date
    start: datetime
    end: datetime
    label: str  # the wall time people read, "14:30"


@dataclass(frozen=True)
class FairShare:
    """How many slots of one permanence an association may hold, until how long before it."""

    limit: int
    hours: int


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _slots_text(n: int) -> str:
    return "1 créneau" if n == 1 else f"{n} créneaux"


# Checking a pattern ----------------------------------------------------------------------------


def check_pattern(pattern: Pattern, open_days_ahead: int, fair_share: FairShare) -> list[Reason]:
    """Every reason this pattern cannot be published, beside the field it concerns."""
    reasons: list[Reason] = []
    if not pattern.weekdays:
        reasons.append(Reason("weekdays", "weekdays", "Choisissez au moins un jour."))
    if any(not 0 <= d <= 6 for d in pattern.weekdays):
        reasons.append(Reason("weekdays", "weekdays", "Jour de la semaine inconnu."))
    if pattern.slot_minutes not in SLOT_LENGTHS:
        lengths = ", ".join(str(n) for n in SLOT_LENGTHS)
        reasons.append(
            Reason("slot", "slot_minutes", f"Un créneau dure {lengths} minutes, au choix.")
        )
    if pattern.start >= pattern.end:
        reasons.append(Reason("order", "end_time", "La fin doit venir après le début."))
    if pattern.until < pattern.valid_from:
        reasons.append(Reason("order", "until", "La date de fin doit suivre la date de début."))
    elif (pattern.until - pattern.valid_from).days > MAX_PATTERN_DAYS:
        reasons.append(
            Reason("too_long", "until", "Une permanence se publie pour deux ans au plus.")
        )
    if (pattern.pause_start is None) != (pattern.pause_end is None):
        missing = "pause_end" if pattern.pause_end is None else "pause_start"
        reasons.append(
            Reason("pause", missing, "Indiquez le début et la fin de la pause, ou aucune des deux.")
        )
    elif pattern.pause_start is not None and pattern.pause_end is not None:
        if pattern.pause_start >= pattern.pause_end:
            reasons.append(
                Reason("pause", "pause_end", "La fin de la pause doit venir après son début.")
            )
        elif not pattern.start < pattern.pause_start or not pattern.pause_end < pattern.end:
            reasons.append(
                Reason(
                    "pause",
                    "pause_start",
                    "La pause doit tomber pendant la permanence, ni au début ni à la fin.",
                )
            )
    if open_days_ahead < 1:
        reasons.append(
            Reason("window", "open_days_ahead", "Les créneaux s'ouvrent au moins 1 jour avant.")
        )
    if fair_share.limit < 1:
        reasons.append(
            Reason("fair_share", "fair_share_limit", "Laissez au moins 1 créneau par association.")
        )
    if fair_share.hours < 0:
        reasons.append(Reason("fair_share", "fair_share_hours", "Indiquez un nombre d'heures."))
    if not reasons and not _layout(pattern):
        reasons.append(
            Reason(
                "slot",
                "slot_minutes",
                "Aucun créneau ne tient dans ces horaires : raccourcissez les créneaux.",
            )
        )
    return reasons


# Laying out slots --------------------------------------------------------------------------------


def _layout(pattern: Pattern) -> list[int]:
    """Wall-time minutes at which slots start: whole slots before the pause, then after it."""
    start, end, step = _minutes(pattern.start), _minutes(pattern.end), pattern.slot_minutes
    if pattern.pause_start is not None and pattern.pause_end is not None:
        stretches = [(start, _minutes(pattern.pause_start)), (_minutes(pattern.pause_end), end)]
    else:
        stretches = [(start, end)]
    starts: list[int] = []
    for first, last in stretches:
        minute = first
        while minute + step <= last:
            starts.append(minute)
            minute += step
    return starts


def session_bounds(pattern: Pattern, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When the permanence begins and ends that day (an edge in the spring gap: the jump)."""
    start = combine_minutes(day, _minutes(pattern.start), tz, shift_gap=True)
    end = combine_minutes(day, _minutes(pattern.end), tz, shift_gap=True)
    return start, end


def day_slots(pattern: Pattern, day: date, tz: ZoneInfo) -> list[Slot]:
    """The slots of one day of the permanence, in order.

    A slot starts at its wall time and lasts its length: 14:30 stays 14:30 across the clock
    changes. A wall time the spring change skips gives no slot; in the autumn hour that
    happens twice, a slot starts at the first one.
    """
    _, session_end = session_bounds(pattern, day, tz)
    length = timedelta(minutes=pattern.slot_minutes)
    slots: list[Slot] = []
    for minute in _layout(pattern):
        wall = _hm(minute)
        try:
            start = local_to_utc(day, wall, tz)
        except NonexistentLocalTime:
            continue
        if start + length > session_end:
            continue
        slots.append(Slot(day, start, start + length, f"{wall:%H:%M}"))
    return slots


def pattern_on(patterns: Sequence[Pattern], day: date) -> Pattern | None:
    """The pattern in force on a day: the latest one that starts on or before it."""
    current = None
    for pattern in sorted(patterns, key=lambda p: p.valid_from):
        if pattern.valid_from <= day <= pattern.until:
            current = pattern
    return current


def session_days(
    patterns: Sequence[Pattern], first: date, last: date, cancelled: Collection[date] = ()
) -> list[tuple[date, Pattern]]:
    """The days the permanence is held between two dates, with the pattern of each.

    A pattern change from a date applies from that date on; a cancelled date is left out.
    """
    days: list[tuple[date, Pattern]] = []
    if not patterns:
        return days
    # Walk only the days some pattern covers (two years at most each), whatever was asked.
    day = max(first, min(p.valid_from for p in patterns))
    last = min(last, max(p.until for p in patterns))
    while day <= last:
        pattern = pattern_on(patterns, day)
        if pattern is not None and pattern.holds_on(day) and day not in cancelled:
            days.append((day, pattern))
        day += timedelta(days=1)
    return days


def slots_between(
    patterns: Sequence[Pattern],
    first: date,
    last: date,
    tz: ZoneInfo,
    cancelled: Collection[date] = (),
    blocked: Collection[datetime] = (),
) -> list[Slot]:
    """Every slot open to appointments between two dates: cancelled days and blocked slots out."""
    blocked = set(blocked)
    return [
        slot
        for day, pattern in session_days(patterns, first, last, cancelled)
        for slot in day_slots(pattern, day, tz)
        if slot.start not in blocked
    ]


def find_slot(pattern: Pattern, day: date, start: datetime, tz: ZoneInfo) -> Slot | None:
    for slot in day_slots(pattern, day, tz):
        if slot.start == start:
            return slot
    return None


def describe(pattern: Pattern) -> str:
    """The pattern in French: 'le jeudi, 14:00–17:00, créneaux de 30 min, pause 15:30–15:45'."""
    days = join_words(WEEKDAYS_FR[d] for d in sorted(pattern.weekdays))
    text = f"le {days}, {pattern.start:%H:%M}–{pattern.end:%H:%M}"
    text += f", créneaux de {pattern.slot_minutes} min"
    if pattern.pause_start is not None and pattern.pause_end is not None:
        text += f", pause {pattern.pause_start:%H:%M}–{pattern.pause_end:%H:%M}"
    return text


# Who may book which slot -------------------------------------------------------------------------


def opens_on(day: date, open_days_ahead: int) -> date:
    """The day a permanence date's slots open to bookings (at local midnight)."""
    return day - timedelta(days=open_days_ahead)


def fair_share_ends(session_start: datetime, fair_share: FairShare) -> datetime:
    """From this instant any free slot may be taken, whoever already holds some."""
    return session_start - timedelta(hours=fair_share.hours)


def check_window(slot: Slot, open_days_ahead: int, tz: ZoneInfo, now: datetime) -> Reason | None:
    """A date's slots open N days ahead, at local midnight: 21 days before a Thursday."""
    today = to_local(now, tz).date()
    if slot.day - today <= timedelta(days=open_days_ahead):
        return None
    return Reason(
        "window",
        "slot",
        f"Les créneaux de cette permanence s'ouvrent {open_days_ahead} jours à l'avance : "
        f"celui du {format_day(slot.day)} sera réservable à partir du "
        f"{format_day(opens_on(slot.day, open_days_ahead))}.",
    )


def check_fair_share(
    held: int, session_start: datetime, fair_share: FairShare, now: datetime
) -> Reason | None:
    """An association holds at most N slots of one permanence, until H hours before it starts.

    From then on, any free slot may be taken, so that no slot goes unused.
    """
    if held < fair_share.limit or now >= fair_share_ends(session_start, fair_share):
        return None
    return Reason(
        "fair_share",
        "slot",
        f"Votre association a déjà {_slots_text(held)} "
        f"sur cette permanence ; les créneaux restants s'ouvrent à tous {fair_share.hours} h "
        "avant.",
    )


def check_appointment(
    slot: Slot,
    session_start: datetime,
    *,
    held: int,
    taken: bool,
    open_days_ahead: int,
    fair_share: FairShare,
    tz: ZoneInfo,
    now: datetime,
) -> list[Reason]:
    """Every reason this association cannot book this slot now (empty: it can).

    `held` counts the slots the association already holds on this date of the permanence.
    """
    if slot.start <= now:
        return [Reason("past", "slot", "Ce créneau est déjà passé.")]
    if taken:
        return [TAKEN]
    reasons = []
    window = check_window(slot, open_days_ahead, tz, now)
    if window:
        reasons.append(window)
    share = check_fair_share(held, session_start, fair_share, now)
    if share:
        reasons.append(share)
    return reasons


def why_not_bookable(
    slot: Slot,
    state: str,
    *,
    session_start: datetime,
    held_by_each: Sequence[int],
    open_days_ahead: int,
    fair_share: FairShare,
    tz: ZoneInfo,
    now: datetime,
) -> list[Reason]:
    """Why a free-looking slot cannot be booked now: its window, or every association's share.

    `held_by_each` counts, for each association the person books for, the slots it holds that
    day. One reason is shown, the window first; the fair share only when no association of
    theirs may book.
    """
    if state != "free":
        return []
    window = check_window(slot, open_days_ahead, tz, now)
    if window:
        return [window]
    shares = [check_fair_share(held, session_start, fair_share, now) for held in held_by_each]
    if shares and all(shares):
        return [shares[0]]
    return []


def check_slot_open(day_cancelled: bool, blocked: bool) -> Reason | None:
    """A slot is not booked on a cancelled date, nor when the social worker blocked it."""
    if day_cancelled:
        return Reason("cancelled", "slot", "La permanence de ce jour-là est annulée.")
    if blocked:
        return Reason("blocked", "slot", "Ce créneau n'est pas ouvert aux rendez-vous.")
    return None


def check_appointment_data(
    purpose: str, for_whom: str, beneficiary_ref: str, note: str
) -> list[Reason]:
    """An appointment says what it is about and for whom; a reference and a note stay short."""
    reasons = []
    if purpose not in PURPOSES:
        reasons.append(Reason("purpose", "purpose", "Choisissez l'objet du rendez-vous."))
    if for_whom not in FOR_WHOM:
        reasons.append(Reason("for_whom", "for_whom", "Indiquez pour qui est le rendez-vous."))
    reference = check_reference(beneficiary_ref)
    if reference:
        reasons.append(reference)
    if len(note) > NOTE_MAX:
        reasons.append(Reason("note", "note", f"{NOTE_MAX} caractères au plus."))
    return reasons


def check_cancel(slot_start: datetime, now: datetime) -> Reason | None:
    """An association may cancel its appointment until the slot starts."""
    if now < slot_start:
        return None
    return Reason(
        "started",
        "",
        "Ce rendez-vous a déjà commencé : il ne peut plus être annulé. "
        "Prévenez directement la travailleuse sociale.",
    )


def can_cancel(appointment: Any, now: datetime) -> bool:
    """An association cancels a booked appointment until its slot starts."""
    return appointment.status == "booked" and check_cancel(appointment.start, now) is None


def check_call_off(already_cancelled: bool, session_end: datetime, now: datetime) -> Reason | None:
    """The social worker calls a date off once, and only until the permanence ends that day."""
    if already_cancelled:
        return Reason("already", "", "Cette date est déjà annulée.")
    if session_end <= now:
        return Reason("past", "", "Cette date est passée : elle ne peut plus être annulée.")
    return None


def can_call_off(session: Any, now: datetime) -> bool:
    """Whether the day sheet offers to call this date off."""
    return check_call_off(session.is_cancelled, session.end, now) is None


def slot_state(
    *,
    start: datetime,
    day_cancelled: bool,
    appointment: Any,
    organisation_ids: Collection[int],
    blocked: bool,
    now: datetime,
) -> str:
    """How a slot looks to one person: cancelled, mine, taken, blocked, past or free.

    A cancelled date outweighs all; an appointment shows as ours when it is one of our
    associations', even once the slot has passed.
    """
    if day_cancelled:
        return "cancelled"
    if appointment is not None:
        return "mine" if appointment.organisation_id in organisation_ids else "taken"
    if blocked:
        return "blocked"
    if start <= now:
        return "past"
    return "free"


def can_see_reference(
    appointment: Any, *, keeps_the_sheet: bool, organisation_ids: Collection[int]
) -> bool:
    """Only the permanence's social worker and the booking association read an appointment.

    Its beneficiary reference and note never reach anyone else (design rule 5).
    """
    return keeps_the_sheet or appointment.organisation_id in organisation_ids


NOT_STARTED = Reason(
    "not_started",
    "status",
    "Ce rendez-vous n'a pas encore commencé : la personne ne peut pas encore être absente.",
)


def can_mark_absent(appointment: Any, now: datetime) -> bool:
    """A person is marked absent only once their appointment has started."""
    return now >= appointment.start


def check_restore(
    appointment: Any, social_worker_id: int, slot_free: bool, now: datetime
) -> Reason | None:
    """The social worker puts back an appointment she cancelled while its slot is free and not over.

    An appointment the association cancelled itself stays cancelled: it books again if it wants.
    """
    if appointment.status != "cancelled":
        return Reason("state", "", "Ce rendez-vous n'est pas annulé.")
    if appointment.cancelled_by_id != social_worker_id:
        return Reason(
            "by_association",
            "",
            "L'association a annulé elle-même ce rendez-vous : elle peut en réserver un autre.",
        )
    if now >= appointment.end:
        return Reason(
            "over", "", "Ce créneau est passé : le rendez-vous ne peut plus être rétabli."
        )
    if not slot_free:
        return Reason(
            "taken",
            "",
            "Le créneau n'est plus libre (repris, bloqué ou date annulée) : "
            "ce rendez-vous ne peut plus être rétabli.",
        )
    return None


def can_restore(appointment: Any, social_worker_id: int, slot_free: bool, now: datetime) -> bool:
    """Whether the day sheet offers to put a cancelled appointment back ("Rétablir")."""
    return check_restore(appointment, social_worker_id, slot_free, now) is None


def check_reference(reference: str) -> Reason | None:
    """A beneficiary is known by initials or a file number, never by name: 20 characters at most."""
    if len(reference) <= REFERENCE_MAX:
        return None
    return Reason(
        "reference",
        "beneficiary_ref",
        f"{REFERENCE_MAX} caractères au plus : des initiales ou un numéro de dossier, "
        "jamais un nom.",
    )


__all__ = [
    "ACTIVE_APPOINTMENT_STATUSES",
    "FOR_WHOM",
    "PURPOSES",
    "SLOT_LENGTHS",
    "FairShare",
    "Pattern",
    "Slot",
    "can_call_off",
    "can_cancel",
    "can_see_reference",
    "check_appointment",
    "check_appointment_data",
    "check_call_off",
    "check_cancel",
    "check_fair_share",
    "check_pattern",
    "check_reference",
    "check_slot_open",
    "check_window",
    "day_slots",
    "describe",
    "find_slot",
    "opens_on",
    "pattern_on",
    "session_bounds",
    "session_days",
    "slot_state",
    "slots_between",
    "why_not_bookable",
]
