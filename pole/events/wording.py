"""Events said in French: a booking's history, the journal and the notices (pure: no flask,
no database; the caller passes names and the site's time zone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from pole.formatting import MONTHS_SHORT, WEEKDAYS, format_hhmm, join_words, weekday_names
from pole.reports.rules.money import format_euros
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
    person: str = ""  # whom a membership change (or a manager's sites) is about
    organisation: str = ""  # the organisation's name, for the changes that speak of it


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
    if kind in sentences:
        return sentences[kind]()
    for family in (_plans, _settings, _sites):
        said = family(entry)
        if said is not None:
            return said
    return f"{kind} {by}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _slot(state: dict) -> str:
    """ "lundi et jeudi, 18:00–20:00, du 1 sept. au 30 juin" """
    return (
        f"{weekday_names(state['weekdays'])}, {state['start_time']}–{state['end_time']}, "
        f"du {_iso_day(state['from_day'])} au {_iso_day(state['until'])}"
    )


# What moves a season request (as opposed to trimming its dates).
PLACE_AND_HOURS = ("resource_id", "weekdays", "start_time", "end_time")


def _adjusted(entry: Entry) -> str:
    """How the manager changed a request on the board: moved (place, days, hours) or trimmed."""
    before, after = entry.before, entry.after
    if any(before.get(k) != after.get(k) for k in PLACE_AND_HOURS):
        return "déplacée"
    first, last = before.get("from_day", ""), before.get("until", "")
    if (first, last) == (after["from_day"], after["until"]):
        return ""
    inside = first <= after["from_day"] <= after["until"] <= last
    return "réduite" if inside else "changée"


def _plans(entry: Entry) -> str | None:
    """The season's plan: opened, decided, published, carried over."""
    kind, by, after = entry.kind, _by(entry), entry.after
    where = f" ({entry.resource})" if entry.resource else ""
    asked = f"Demande de créneau régulier{where} pour la saison « {after.get('season')} »"
    if kind == "season.opened":
        return (
            f"Plan de la saison « {after['season']} » ouvert (du {_iso_day(after['first_day'])} "
            f"au {_iso_day(after['last_day'])}, demandes jusqu'au "
            f"{moment_text(after['deadline'], entry.tz)}) {by}"
        )
    if kind == "season_request.accepted":
        return f"{asked} acceptée ({_slot(after)}) {by}"
    if kind == "season_request.declined":
        return f"{asked} refusée {by}"
    if kind == "season_request.adjusted":
        verb = _adjusted(entry)
        if not verb:
            return f"{asked} acceptée ({_slot(after)}) {by}"
        return f"{asked} {verb} ({_slot(after)}) et acceptée {by}"
    if kind == "season.published":
        declined = after.get("not_kept", 0)
        not_kept = (
            f", {_plural(declined, 'demande')} non retenue{'s' if declined > 1 else ''}"
            if declined
            else ""
        )
        granted, s = after["series"], "s" if after["series"] > 1 else ""
        return (
            f"Plan de la saison « {after['season']} » publié : {granted} "
            f"créneau{'x' if s else ''} régulier{s} accordé{s}{not_kept} {by}"
        )
    if kind == "season.carried_over":
        return (
            f"Saison « {after['from_season']} » reconduite : plan « {after['season']} » ouvert "
            f"avec {_plural(after['requests'], 'demande')} {by}"
        )
    return None


def _quota_text(state: dict) -> str:
    return f"pour {state['who']} {state['place']} : {state['rule']}"


def _value_text(state: dict) -> str:
    amounts = [
        f"{format_euros(state[key])} {unit}"
        for key, unit in (
            ("per_hour", "l'heure"),
            ("per_half_day", "la demi-journée"),
            ("per_day", "la journée"),
        )  # fmt: skip
        if state.get(key) is not None
    ]
    return join_words(amounts) or "sans valeur"


def _settings(entry: Entry) -> str | None:
    """Quotas and groups of resources, the report's values, the public page."""
    kind, by, after, before = entry.kind, _by(entry), entry.after, entry.before
    sentences = {
        "quota.created": lambda: f"Quota {_quota_text(after)}, ajouté {by}",
        "quota.changed": lambda: (
            f"Quota {_quota_text(after)} (avant : {before['rule']}), changé {by}"
            if (before["who"], before["place"]) == (after["who"], after["place"])
            else f"Quota {_quota_text(after)} (avant : {_quota_text(before)}), changé {by}"
        ),
        "quota.deleted": lambda: f"Quota {_quota_text(before)}, supprimé {by}",
        "resource_group.created": lambda: (
            f"Groupe « {after['name']} » ({join_words(after['members'])}) créé {by}"
        ),
        "resource_group.changed": lambda: (
            f"Groupe « {after['name']} » ({join_words(after['members'])}) changé {by}"
            if before["name"] == after["name"]
            else f"Groupe « {before['name']} » renommé « {after['name']} » "
            f"({join_words(after['members'])}) {by}"
        ),
        "resource_group.deleted": lambda: f"Groupe « {before['name']} » supprimé {by}",
        "resource_value.set": lambda: (
            f"Valeur de {entry.resource or 'la ressource'} à partir du "
            f"{_iso_day(after['valid_from'])} : {_value_text(after)}, fixée {by}"
        ),
        "public.presentation_changed": lambda: f"Présentation publique modifiée {by}",
        "public.shown": lambda: f"Présentation affichée sur la page publique {by}",
        "public.hidden": lambda: f"Présentation retirée de la page publique {by}",
        "public.directions_changed": lambda: f"Accès au bâtiment (page publique) modifié {by}",
    }
    return sentences[kind]() if kind in sentences else None


def _site_list(state: dict) -> str:
    """ "Les 4 Épis et Centre Ouest", or "tous les sites" when none was given."""
    return join_words(state.get("sites") or []) or "tous les sites"


SITE_FIELDS = (("name", "nom"), ("address", "adresse"), ("timezone", "fuseau horaire"))


def _site_changes(before: dict, after: dict) -> str:
    """ "adresse : « 1 rue A » → « 2 rue B », accès modifié" """
    changes = [
        f"{label} : « {before.get(key) or '—'} » → « {after.get(key) or '—'} »"
        for key, label in SITE_FIELDS
        if before.get(key) != after.get(key)
    ]
    if before.get("directions") != after.get("directions"):
        changes.append("accès modifié")
    return ", ".join(changes)


def _sites(entry: Entry) -> str | None:
    """The buildings: a site added or changed, who manages which, where each organisation works."""
    kind, by, after, before = entry.kind, _by(entry), entry.after, entry.before
    organisation = entry.organisation or "l'organisation"
    sentences = {
        "site.created": lambda: f"Site « {after['name']} » ajouté {by}",
        "site.changed": lambda: (
            f"Site « {after['name']} » modifié ({_site_changes(before, after)}) {by}"
        ),
        "site.managers_limited": lambda: (
            f"Sites gérés par {entry.person} : {_site_list(after)} "
            f"(avant : {_site_list(before)}), changés {by}"
        ),
        "site.organisation_sites": lambda: (
            f"Sites où travaille {organisation} : {_site_list(after)} "
            f"(avant : {_site_list(before)}), changés {by}"
        ),
    }
    return sentences[kind]() if kind in sentences else None


def journal_sentence(entry: Entry) -> str:
    """What happened, said out of context (journal, notices), with when."""
    when = when_text(entry.at, entry.tz)
    if entry.kind.startswith("booking.") or entry.kind == "closure.booking_kept":
        return (
            f"{_booking_what(entry)} : {history_sentence(entry)[0].lower()}"
            + (history_sentence(entry)[1:])
        )
    return f"{_others(entry)} {when}{_message(entry)}"
