"""The mails of the letters `rules.plan` made: French, one per recipient, as each chose."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm.util import identity_key

from pole.auth.models import User
from pole.bookings.models import Booking
from pole.db import db
from pole.formatting import format_when
from pole.notifications import rules
from pole.notifications.telling import tell
from pole.organisations.models import Membership
from pole.outbox.bookings import bookings_invitation

CHANGED_WORDS = {
    "booking.moved": "déplacée",
    "booking.edited": "modifiée",
    "booking.cancelled": "annulée",
}


def booking_line(booking: Booking) -> str:
    when = format_when(booking.start, booking.end, booking.resource.site.tz)
    return f"- {booking.title} : {booking.resource.name}, {when}"


def practical_info(bookings: Iterable[Booking]) -> str:
    infos = {}
    for booking in bookings:
        info = (booking.resource.practical_info or "").strip()
        if info:
            infos[booking.resource.name] = info
    return "".join(f"\nInformations pratiques ({name}) :\n{info}\n" for name, info in infos.items())


def _appointment_text(letter: rules.Letter) -> tuple[str, str]:
    from pole.permanences.models import Appointment

    appointment = db.session.get(Appointment, letter.appointment_id)
    permanence = appointment.permanence
    when = format_when(appointment.start, appointment.end, permanence.resource.site.tz)
    done = "réservé" if "appointment.booked" in letter.kinds else "annulé"
    subject = f"Rendez-vous {done} : {permanence.title}"
    body = (
        f"Un rendez-vous de la permanence « {permanence.title} » est {done} "
        f"pour {appointment.organisation.name} : {when}.\n"
    )
    return subject, body


def _booking_text(letter: rules.Letter, bookings: list[Booking]) -> tuple[str, str]:
    first = bookings[0]
    lines = "\n".join(booking_line(b) for b in bookings)
    plural = len(bookings) > 1
    organisation = first.organisation.name
    if letter.topic == rules.MADE:
        waiting = first.status == "pending"
        state = "en attente de validation" if waiting else "confirmée"
        what = "Votre série de réservations" if plural else "Votre réservation"
        subject = f"Réservation {state} : {first.resource.name}"
        body = f"{what} pour {organisation} est {state}{'s' if plural else ''} :\n{lines}\n"
        return subject, body + practical_info(bookings)
    if letter.topic == rules.WAITING:
        subject = f"Demande à valider : {first.resource.name} ({organisation})"
        return subject, f"Une demande de {organisation} attend votre validation :\n{lines}\n"
    if letter.topic == rules.CLOSURE:
        message = letter.message and f"\nMessage de la gestion du bâtiment :\n{letter.message}\n"
        cancelled = "booking.cancelled" in letter.kinds
        done = "annulées" if cancelled else "maintenues"
        subject = f"Fermeture : réservations {done} ({organisation})"
        body = f"Une fermeture touche ces réservations de {organisation}, {done} :\n{lines}\n"
        return subject, body + message
    word = CHANGED_WORDS[letter.kinds[0]]
    actor = db.session.get(User, letter.actor_id) if letter.actor_id else None
    by = f" par {actor.name}" if actor is not None else ""
    subject = f"Réservation {word}{'s' if plural else ''} : {first.resource.name}"
    return subject, f"Réservation de {organisation} {word}{by} :\n{lines}\n"


def _coordinators(organisation_ids: set[int]) -> dict[int, set[int]]:
    by_org: dict[int, set[int]] = {o: set() for o in organisation_ids}
    if organisation_ids:
        rows = db.session.execute(
            db.select(Membership.organisation_id, Membership.user_id).where(
                Membership.organisation_id.in_(organisation_ids),
                Membership.role == "coordinator",
            )
        )
        for organisation_id, user_id in rows:
            by_org[organisation_id].add(user_id)
    return by_org


def _people(ids: set[int]) -> dict[int, User]:
    """These people, those the session holds (the actor, often) without a query."""
    held = {i: db.session.identity_map.get(identity_key(User, i)) for i in ids}
    people = {i: u for i, u in held.items() if u is not None}
    missing = ids - set(people)
    if missing:
        people |= {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(missing)))}
    return people


def write_letters(letters: list[rules.Letter]) -> None:
    """Tell each recipient of each letter (with the bookings' .ics if any), as they chose."""
    if not letters:
        return
    coordinators = _coordinators({x.organisation_id for x in letters if x.to_coordinators})
    managers: set[int] = set()
    if any(x.to_managers for x in letters):
        managers = set(db.session.scalars(db.select(User.id).where(User.is_manager)))
    wanted = {u for x in letters for u in x.to_users} | managers
    wanted |= {u for users in coordinators.values() for u in users}
    people = _people(wanted)
    active = {u.id for u in people.values() if u.is_active}
    for letter in letters:
        org_coordinators = coordinators.get(letter.organisation_id, set())
        to = rules.recipients(letter, org_coordinators, managers, active)
        if not to:
            continue
        bookings = [db.session.get(Booking, b) for b in letter.booking_ids]
        bookings = sorted((b for b in bookings if b is not None), key=lambda b: b.start)
        if letter.appointment_id is not None:
            subject, body = _appointment_text(letter)
        elif bookings:
            subject, body = _booking_text(letter, bookings)
        else:
            continue
        for user_id in sorted(to):
            person = people[user_id]
            ics = method = None
            if bookings and letter.topic != rules.WAITING:
                db.session.flush()  # the change stamp moves the SEQUENCE first
                ics, method = bookings_invitation(bookings, person.email)
            tell(person, letter.topic, subject, body, ics=ics, ics_method=method)
