"""Permanence rules as pure functions: who may book, cancel, see; fair share, opening window.

No web, no database: the services load plain data, pass `now`, and get slots or reasons.
Patterns and their slots live in `patterns.py`; their names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason, taken_meanwhile
from pole.formatting import format_day
from pole.permanences.patterns import (
    SLOT_LENGTHS,
    FairShare,
    Pattern,
    Slot,
    check_pattern,
    day_slots,
    describe,
    find_slot,
    pattern_on,
    session_bounds,
    session_days,
    slots_between,
)
from pole.timeutil import to_local

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
# Statuses that hold the slot; "cancelled" frees it.
APPOINTMENT_STATUSES = ("booked", "seen", "no_show", "cancelled")
ACTIVE_APPOINTMENT_STATUSES = ("booked", "seen", "no_show")
APPOINTMENT_STATUS_LABELS = {
    "booked": "Réservé",
    "seen": "Reçu",
    "no_show": "Absent",
    "cancelled": "Annulé",
}
TAKEN = taken_meanwhile("taken", "slot")


def _slots_text(n: int) -> str:
    return "1 créneau" if n == 1 else f"{n} créneaux"


# Who may book which slot -------------------------------------------------------------------------


def opens_on(day: date, open_days_ahead: int) -> date:
    """The day a permanence date's slots open to bookings (at local midnight)."""
    return day - timedelta(days=open_days_ahead)


def fair_share_ends(session_start: datetime, fair_share: FairShare) -> datetime:
    """From this instant any free slot may be taken, whoever already holds some."""
    return session_start - timedelta(hours=fair_share.hours)


def has_opened(day: date, open_days_ahead: int, tz: ZoneInfo, now: datetime) -> bool:
    """A date's slots open N days ahead, at local midnight: 21 days before a Thursday."""
    return to_local(now, tz).date() >= opens_on(day, open_days_ahead)


def check_window(slot: Slot, open_days_ahead: int, tz: ZoneInfo, now: datetime) -> Reason | None:
    """A date's slots open N days ahead, at local midnight: 21 days before a Thursday."""
    if has_opened(slot.day, open_days_ahead, tz, now):
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


def can_book(state: str, for_an_association: bool, opened: bool) -> bool:
    """A person books a free slot for an association of theirs, once the date has opened."""
    return state == "free" and for_an_association and opened


def is_over(session_end: datetime, now: datetime) -> bool:
    """A date of a permanence is over once it has ended that day."""
    return session_end <= now


def still_to_come(sessions: Iterable[Any], now: datetime) -> list[Any]:
    """The dates (anything with an `end`) that are not over yet, in their order."""
    return [session for session in sessions if not is_over(session.end, now)]


def check_call_off(already_cancelled: bool, session_end: datetime, now: datetime) -> Reason | None:
    """The social worker calls a date off once, and only until the permanence ends that day."""
    if already_cancelled:
        return Reason("already", "", "Cette date est déjà annulée.")
    if is_over(session_end, now):
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


def can_mark(appointment: Any, status: str, now: datetime) -> bool:
    """The day sheet offers "Reçu" and, once started, "Absent", unless already marked so."""
    if appointment.status == status:
        return False
    return status != "no_show" or can_mark_absent(appointment, now)


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
    "can_book",
    "can_call_off",
    "can_cancel",
    "can_mark",
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
    "has_opened",
    "is_over",
    "opens_on",
    "pattern_on",
    "session_bounds",
    "session_days",
    "slot_state",
    "slots_between",
    "still_to_come",
    "why_not_bookable",
]
