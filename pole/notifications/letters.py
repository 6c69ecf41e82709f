"""What a letter says, from the facts frozen at the change: its French subject and body.

`mails.write_letters` freezes the facts in the request (`letter_facts`); the sender renders
the mail from them at delivery (`render_letter`, registered with the outbox), so a booking
cancelled before its "confirmée" mail leaves does not change what that mail says.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from pole.bookings.models import Booking
from pole.feeds.booking_rows import BookingRow
from pole.formatting import format_when
from pole.notifications import rules
from pole.notifications.telling import compose, why_told
from pole.outbox.bookings import rows_invitation
from pole.outbox.rendering import Rendered, renders

MAIL = "letter"  # the renderer's name in the facts
CHANGED_WORDS = {
    "booking.moved": "déplacée",
    "booking.edited": "modifiée",
    "booking.cancelled": "annulée",
}
_WHEN = ("start", "end", "created_at", "updated_at")


def booking_facts(booking: Booking) -> dict:
    """What a mail tells of a booking (its .ics included), as JSON: call it after a flush."""
    row = BookingRow.of(booking)._asdict()
    for name in _WHEN:
        row[name] = row[name].isoformat()
    return row | {"practical_info": booking.resource.practical_info or ""}


def brief(booking: Booking) -> dict:
    """What `booking_line` and `practical_info` read of a booking (a reminder's)."""
    site = booking.resource.site
    return {
        "title": booking.title,
        "resource_name": booking.resource.name,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "timezone": site.timezone,
        "practical_info": booking.resource.practical_info or "",
    }


def booking_row(facts: dict) -> BookingRow:
    values = {name: facts[name] for name in BookingRow._fields}
    for name in _WHEN:
        values[name] = datetime.fromisoformat(values[name])
    return BookingRow(**values)


def booking_line(booking: dict) -> str:
    when = format_when(
        datetime.fromisoformat(booking["start"]),
        datetime.fromisoformat(booking["end"]),
        ZoneInfo(booking["timezone"]),
    )
    return f"- {booking['title']} : {booking['resource_name']}, {when}"


def practical_info(bookings: Iterable[dict]) -> str:
    infos = {}
    for booking in bookings:
        info = booking["practical_info"].strip()
        if info:
            infos[booking["resource_name"]] = info
    return "".join(f"\nInformations pratiques ({name}) :\n{info}\n" for name, info in infos.items())


def _appointment_text(facts: dict) -> tuple[str, str]:
    appointment = facts["appointment"]
    start, end = (datetime.fromisoformat(appointment[x]) for x in ("start", "end"))
    when = format_when(start, end, ZoneInfo(appointment["timezone"]))
    done = "réservé" if "appointment.booked" in facts["kinds"] else "annulé"
    subject = f"Rendez-vous {done} : {appointment['title']}"
    body = (
        f"Un rendez-vous de la permanence « {appointment['title']} » est {done} "
        f"pour {appointment['organisation']} : {when}.\n"
    )
    return subject, body


def _booking_text(facts: dict) -> tuple[str, str]:
    topic, bookings = facts["topic"], facts["bookings"]
    first = bookings[0]
    lines = "\n".join(booking_line(b) for b in bookings)
    plural = len(bookings) > 1
    organisation, resource = first["organisation_name"], first["resource_name"]
    if topic == rules.MADE:
        waiting = first["status"] == "pending"
        state = "en attente de validation" if waiting else "confirmée"
        what = "Votre série de réservations" if plural else "Votre réservation"
        subject = f"Réservation {state} : {resource}"
        body = f"{what} pour {organisation} est {state}{'s' if plural else ''} :\n{lines}\n"
        return subject, body + practical_info(bookings)
    if topic == rules.WAITING:
        subject = f"Demande à valider : {resource} ({organisation})"
        return subject, f"Une demande de {organisation} attend votre validation :\n{lines}\n"
    if topic == rules.CLOSURE:
        message = facts["message"]
        message = message and f"\nMessage de la gestion du bâtiment :\n{message}\n"
        cancelled = "booking.cancelled" in facts["kinds"]
        done = "annulées" if cancelled else "maintenues"
        subject = f"Fermeture : réservations {done} ({organisation})"
        body = f"Une fermeture touche ces réservations de {organisation}, {done} :\n{lines}\n"
        return subject, body + message
    word = CHANGED_WORDS[facts["kinds"][0]]
    by = f" par {facts['actor']}" if facts["actor"] is not None else ""
    subject = f"Réservation {word}{'s' if plural else ''} : {resource}"
    return subject, f"Réservation de {organisation} {word}{by} :\n{lines}\n"


def letter_text(facts: dict) -> tuple[str, str]:
    """A letter's subject and body (without greeting nor footer), from its facts."""
    if facts["appointment"] is not None:
        return _appointment_text(facts)
    return _booking_text(facts)


def with_invitation(facts: dict) -> bool:
    """Whether the letter's mail carries its bookings' .ics (the managers' request does not)."""
    return bool(facts["bookings"]) and facts["topic"] != rules.WAITING


@renders(MAIL)
def render_letter(facts: dict) -> Rendered:
    """The mail of a letter to one person, from the facts frozen at the change."""
    person, kind = facts["to"], facts["topic"]
    subject, body = letter_text(facts)
    text, html, stop = compose(person["id"], person["name"], [kind], subject, body, why_told(kind))
    ics = method = None
    if with_invitation(facts):
        ics, method = rows_invitation([booking_row(b) for b in facts["bookings"]], person["email"])
    return Rendered(subject, text, html, ics, method, stop)
