"""The mails of the letters `rules.plan` made: one per recipient, as each chose.

Written as facts frozen at the change (pole/notifications/letters.py renders them at
delivery): under the write lock, a booking POST adds one small INSERT, not a rendering."""

from __future__ import annotations

from sqlalchemy.orm.util import identity_key

from pole.auth.models import User
from pole.bookings.models import Booking
from pole.db import db, is_postgresql
from pole.events import record
from pole.events.models import Event
from pole.notifications import rules
from pole.notifications.letters import MAIL, booking_facts, letter_text, with_invitation
from pole.notifications.telling import choices_for, in_digest, told_each
from pole.organisations.models import Membership
from pole.outbox import queue_facts, queue_facts_where
from pole.outbox.bookings import invitation_method
from pole.outbox.queue import Along

# The most events the mails' statement writes (9 bound values each, well below PostgreSQL's
# 65,535; each count is a statement compiled once). A series of a year is 53 events.
EVENTS_ALONG = 64


def letter_facts(letter: rules.Letter, bookings: list[Booking]) -> dict:
    """What the letter's mails must say, frozen now (JSON): rendered at delivery. Call it
    after a flush."""
    appointment = actor = None
    if letter.appointment_id is not None:
        from pole.permanences.models import Appointment

        booked = db.session.get(Appointment, letter.appointment_id)
        permanence = booked.permanence
        appointment = {
            "title": permanence.title,
            "start": booked.start.isoformat(),
            "end": booked.end.isoformat(),
            "timezone": permanence.resource.site.timezone,
            "organisation": booked.organisation.name,
        }
    elif letter.topic == rules.CHANGED and letter.actor_id:
        person = db.session.get(User, letter.actor_id)
        actor = person.name if person is not None else None
    return {
        "mail": MAIL,
        "topic": letter.topic,
        "kinds": letter.kinds,
        "message": letter.message,
        "actor": actor,
        "appointment": appointment,
        "bookings": [booking_facts(b) for b in bookings],
    }


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
    """Tell each recipient of each letter (with the bookings' .ics if any), as they chose: a
    mail now, an item of tomorrow's digest, nothing."""
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
    told = []
    for letter in letters:
        org_coordinators = coordinators.get(letter.organisation_id, set())
        to = rules.recipients(letter, org_coordinators, managers, active)
        if to:
            told.append((letter, sorted(to)))
    # On PostgreSQL the mails' INSERT writes the change's events too: one round trip fewer.
    events = record.take_unwritten(EVENTS_ALONG) if is_postgresql() else []
    # The change is written first: its stamp moves the SEQUENCE the facts freeze.
    db.session.flush()
    mails = []
    for letter, to in told:
        bookings = [db.session.get(Booking, b) for b in letter.booking_ids]
        bookings = sorted((b for b in bookings if b is not None), key=lambda b: b.start)
        if letter.appointment_id is None and not bookings:
            continue
        facts = letter_facts(letter, bookings)
        method = None
        if with_invitation(facts):
            method = invitation_method(facts["bookings"][0]["status"])
        mails += [(people[user_id], letter.topic, facts, method) for user_id in to]
    # Each mail where its person gets the kind each time (the default, mostly): one INSERT …
    # SELECT for the whole transaction's letters, nobody's choice asked before it.
    if not mails:
        record.give_back(events)
        events = []
    along = Along(Event.__table__, [record.values_of(e) for e in events], record.COLUMNS)
    written = queue_facts_where(
        [
            (person.email, facts | {"to": _to(person)}, f"notify_{topic}", method, person.id)
            for person, topic, facts, method in mails
        ],
        told_each,
        along=along,
    )
    left = []
    for mail in mails:
        person, topic = mail[0], mail[1]
        if written[person.email, f"notify_{topic}"]:
            written[person.email, f"notify_{topic}"] -= 1
        else:
            left.append(mail)
    if left:
        # Someone chose the digest (or nothing): one query for whose. Read again, a choice
        # changed since the INSERT still tells each person once: "each" now is a mail.
        choices = choices_for({(person.id, topic) for person, topic, _, _ in left})
        for person, topic, facts, method in left:
            choice = choices[person.id, topic]
            if choice == rules.DIGEST:
                in_digest(person.id, topic, *letter_text(facts), now=None)
            elif choice == rules.EACH:
                queue_facts(
                    person.email, facts | {"to": _to(person)}, kind=f"notify_{topic}",
                    ics_method=method,
                )  # fmt: skip


def _to(person: User) -> dict:
    return {"id": person.id, "name": person.name, "email": person.email}
