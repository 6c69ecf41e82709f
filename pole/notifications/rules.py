"""Who is told of what happened, and which mail carries it: pure, table-tested.

A `Happening` is the little an event needs to decide: its kind, who did it, who made the
booking, whose booking it is, and what groups it (a series made or changed together, a
closure settled for an association). `plan` turns the happenings of one transaction into
`Letter`s: one mail per recipient group, never one per occurrence of a series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from pole.timeutil import local_to_utc

MADE = "made"  # to the author: date, room, practical information, .ics REQUEST
CHANGED = "changed"  # to the author and coordinators: moved, edited, cancelled by someone else
WAITING = "waiting"  # to the managers: a request waits for approval
CLOSURE = "closure"  # to an association: its bookings a closure cancelled or kept
APPOINTMENT = "appointment"  # to the social worker and the association
REMINDER = "reminder"  # to the author, the day before their bookings, if they asked
NOTICE = "notice"  # the noticeboard's announcements
WAITLIST = "waitlist"  # a slot someone waited for is free
SEASON = "season"  # to an association's coordinators: the season's letter, the manager's messages


@dataclass(frozen=True)
class Happening:
    kind: str
    actor_id: int | None
    author_id: int | None = None
    organisation_id: int | None = None
    status: str = ""
    booking_id: int | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    social_worker_id: int | None = None
    message: str = ""


@dataclass
class Letter:
    """One mail to write: what about, for which bookings (or appointment), to whom."""

    topic: str
    key: tuple
    actor_id: int | None
    organisation_id: int | None = None
    kinds: list[str] = field(default_factory=list)
    booking_ids: list[int] = field(default_factory=list)
    appointment_id: int | None = None
    to_users: set[int] = field(default_factory=set)  # people, by id
    to_coordinators: bool = False  # and the organisation's coordinators
    to_managers: bool = False
    social_worker_id: int | None = None
    message: str = ""


def _letters_for(h: Happening) -> list[tuple[str, tuple, dict]]:
    """The letters one happening belongs to: (topic, grouping key, recipients)."""
    in_series = h.subject_type == "series"
    if h.kind == "booking.created":
        # A series is told once: its occurrences gather in one letter by the series.
        key = ("series", h.subject_id) if in_series else ("booking", h.booking_id)
        letters = [(MADE, key, {"users": {h.actor_id}})]
        if h.status == "pending":
            letters.append((WAITING, key, {"managers": True}))
        return letters
    if h.subject_type == "closure" and h.kind in ("booking.cancelled", "closure.booking_kept"):
        key = ("closure", h.subject_id, h.organisation_id)
        return [(CLOSURE, key, {"users": {h.author_id}, "coordinators": True})]
    if h.kind in ("booking.moved", "booking.edited", "booking.cancelled"):
        letters = []
        if h.kind == "booking.moved" and h.status == "pending":
            # Moved, a request waits for approval again (at its new times): managers decide.
            key = ("series", h.subject_id) if in_series else ("booking", h.booking_id)
            letters.append((WAITING, key, {"managers": True}))
        if h.actor_id is not None and h.actor_id == h.author_id:
            return letters  # nobody is told of their own change
        key = (h.kind, "series", h.subject_id) if in_series else (h.kind, h.booking_id)
        return [*letters, (CHANGED, key, {"users": {h.author_id}, "coordinators": True})]
    if h.kind == "appointment.booked" or (
        h.kind == "appointment.cancelled"
        and h.actor_id is not None
        and h.actor_id != h.social_worker_id
    ):
        # When the social worker (or a change of the permanence) cancels, the association
        # is already told by the permanence's own mail.
        key = (h.kind, h.subject_id)
        return [(APPOINTMENT, key, {"users": {h.social_worker_id}, "coordinators": True})]
    return []


def plan(happenings: list[Happening]) -> list[Letter]:
    """The letters of one transaction's happenings, in order, grouped by their key."""
    letters: dict[tuple, Letter] = {}
    for h in happenings:
        for topic, key, to in _letters_for(h):
            letter = letters.get((topic, *key))
            if letter is None:
                letter = letters[(topic, *key)] = Letter(
                    topic, key, h.actor_id, h.organisation_id, social_worker_id=h.social_worker_id
                )
            letter.kinds.append(h.kind)
            letter.message = letter.message or h.message
            if h.booking_id is not None and h.booking_id not in letter.booking_ids:
                letter.booking_ids.append(h.booking_id)
            if h.subject_type == "appointment":
                letter.appointment_id = h.subject_id
            letter.to_users |= {u for u in to.get("users", ()) if u is not None}
            letter.to_coordinators |= to.get("coordinators", False)
            letter.to_managers |= to.get("managers", False)
    return list(letters.values())


def recipients(
    letter: Letter, coordinators: set[int], managers: set[int], active: set[int]
) -> set[int]:
    """Whom a letter goes to: its people, coordinators, managers; never the actor for a
    change (the author of a new booking is its actor and is told), only active people."""
    people = set(letter.to_users)
    if letter.to_coordinators:
        people |= coordinators
    if letter.to_managers:
        people |= managers
    if letter.topic != MADE:
        people.discard(letter.actor_id)
    return people & active


# Each person's choice, per kind of mail -------------------------------------------------------

EACH, DIGEST, NEVER = "each", "digest", "never"
CHOICES = (EACH, DIGEST, NEVER)
# The daily digest leaves at about 07:00 in the site's time zone; the reminders of tomorrow's
# bookings at the same hour the day before.
DIGEST_AT = time(7, 0)
REMINDER_AT = time(7, 0)
EVERYONE, MANAGERS, COORDINATORS = "everyone", "managers", "coordinators"
APPOINTMENTS = "appointments"


@dataclass(frozen=True)
class Kind:
    """A kind of mail as a person names it, and how they may receive it."""

    key: str
    label: str
    help: str
    default: str
    choices: tuple[str, ...] = CHOICES
    shown_to: str = EVERYONE
    words: tuple[tuple[str, str], ...] = ()  # a choice's own wording for this kind

    def choice_label(self, choice: str) -> str:
        return dict(self.words).get(choice, CHOICE_LABELS[choice])

    @property
    def can_be_turned_off(self) -> bool:
        return NEVER in self.choices


CHOICE_LABELS = {
    EACH: "À chaque fois",
    DIGEST: "Dans un résumé quotidien, vers 7 h",
    NEVER: "Jamais",
}

KINDS = (
    Kind(MADE, "Mes réservations faites",
         "Quand vous réservez : la date, la salle, ses informations pratiques, "
         "l'invitation pour votre agenda.", EACH),
    Kind(CHANGED, "Mes réservations changées par d'autres",
         "Quand quelqu'un d'autre déplace, modifie ou annule une réservation que vous avez "
         "faite, ou une réservation de l'association que vous coordonnez.", EACH),
    Kind(WAITING, "Demandes à approuver",
         "Quand une demande de réservation attend votre validation. Ces e-mails ne peuvent "
         "pas être coupés : quelqu'un attend votre réponse. Vous pouvez les recevoir "
         "dans le résumé quotidien.", EACH, (EACH, DIGEST), MANAGERS),
    Kind(CLOSURE, "Fermetures",
         "Quand une fermeture du bâtiment ou d'une salle touche vos réservations.", EACH),
    Kind(APPOINTMENT, "Rendez-vous de permanence",
         "Quand un rendez-vous de permanence est pris ou annulé, ou que la date ou les "
         "horaires d'une permanence où vous aviez un rendez-vous changent.",
         EACH, CHOICES, APPOINTMENTS),
    Kind(REMINDER, "Rappel la veille",
         "Un e-mail la veille de vos réservations, avec les informations pratiques des salles.",
         NEVER, (EACH, NEVER), EVERYONE,
         ((EACH, "Oui, un e-mail la veille vers 7 h"), (NEVER, "Non"))),
    Kind(NOTICE, "Annonces", "Les annonces de la gestion du bâtiment et des associations.", EACH),
    Kind(WAITLIST, "Place libérée (liste d'attente)",
         "Quand un créneau que vous attendiez se libère.", EACH),
    # A decision about the association's regular slots for months: it cannot be silenced
    # (the coordinator would learn from the agenda that a weekly slot was not kept), but it
    # may wait for the morning's digest like the managers' approvals.
    Kind(SEASON, "Plan de saison",
         "La lettre de la gestion quand le plan de la saison est publié (les créneaux "
         "réguliers accordés à votre association, ce qui n'a pas été retenu et pourquoi) et "
         "ses messages sur le plan. Ces e-mails ne peuvent pas être coupés : ils décident des "
         "créneaux de l'association pour la saison. Vous pouvez les recevoir dans le résumé "
         "quotidien.", EACH, (EACH, DIGEST), COORDINATORS),
)  # fmt: skip
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def kinds_for(
    is_manager: bool, is_social_worker: bool, is_coordinator: bool, is_member: bool = False
) -> list[Kind]:
    """The kinds a person receives: approvals for managers; appointments for the social
    worker and the members of organisations (a volunteer who booked one hears when its date
    is called off); the season's plan for coordinators; the rest for everyone."""
    shown = {
        EVERYONE: True,
        MANAGERS: is_manager,
        APPOINTMENTS: is_social_worker or is_coordinator or is_member,
        COORDINATORS: is_coordinator,
    }
    return [kind for kind in KINDS if shown[kind.shown_to]]


def choice_of(kind: str, chosen: str | None) -> str:
    """How a person gets a kind: their choice if it is one the kind allows, else its default.

    So an approval request is never silenced, whatever a stored row or a link says.
    """
    allowed = KINDS_BY_KEY[kind]
    return chosen if chosen in allowed.choices else allowed.default


def digest_day(now: datetime, tz: tzinfo) -> date | None:
    """The day whose digest is due: today, once it is 07:00 in the site's time zone."""
    local = now.astimezone(tz)
    return local.date() if local.time() >= DIGEST_AT else None


def digest_cutoff(day: date, tz: ZoneInfo) -> datetime:
    """A day's digest carries what happened before its 07:00; what follows waits a day."""
    return local_to_utc(day, DIGEST_AT, tz)


def reminder_day(now: datetime, tz: tzinfo) -> date | None:
    """The day whose bookings are reminded: tomorrow, once it is 07:00 today."""
    local = now.astimezone(tz)
    return local.date() + timedelta(days=1) if local.time() >= REMINDER_AT else None
