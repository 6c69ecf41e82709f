"""Who is told when appointments are lost: a mail (outbox); the home page's notices come from
the events the change records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pole.db import db
from pole.formatting import format_day, format_hhmm
from pole.notifications import tell
from pole.outbox import queue_mail
from pole.outbox.links import mail_url
from pole.permanences.models import Appointment, Permanence
from pole.permanences.services.data import Outcome
from pole.permanences.services.loading import tz_of
from pole.timeutil import to_local


def _by_organisation(appointments: Iterable[Appointment]) -> dict[int, list[Appointment]]:
    by_org: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in sorted(appointments, key=lambda a: a.start):
        by_org[appointment.organisation_id].append(appointment)
    return by_org


def _times(appointments: Iterable[Appointment], permanence: Permanence) -> str:
    return ", ".join(format_hhmm(to_local(a.start, tz_of(permanence))) for a in appointments)


def mail_associations(
    permanence_id: int, appointment_ids: list[int], message: str, subject: str
) -> Outcome:
    """Mail the volunteers who booked (and each association's address) about lost slots.

    Queued in the caller's write transaction: the change and its mails commit together.
    """
    if not appointment_ids:
        return Outcome()
    appointments = db.session.scalars(
        db.select(Appointment).where(Appointment.id.in_(appointment_ids))
    ).all()
    by_org = _by_organisation(appointments)
    permanence = db.session.get(Permanence, permanence_id)
    names = []
    link = mail_url("main.home")
    for held in by_org.values():
        organisation = held[0].organisation
        names.append(organisation.name)
        people = {a.booked_by.id: a.booked_by for a in held if a.booked_by is not None}
        times = _times(held, permanence)
        # Only the date, the times and the association: never the reference or the note.
        text = (
            f"{message}\n\n"
            f"Association : {organisation.name}\n"
            f"Créneau(x) : {format_day(held[0].day)} à {times}\n" + (f"\n{link}\n" if link else "")
        )
        title = f"{subject} : {format_day(held[0].day)}"
        # The volunteers who booked, as each chose for appointment mails; the association's
        # own address, which is nobody's choice, always.
        for person in sorted(people.values(), key=lambda p: p.id):
            tell(person, "appointment", title, text)
        if organisation.email and organisation.email not in {p.email for p in people.values()}:
            queue_mail(organisation.email, title, f"Bonjour,\n\n{text}", kind="permanence_notice")
    return Outcome(notified=sorted(names), cancelled=len(appointments))
