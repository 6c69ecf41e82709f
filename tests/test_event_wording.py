"""The events said in French: a table of sentences (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pole.events.wording import Entry, history_sentence, journal_sentence

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 12, 3, 9, 12, tzinfo=UTC)  # 10:12 in Paris
TUE_14 = datetime(2026, 12, 8, 13, 0, tzinfo=UTC).isoformat()
TUE_15 = datetime(2026, 12, 8, 14, 0, tzinfo=UTC).isoformat()
TUE_16 = datetime(2026, 12, 8, 15, 0, tzinfo=UTC).isoformat()
THU_10 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC).isoformat()
THU_11 = datetime(2026, 12, 10, 10, 0, tzinfo=UTC).isoformat()
SUMMER = datetime(2027, 7, 1, 7, 30, tzinfo=UTC)  # 09:30 in Paris, summer time


def state(start=TUE_14, end=TUE_15, status="confirmed", **extra) -> dict:
    return {"start": start, "end": end, "status": status, "title": "Distribution", **extra}


def entry(kind, before=None, after=None, actor="Awa", at=AT, **extra) -> Entry:
    return Entry(kind, at, PARIS, actor, before or {}, state() if after is None else after, **extra)


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (entry("booking.created"), "Réservée par Awa le 3 déc. à 10:12"),
        (
            entry("booking.created", after=state(status="pending")),
            "Demandée par Awa le 3 déc. à 10:12",
        ),
        (entry("booking.created", at=SUMMER), "Réservée par Awa le 1 juil. à 09:30"),
        (
            entry("booking.moved", state(), state(THU_10, THU_11), actor="Nadia"),
            "Déplacée du mardi 8 déc. 14:00 au jeudi 10 déc. 10:00 par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("booking.moved", state(), state(end=TUE_16)),
            "Fin déplacée de 15:00 à 16:00 par Awa le 3 déc. à 10:12",
        ),
        (entry("booking.edited", state(), state()), "Modifiée par Awa le 3 déc. à 10:12"),
        (
            entry("booking.cancelled", after=state(status="cancelled")),
            "Annulée par Awa le 3 déc. à 10:12",
        ),
        (
            entry("booking.cancelled", after=state(status="cancelled", message="Noël"), actor="N."),
            "Annulée par N. le 3 déc. à 10:12 : « Noël »",
        ),
        (entry("booking.approved", actor="Nadia"), "Approuvée par Nadia le 3 déc. à 10:12"),
        (
            entry("booking.refused", after=state(status="rejected", message="Salle prêtée")),
            "Refusée par Awa le 3 déc. à 10:12 : « Salle prêtée »",
        ),
        (entry("booking.cancelled", actor=None), "Annulée automatiquement le 3 déc. à 10:12"),
        (
            entry("closure.booking_kept", actor="Nadia"),
            "Maintenue malgré une fermeture, décision prise par Nadia le 3 déc. à 10:12",
        ),
    ],
    ids=lambda v: v.kind if isinstance(v, Entry) else "",
)  # fmt: skip
def test_a_bookings_history_reads_as_sentences(event, sentence):
    assert history_sentence(event) == sentence


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (
            entry("booking.cancelled", after=state(status="cancelled"), title="Distribution",
                  resource="Hall"),
            "« Distribution » (Hall, mardi 8 déc. 14:00) : annulée par Awa le 3 déc. à 10:12",
        ),
        (
            entry("closure.added", after={"start": TUE_14, "end": THU_10, "reason": "Travaux"},
                  actor="Nadia"),
            "Fermeture « Travaux » du 8 déc. 14:00 au 10 déc. 10:00, ajoutée par Nadia "
            "le 3 déc. à 10:12",
        ),
        (
            entry("closure.removed", before={"start": TUE_14, "end": THU_10, "reason": "Travaux"},
                  after={}, resource="Cuisine"),
            "Fermeture « Travaux » (Cuisine) du 8 déc. 14:00 au 10 déc. 10:00 supprimée par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("series.cut", after={"from": TUE_14, "count": 6}, resource="Hall"),
            "Réservation régulière (Hall) annulée à partir du 8 déc. (6 dates) par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("series.created", after={"title": "Atelier"}, title="Atelier"),
            "Réservation régulière « Atelier » créée par Awa le 3 déc. à 10:12",
        ),
        (
            entry("permanence.date_cancelled", after={"title": "Permanence sociale",
                  "day": "2026-12-10", "message": "Congé"}, actor="Claire"),
            "Permanence « Permanence sociale » du 10 déc. annulée par Claire le 3 déc. à 10:12 "
            ": « Congé »",
        ),
        (
            entry("permanence.changed", after={"title": "Permanence", "from_day": "2026-12-10"}),
            "Permanence « Permanence » : horaires changés à partir du 10 déc. par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("appointment.cancelled", after={"start": THU_10, "end": THU_11,
                  "status": "cancelled"}, actor="Claire"),
            "Rendez-vous du jeudi 10 déc. 10:00 annulé par Claire le 3 déc. à 10:12",
        ),
        (
            entry("appointment.marked", after={"start": THU_10, "end": THU_11, "status": "seen"}),
            "Rendez-vous du jeudi 10 déc. 10:00 marqué « vu » par Awa le 3 déc. à 10:12",
        ),
        (
            entry("membership.changed", after={"user_id": 3, "role": "coordinator"},
                  person="Bob"),
            "Bob passe en coordination par Awa le 3 déc. à 10:12",
        ),
        (entry("feed_link.revoked", after={"feed": "organisation"}),
         "Lien d'agenda révoqué par Awa le 3 déc. à 10:12"),
        (
            entry("waitlist.told", after={"start": TUE_14, "end": TUE_15, "answer_by": TUE_16},
                  actor=None, resource="Hall"),
            "Liste d'attente : Hall libre du 8 déc. 14:00 au 8 déc. 15:00, à réserver avant "
            "mardi 8 déc. 16:00 le 3 déc. à 10:12",
        ),
        (entry("notice.posted", after={"title": "Collecte", "until": "2026-12-10"}, actor="Nadia"),
         "Annonce « Collecte » publiée par Nadia le 3 déc. à 10:12"),
        (entry("notice.withdrawn", after={"title": "Collecte", "until": "2026-12-10"}),
         "Annonce « Collecte » retirée par Awa le 3 déc. à 10:12"),
    ],
    ids=lambda v: v.kind if isinstance(v, Entry) else "",
)  # fmt: skip
def test_the_journal_says_what_happened_out_of_context(event, sentence):
    assert journal_sentence(event) == sentence


REQUEST = {"resource_id": 1, "weekdays": [0, 3], "start_time": "18:00", "end_time": "20:00",
           "from_day": "2026-09-01", "until": "2027-06-30", "status": "requested",
           "season": "2026-2027"}  # fmt: skip
QUOTA = {"who": "Restos du cœur", "place": "dans « Hall »", "rule": "20 h par mois"}


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (
            entry("season.opened", after={"season": "2026-2027", "first_day": "2026-09-01",
                  "last_day": "2027-06-30", "deadline": TUE_16}, actor="Nadia"),
            "Plan de la saison « 2026-2027 » ouvert (du 1 sept. au 30 juin, demandes jusqu'au "
            "mardi 8 déc. 16:00) par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season_request.accepted", after={**REQUEST, "status": "accepted"},
                  resource="Hall", actor="Nadia"),
            "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » acceptée (lundi et "
            "jeudi, 18:00–20:00, du 1 sept. au 30 juin) par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season_request.declined", after={**REQUEST, "status": "declined",
                  "message": "Le hall est pris"}, resource="Hall", actor="Nadia"),
            "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » refusée par Nadia "
            "le 3 déc. à 10:12 : « Le hall est pris »",
        ),
        (
            entry("season_request.adjusted", REQUEST, {**REQUEST, "start_time": "17:00"},
                  resource="Hall", actor="Nadia"),
            "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » déplacée (lundi et "
            "jeudi, 17:00–20:00, du 1 sept. au 30 juin) et acceptée par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season_request.adjusted", REQUEST, {**REQUEST, "until": "2027-01-31"},
                  resource="Hall", actor="Nadia"),
            "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » réduite (lundi et "
            "jeudi, 18:00–20:00, du 1 sept. au 31 janv.) et acceptée par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season_request.adjusted", REQUEST, {**REQUEST, "status": "accepted"},
                  resource="Hall", actor="Nadia"),
            "Demande de créneau régulier (Hall) pour la saison « 2026-2027 » acceptée (lundi et "
            "jeudi, 18:00–20:00, du 1 sept. au 30 juin) par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season.published", after={"season": "2026-2027", "series": 2, "not_kept": 1},
                  actor="Nadia"),
            "Plan de la saison « 2026-2027 » publié : 2 créneaux réguliers accordés, 1 demande "
            "non retenue par Nadia le 3 déc. à 10:12",
        ),
        (
            entry("season.published", after={"season": "2026-2027", "series": 1, "not_kept": 0}),
            "Plan de la saison « 2026-2027 » publié : 1 créneau régulier accordé par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("season.carried_over", after={"season": "2026-2027 (reconduite)",
                  "from_season": "2026-2027", "requests": 3}),
            "Saison « 2026-2027 » reconduite : plan « 2026-2027 (reconduite) » ouvert avec "
            "3 demandes par Awa le 3 déc. à 10:12",
        ),
        (
            entry("quota.created", after=QUOTA),
            "Quota pour Restos du cœur dans « Hall » : 20 h par mois, ajouté par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("quota.changed", QUOTA, {**QUOTA, "rule": "30 h par mois"}),
            "Quota pour Restos du cœur dans « Hall » : 30 h par mois (avant : 20 h par mois), "
            "changé par Awa le 3 déc. à 10:12",
        ),
        (
            entry("quota.changed", QUOTA, {**QUOTA, "who": "chaque association"}),
            "Quota pour chaque association dans « Hall » : 20 h par mois (avant : pour Restos du "
            "cœur dans « Hall » : 20 h par mois), changé par Awa le 3 déc. à 10:12",
        ),
        (
            entry("quota.deleted", QUOTA, {}),
            "Quota pour Restos du cœur dans « Hall » : 20 h par mois, supprimé par Awa "
            "le 3 déc. à 10:12",
        ),
        (
            entry("resource_group.created", after={"name": "les bureaux",
                  "members": ["Bureau 1", "Bureau 2"]}),
            "Groupe « les bureaux » (Bureau 1 et Bureau 2) créé par Awa le 3 déc. à 10:12",
        ),
        (
            entry("resource_group.changed", {"name": "bureaux", "members": ["Bureau 1"]},
                  {"name": "les bureaux", "members": ["Bureau 1"]}),
            "Groupe « bureaux » renommé « les bureaux » (Bureau 1) par Awa le 3 déc. à 10:12",
        ),
        (
            entry("resource_group.deleted", {"name": "les bureaux", "members": []}, {}),
            "Groupe « les bureaux » supprimé par Awa le 3 déc. à 10:12",
        ),
        (
            entry("resource_value.set", after={"valid_from": "2027-01-01", "per_hour": 1250,
                  "per_half_day": None, "per_day": 7000}, resource="Hall"),
            "Valeur de Hall à partir du 1 janv. : 12,50\u00a0€ l'heure et 70\u00a0€ la journée, "
            "fixée par Awa le 3 déc. à 10:12",
        ),
        (entry("public.presentation_changed", after={}),
         "Présentation publique modifiée par Awa le 3 déc. à 10:12"),
        (entry("public.shown", after={"shown": True}),
         "Présentation affichée sur la page publique par Awa le 3 déc. à 10:12"),
        (entry("public.hidden", after={"shown": False}),
         "Présentation retirée de la page publique par Awa le 3 déc. à 10:12"),
        (entry("public.directions_changed", after={}),
         "Accès au bâtiment (page publique) modifié par Awa le 3 déc. à 10:12"),
    ],
    ids=lambda v: v.kind if isinstance(v, Entry) else "",
)  # fmt: skip
def test_the_plans_quotas_values_and_public_page_are_said_in_the_journal(event, sentence):
    assert journal_sentence(event) == sentence
