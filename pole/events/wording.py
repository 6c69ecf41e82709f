"""Events said in French: a booking's history, the journal and the notices (pure: no flask,
no database; the caller passes names and the site's time zone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from pole.formatting import MONTHS_SHORT, WEEKDAYS, format_hhmm
from pole.timeutil import to_local

ROLES_FR = {"coordinator": "coordination", "volunteer": "bénévole"}
MARKS_FR = {"seen": "vu", "no_show": "absent", "booked": "rétabli", "cancelled": "annulé"}


@dataclass(frozen=True)
class Entry:
    """One event as the wording needs it: names already looked up."""

    kind: str
    at: datetime
    tz: tzinfo
    actor: str | None = None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    title: str = ""  # the booking's, series' or permanence's title, the closure's reason
    resource: str = ""
    person: str = ""  # whom a membership change is about


def day_text(day: date) -> str:
    """ "3 déc." """
    return f"{day.day} {MONTHS_SHORT[day.month - 1]}"


def when_text(at: datetime, tz: tzinfo) -> str:
    """ "le 3 déc. à 10:12" """
    local = to_local(at, tz)
    return f"le {day_text(local.date())} à {format_hhmm(local)}"


def moment_text(iso: str, tz: tzinfo) -> str:
    """ "mardi 3 déc. 14:00" """
    local = to_local(datetime.fromisoformat(iso), tz)
    return f"{WEEKDAYS[local.weekday()]} {day_text(local.date())} {format_hhmm(local)}"


def _by(entry: Entry) -> str:
    return f"par {entry.actor}" if entry.actor else "automatiquement"


def _message(entry: Entry) -> str:
    message = entry.after.get("message", "")
    return f" : « {message} »" if message else ""


def _iso_day(iso: str) -> str:
    return day_text(date.fromisoformat(iso[:10]))


def _moved(entry: Entry) -> str:
    before, after = entry.before, entry.after
    if before.get("start") == after.get("start"):
        end_before = to_local(datetime.fromisoformat(before["end"]), entry.tz)
        end_after = to_local(datetime.fromisoformat(after["end"]), entry.tz)
        return f"Fin déplacée de {format_hhmm(end_before)} à {format_hhmm(end_after)} {_by(entry)}"
    start_before = moment_text(before["start"], entry.tz)
    start_after = moment_text(after["start"], entry.tz)
    return f"Déplacée du {start_before} au {start_after} {_by(entry)}"


# What happened to a booking, as its page says it; {message} is the reason given, if any.
HISTORY = {
    "booking.edited": "Modifiée {by} {when}",
    "booking.cancelled": "Annulée {by} {when}{message}",
    "booking.approved": "Approuvée {by} {when}",
    "booking.refused": "Refusée {by} {when}{message}",
    "closure.booking_kept": "Maintenue malgré une fermeture, décision prise {by} {when}{message}",
}


def history_sentence(entry: Entry) -> str:
    """What happened to a booking, said on its page: "Réservée par Awa le 3 déc. à 10:12"."""
    when, by = when_text(entry.at, entry.tz), _by(entry)
    if entry.kind == "booking.created":
        verb = "Demandée" if entry.after.get("status") == "pending" else "Réservée"
        return f"{verb} {by} {when}"
    if entry.kind == "booking.moved":
        return f"{_moved(entry)} {when}"
    template = HISTORY.get(entry.kind, "Changée {by} {when}")
    return template.format(by=by, when=when, message=_message(entry))


def _booking_what(entry: Entry) -> str:
    state = entry.after or entry.before
    start = state.get("start")
    place = f"{entry.resource}, " if entry.resource else ""
    return f"« {entry.title} » ({place}{moment_text(start, entry.tz)})" if start else ""


def _period(entry: Entry) -> str:
    state = entry.after or entry.before
    start = to_local(datetime.fromisoformat(state["start"]), entry.tz)
    end = to_local(datetime.fromisoformat(state["end"]), entry.tz)
    return (
        f"du {day_text(start.date())} {format_hhmm(start)} "
        f"au {day_text(end.date())} {format_hhmm(end)}"
    )


def _others(entry: Entry) -> str:
    kind, by, after = entry.kind, _by(entry), entry.after
    where = f" ({entry.resource})" if entry.resource else ""
    sentences = {
        "series.created": lambda: f"Réservation régulière « {entry.title} »{where} créée {by}",
        "series.moved": lambda: (
            f"Réservation régulière{where} déplacée à partir du {_iso_day(after['from'])} "
            f"({after['count']} dates) {by}"
        ),
        "series.cut": lambda: (
            f"Réservation régulière{where} annulée à partir du {_iso_day(after['from'])} "
            f"({after['count']} dates) {by}"
        ),
        "closure.added": lambda: (
            f"Fermeture « {after['reason']} »{where} {_period(entry)}, ajoutée {by}"
        ),
        "closure.removed": lambda: (
            f"Fermeture « {entry.before['reason']} »{where} {_period(entry)} supprimée {by}"
        ),
        "permanence.published": lambda: f"Permanence « {after['title']} » publiée {by}",
        "permanence.changed": lambda: (
            f"Permanence « {after['title']} » : horaires changés à partir du "
            f"{_iso_day(after['from_day'])} {by}"
        ),
        "permanence.date_cancelled": lambda: (
            f"Permanence « {after['title']} » du {_iso_day(after['day'])} annulée {by}"
        ),
        "appointment.booked": lambda: (
            f"Rendez-vous du {moment_text(after['start'], entry.tz)} réservé {by}"
        ),
        "appointment.cancelled": lambda: (
            f"Rendez-vous du {moment_text(after['start'], entry.tz)} annulé {by}"
        ),
        "appointment.marked": lambda: (
            f"Rendez-vous du {moment_text(after['start'], entry.tz)} "
            f"marqué « {MARKS_FR.get(after['status'], after['status'])} » {by}"
        ),
        "membership.added": lambda: (
            f"{entry.person} rejoint l'organisation ({ROLES_FR.get(after['role'], after['role'])})"
        ),
        "membership.changed": lambda: (
            f"{entry.person} passe en {ROLES_FR.get(after['role'], after['role'])} {by}"
        ),
        "membership.removed": lambda: f"{entry.person} retiré·e de l'organisation {by}",
        "season_request.submitted": lambda: (
            f"Demande de créneau régulier{where} pour la saison « {after['season']} » envoyée {by}"
        ),
        "season_request.edited": lambda: (
            f"Demande de créneau régulier{where} pour la saison « {after['season']} » modifiée {by}"
        ),
        "season_request.withdrawn": lambda: (
            f"Demande de créneau régulier{where} pour la saison « {after['season']} » retirée {by}"
        ),
        "season.message": lambda: (
            f"Message sur le plan de la saison « {after['season']} »{where} envoyé {by}"
        ),
        "waitlist.told": lambda: (
            f"Liste d'attente : {entry.resource} libre {_period(entry)}, "
            f"à réserver avant {moment_text(after['answer_by'], entry.tz)}"
        ),
        "notice.posted": lambda: f"Annonce « {after['title']} » publiée {by}",
        "notice.withdrawn": lambda: f"Annonce « {after['title']} » retirée {by}",
        "feed_link.created": lambda: f"Lien d'agenda créé {by}",
        "feed_link.revoked": lambda: f"Lien d'agenda révoqué {by}",
        "notifications.chosen": lambda: f"Choix des e-mails reçus changés {by}",
        "notifications.unsubscribed": lambda: f"Désabonnement d'e-mails par lien {by}",
        "display_link.created": lambda: f"Lien d'affichage de porte créé {by}",
        "display_link.revoked": lambda: f"Lien d'affichage de porte révoqué {by}",
    }
    return sentences[kind]() if kind in sentences else f"{kind} {by}"


def journal_sentence(entry: Entry) -> str:
    """What happened, said out of context (journal, notices), with when."""
    when = when_text(entry.at, entry.tz)
    if entry.kind.startswith("booking.") or entry.kind == "closure.booking_kept":
        return (
            f"{_booking_what(entry)} : {history_sentence(entry)[0].lower()}"
            + (history_sentence(entry)[1:])
        )
    return f"{_others(entry)} {when}{_message(entry)}"
