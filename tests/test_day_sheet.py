"""The social worker's day sheet: cancelling asks first, can be undone, tells the association;
"Absent" only once the appointment has started."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pole.auth.models import User
from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.permanences import rules, services
from pole.permanences.models import Appointment, Permanence
from pole.permanences.views import slot_key
from pole.timeutil import local_to_utc
from tests.factories import make_organisation, make_permanence, make_user, page_text

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)  # a Saturday
THURSDAY = date(2031, 3, 6)  # the permanence is held on Thursdays, 14:00-17:00, 6 slots
REF, NOTE = "M.D.", "Question sur un loyer impayé"
RESTOS_MAIL = "bureau@restos.exemple.fr"


# The rules, without a database ----------------------------------------------------------------

START = datetime(2031, 3, 6, 13, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
SOCIAL_WORKER = 7


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        pytest.param(START - timedelta(days=1), False, id="the-day-before"),
        pytest.param(START - timedelta(minutes=1), False, id="a-minute-before"),
        pytest.param(START, True, id="at-the-start"),
        pytest.param(END, True, id="after-the-end"),
    ],
)
def test_a_person_is_marked_absent_only_once_the_appointment_has_started(now, allowed):
    assert rules.can_mark_absent(SimpleNamespace(start=START), now) is allowed


def cancelled(by: int = SOCIAL_WORKER, status: str = "cancelled") -> SimpleNamespace:
    return SimpleNamespace(start=START, end=END, status=status, cancelled_by_id=by)


@pytest.mark.parametrize(
    ("appointment", "slot_free", "now", "code"),
    [
        pytest.param(cancelled(), True, START - timedelta(hours=1), None, id="free-slot"),
        pytest.param(cancelled(), True, START + timedelta(minutes=10), None, id="under-way"),
        pytest.param(cancelled(), True, END, "over", id="slot-over"),
        pytest.param(cancelled(), False, START - timedelta(hours=1), "taken", id="slot-taken"),
        pytest.param(cancelled(by=99), True, START, "by_association", id="association-did"),
        pytest.param(cancelled(status="booked"), True, START, "state", id="not-cancelled"),
    ],
)
def test_the_social_worker_restores_what_she_cancelled_while_the_slot_is_free(
    appointment, slot_free, now, code
):
    reason = rules.check_restore(appointment, SOCIAL_WORKER, slot_free, now)
    assert (reason.code if reason else None) == code
    assert rules.can_restore(appointment, SOCIAL_WORKER, slot_free, now) is (code is None)


# A building ---------------------------------------------------------------------------------


@dataclass
class Building:
    restos: Organisation
    epicerie: Organisation
    social_worker: User
    alice: User  # Restos
    chloe: User  # Épicerie
    manager: User
    permanence: Permanence

    def at(self, day: date, hh: int, mm: int = 0) -> datetime:
        return local_to_utc(day, time(hh, mm), PARIS)

    def book(self, user: User, org: Organisation, start: datetime, now: datetime) -> Appointment:
        data = services.AppointmentData(org.id, "logement", note=NOTE, beneficiary_ref=REF)
        return services.book_slot(self.permanence.id, start, data, user, now)


def build(now: datetime, weekdays: set[int], until: date) -> Building:
    restos = make_organisation(name="Restos du cœur", email=RESTOS_MAIL)
    epicerie = make_organisation(name="Épicerie solidaire")
    ccas = make_organisation(kind="ccas", name="CCAS")
    social_worker = make_user(ccas, is_social_worker=True, name="Claire Social")
    permanence = make_permanence(social_worker, now=now, weekdays=frozenset(weekdays), until=until)
    return Building(
        restos=restos,
        epicerie=epicerie,
        social_worker=social_worker,
        alice=make_user(restos, name="Alice Restos", email="alice@restos.exemple.fr"),
        chloe=make_user(epicerie, name="Chloé Épicerie"),
        manager=make_user(is_manager=True),
        permanence=permanence,
    )


def status_of(appointment: Appointment) -> str:
    return db.session.get(Appointment, appointment.id, populate_existing=True).status


@pytest.fixture()
def world(app) -> Building:
    """Thursdays in 2031, for the services: `now` is passed explicitly."""
    return build(NOW, {THURSDAY.weekday()}, THURSDAY + timedelta(weeks=4))


# The services, on both databases ----------------------------------------------------------------


def test_absent_is_refused_before_the_appointment_starts(world):
    appointment = world.book(world.alice, world.restos, world.at(THURSDAY, 14), NOW)

    with pytest.raises(services.AppointmentRefused, match="pas encore commencé"):
        services.mark_appointment(appointment.id, "no_show", world.social_worker, NOW)
    assert status_of(appointment) == "booked"

    at_start = world.at(THURSDAY, 14)
    services.mark_appointment(appointment.id, "no_show", world.social_worker, at_start)
    assert status_of(appointment) == "no_show"


def test_cancelling_from_the_sheet_frees_the_slot_and_mails_the_association(world, mailbox):
    appointment = world.book(world.alice, world.restos, world.at(THURSDAY, 14, 30), NOW)

    outcome = services.cancel_from_sheet(appointment.id, world.social_worker, NOW)

    assert status_of(appointment) == "cancelled"
    assert outcome.notified == ["Restos du cœur"]
    for address in (RESTOS_MAIL, "alice@restos.exemple.fr"):
        mail = mailbox.to(address)
        body = mail.get_content()
        assert mail["Subject"] == "Rendez-vous annulé : jeu. 06/03"
        assert "a annulé le rendez-vous" in body and "14:30" in body
        assert REF not in body and NOTE not in body  # never the beneficiary's data
    # The slot is free: another association books it.
    world.book(world.chloe, world.epicerie, world.at(THURSDAY, 14, 30), NOW)


def test_restoring_puts_the_appointment_back_and_tells_the_association(world, mailbox):
    appointment = world.book(world.alice, world.restos, world.at(THURSDAY, 15), NOW)
    services.cancel_from_sheet(appointment.id, world.social_worker, NOW)
    mailbox.clear()

    outcome = services.restore_appointment(appointment.id, world.social_worker, NOW)

    assert status_of(appointment) == "booked"
    assert outcome.notified == ["Restos du cœur"]
    body = mailbox.to(RESTOS_MAIL).get_content()
    assert "est rétabli" in body and REF not in body and NOTE not in body
    sheet = services.day_sheet(world.permanence, THURSDAY, NOW)
    assert sheet.session.booked == 1 and sheet.restorable == {}


def test_restoring_is_refused_once_the_slot_is_taken_or_blocked(world):
    start = world.at(THURSDAY, 15)
    first = world.book(world.alice, world.restos, start, NOW)
    services.cancel_from_sheet(first.id, world.social_worker, NOW)
    assert services.day_sheet(world.permanence, THURSDAY, NOW).restorable == {start: first}
    second = world.book(world.chloe, world.epicerie, start, NOW)

    with pytest.raises(services.AppointmentRefused, match="n'est plus libre"):
        services.restore_appointment(first.id, world.social_worker, NOW)
    assert services.day_sheet(world.permanence, THURSDAY, NOW).restorable == {}

    services.cancel_from_sheet(second.id, world.social_worker, NOW)
    services.block_slot(world.permanence.id, start, world.social_worker)
    with pytest.raises(services.AppointmentRefused, match="n'est plus libre"):
        services.restore_appointment(second.id, world.social_worker, NOW)
    assert status_of(first) == status_of(second) == "cancelled"


def test_an_appointment_the_association_cancelled_is_not_restored_by_the_sheet(world):
    appointment = world.book(world.alice, world.restos, world.at(THURSDAY, 15), NOW)
    services.cancel_appointment(appointment.id, world.alice, NOW)

    with pytest.raises(services.AppointmentRefused, match="annulé elle-même"):
        services.restore_appointment(appointment.id, world.social_worker, NOW)
    assert services.day_sheet(world.permanence, THURSDAY, NOW).restorable == {}


@pytest.mark.parametrize("who", ["alice", "manager"])
def test_only_the_social_worker_cancels_or_restores_from_the_sheet(world, who):
    appointment = world.book(world.alice, world.restos, world.at(THURSDAY, 15), NOW)
    with pytest.raises(services.AppointmentRefused, match="travailleuse sociale"):
        services.cancel_from_sheet(appointment.id, getattr(world, who), NOW)
    services.cancel_from_sheet(appointment.id, world.social_worker, NOW)
    with pytest.raises(services.AppointmentRefused, match="travailleuse sociale"):
        services.restore_appointment(appointment.id, getattr(world, who), NOW)
    assert status_of(appointment) == "cancelled"


# The screens (they read the real clock: days are chosen relative to it) -----------------------


@dataclass
class Sheet:
    building: Building
    day: date  # three days ahead
    yesterday: date

    def url(self, day: date | None = None) -> str:
        day = day or self.day
        return f"/permanences/{self.building.permanence.id}/jour/{day.isoformat()}"


@pytest.fixture()
def sheet(app) -> Sheet:
    """A permanence held yesterday and in three days (published before yesterday)."""
    today = datetime.now(PARIS).date()
    day, yesterday = today + timedelta(days=3), today - timedelta(days=1)
    earlier = utcnow() - timedelta(days=3)
    building = build(earlier, {day.weekday(), yesterday.weekday()}, today + timedelta(days=20))
    return Sheet(building, day, yesterday)


def meta(response) -> str:
    return re.search(r'<p class="sheet-meta">(.*?)</p>', page_text(response), re.S).group(1)


HTMX = {"HX-Request": "true"}


def test_cancel_asks_for_confirmation_first_and_changes_nothing(sheet, client, login_as):
    w = sheet.building
    appointment = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    login_as(w.social_worker)
    page = page_text(client.get(sheet.url()))
    confirm_url = f"/permanences/rendez-vous/{appointment.id}/annulation"
    assert confirm_url in page and "Oui, annuler" not in page

    # A tap without confirming (no script) leads to the question, not to the cancellation.
    tapped = client.post(
        f"/permanences/rendez-vous/{appointment.id}/statut", data={"status": "cancelled"}
    )
    assert tapped.status_code == 302 and tapped.headers["Location"] == confirm_url
    question = client.get(confirm_url)
    assert question.status_code == 200
    assert "Annuler le rendez-vous de 14:00 (Restos du cœur) ?" in page_text(question)
    assert "Oui, annuler" in page_text(question) and "Non, le garder" in page_text(question)

    # With htmx, the row turns into the question in place.
    inline = client.get(confirm_url, headers=HTMX)
    assert page_text(inline).lstrip().startswith(f'<tr id="row-{slot_key(w.at(sheet.day, 14))}"')
    assert "Oui, annuler" in page_text(inline)
    assert status_of(appointment) == "booked"


def test_a_confirmed_cancel_redraws_the_sheet_with_the_right_count_and_an_undo(
    sheet, client, login_as, mailbox
):
    w = sheet.building
    appointment = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    w.book(w.chloe, w.epicerie, w.at(sheet.day, 15), utcnow())
    login_as(w.social_worker)
    assert "2 rendez-vous sur 6 créneaux" in meta(client.get(sheet.url()))

    response = client.post(
        f"/permanences/rendez-vous/{appointment.id}/statut",
        data={"status": "cancelled", "confirm": "oui"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert page_text(response).lstrip().startswith('<div id="day-sheet">')
    assert "1 rendez-vous sur 6 créneaux" in meta(response)
    assert "Rendez-vous annulé. L'association est prévenue par e-mail." in page_text(response)
    assert f"/permanences/rendez-vous/{appointment.id}/retablir" in page_text(response)
    assert status_of(appointment) == "cancelled"
    assert "a annulé le rendez-vous" in mailbox.to(RESTOS_MAIL).get_content()


def test_rétablir_puts_the_appointment_back_on_the_sheet(sheet, client, login_as, mailbox):
    w = sheet.building
    appointment = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    login_as(w.social_worker)
    cancelled = client.post(
        f"/permanences/rendez-vous/{appointment.id}/statut",
        data={"status": "cancelled", "confirm": "oui"},
    )
    assert cancelled.status_code == 302  # without script: back to the sheet, with a message
    page = client.get(cancelled.headers["Location"])
    assert "Rendez-vous annulé." in page_text(page) and "0 rendez-vous" in meta(page)

    response = client.post(f"/permanences/rendez-vous/{appointment.id}/retablir", headers=HTMX)

    assert response.status_code == 200
    assert "1 rendez-vous sur 6 créneaux" in meta(response)
    assert "Rendez-vous rétabli." in page_text(response)
    assert status_of(appointment) == "booked"
    assert "est rétabli" in mailbox.to(RESTOS_MAIL).get_content()


def test_rétablir_once_the_slot_is_taken_again_is_a_clear_refusal(sheet, client, login_as):
    w = sheet.building
    first = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    services.cancel_from_sheet(first.id, w.social_worker)
    w.book(w.chloe, w.epicerie, w.at(sheet.day, 14), utcnow())
    login_as(w.social_worker)

    response = client.post(f"/permanences/rendez-vous/{first.id}/retablir", headers=HTMX)

    assert response.status_code == 422
    assert "ne peut plus être rétabli" in page_text(response)
    assert "1 rendez-vous sur 6 créneaux" in meta(response)
    assert status_of(first) == "cancelled"


def test_absent_is_offered_and_accepted_only_once_the_appointment_has_started(
    sheet, client, login_as
):
    w = sheet.building
    coming = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    past = w.book(w.alice, w.restos, w.at(sheet.yesterday, 14), utcnow() - timedelta(days=3))
    login_as(w.social_worker)
    assert 'value="no_show"' not in page_text(client.get(sheet.url()))
    assert 'value="no_show"' in page_text(client.get(sheet.url(sheet.yesterday)))

    refused = client.post(
        f"/permanences/rendez-vous/{coming.id}/statut", data={"status": "no_show"}, headers=HTMX
    )
    assert refused.status_code == 422
    assert "pas encore commencé" in page_text(refused)
    assert status_of(coming) == "booked"

    marked = client.post(
        f"/permanences/rendez-vous/{past.id}/statut", data={"status": "no_show"}, headers=HTMX
    )
    assert marked.status_code == 200
    assert status_of(past) == "no_show"


@pytest.mark.parametrize("action", ["annulation", "retablir"])
def test_another_person_cannot_confirm_or_restore_on_the_sheet(sheet, client, login_as, action):
    w = sheet.building
    appointment = w.book(w.alice, w.restos, w.at(sheet.day, 14), utcnow())
    login_as(w.chloe)
    url = f"/permanences/rendez-vous/{appointment.id}/{action}"
    response = client.get(url) if action == "annulation" else client.post(url)
    assert response.status_code == 403
    assert status_of(appointment) == "booked"
