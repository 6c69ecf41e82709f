"""The worker's daily mails (issue 11): each person's digest at about 07:00 with what was kept
for them, and the reminders of tomorrow's bookings for those who asked; each sent once, even
by several workers at the same instant, and nothing lost when one fails mid-way. `now` is
injected; both databases; the real SMTP capture."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole import worker
from pole.bookings import services as bookings
from pole.db import db
from pole.events.models import Event
from pole.notifications import daily, services
from pole.notifications.models import DailyMail, DigestItem
from pole.outbox.models import OutgoingMail
from pole.timeutil import local_to_utc
from tests.concurrency import race
from tests.test_events import MONDAY, at, book, fresh_world
from tests.test_permanences import NOW

PARIS = ZoneInfo("Europe/Paris")
BASE = "https://pole.example.fr/pole"
DAY_AFTER = (NOW + timedelta(days=1)).astimezone(PARIS).date()  # the first digest's day
SUNDAY = MONDAY - timedelta(days=1)


def paris(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


@pytest.fixture()
def world(app, monkeypatch):
    # The worker has no request and no SERVER_NAME: its links are built on POLE_BASE_URL
    # (here with a path: the app may be served under one).
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "POLE_BASE_URL", BASE)
    with app.app_context():
        yield fresh_world(OutgoingMail, Event)
        db.session.remove()


def outbox(kind: str) -> list[OutgoingMail]:
    db.session.rollback()
    query = sa.select(OutgoingMail).where(OutgoingMail.kind == kind).order_by(OutgoingMail.id)
    return list(db.session.scalars(query))


def count(model) -> int:  # noqa: ANN001
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# The digest -----------------------------------------------------------------------------------


@pytest.fixture()
def kept(world):
    """Alice gets her bookings and their changes in the digest; two are kept for her."""
    services.save_choices(world.alice, {"made": "digest", "changed": "digest"}, NOW)
    book(world, title="Distribution")
    other = book(world, at(MONDAY, 14), at(MONDAY, 16), title="Collecte")
    bookings.cancel_booking(other.id, world.bob, now=NOW)
    assert count(DigestItem) == 3 and outbox("notify_made") == []
    return world


def test_the_digest_leaves_at_seven_with_everything_kept_since_the_last_one(kept, mailbox):
    world = kept
    assert daily.send_digests(NOW + timedelta(hours=1)) == 0  # kept after today's 07:00
    assert daily.send_digests(paris(DAY_AFTER, 6, 59)) == 0  # not yet seven
    assert daily.send_digests(paris(DAY_AFTER, 7, 2)) == 1
    assert count(DigestItem) == 0 and daily.send_digests(paris(DAY_AFTER, 7, 3)) == 0

    [row] = outbox("notify_digest")
    assert row.to == world.alice.email
    mail = mailbox.to(world.alice.email)
    assert "Votre résumé Pôle du" in mail["Subject"] and "(3 messages)" in mail["Subject"]
    text = mail.get_content()
    assert text.startswith("Bonjour Alice Restos,")
    assert text.count("Distribution") == 1 and "annulée par Bob Restos" in text
    assert "« Mes réservations faites », « Mes réservations changées par d'autres »" in text
    assert mail["List-Unsubscribe"].startswith(f"<{BASE}/desabonnement/")
    assert f"Choisir ce que vous recevez : {BASE}/compte/notifications" in text
    html = mail.get_body(("html",)).get_content()
    assert "<ul>" in html and f'href="{BASE}/compte/notifications"' in html
    assert mail["Message-ID"].endswith("@pole.example.fr>")


def test_what_comes_after_the_digest_waits_for_the_next_one(kept, mailbox):
    world = kept
    assert daily.send_digests(paris(DAY_AFTER, 8)) == 1
    later = paris(DAY_AFTER, 9)
    data = bookings.BookingData(
        world.room.id, world.restos.id, at(MONDAY, 17), at(MONDAY, 18), "Réunion"
    )
    bookings.create_booking(data, world.alice, now=later)
    assert daily.send_digests(paris(DAY_AFTER, 23)) == 0
    assert daily.send_digests(paris(DAY_AFTER + timedelta(days=1), 7)) == 1
    assert "Réunion" in outbox("notify_digest")[-1].text_body
    assert count(DailyMail) == 2


def test_several_workers_at_the_same_instant_send_one_digest(kept, app):
    outcomes = race(app, lambda _: daily.send_digests(paris(DAY_AFTER, 7, 5)), (), n=4)
    assert sorted(outcomes) == [0, 0, 0, 1]
    assert len(outbox("notify_digest")) == 1 and count(DigestItem) == 0


def test_a_digest_that_fails_mid_way_loses_nothing(kept, monkeypatch):
    def dies(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ConnectionError("the worker's database connection dropped")

    monkeypatch.setattr(daily, "write_digest", dies)
    assert daily.send_digests(paris(DAY_AFTER, 7, 5)) == 0
    assert count(DigestItem) == 3 and count(DailyMail) == 0
    monkeypatch.undo()
    assert daily.send_digests(paris(DAY_AFTER, 7, 6)) == 1
    assert count(DigestItem) == 0


def test_the_digests_unsubscribe_link_turns_its_kinds_off(kept, client, mailbox):
    daily.send_digests(paris(DAY_AFTER, 7))
    link = mailbox.to(kept.alice.email)["List-Unsubscribe"].strip("<>")
    response = client.post(link.removeprefix(BASE), csrf=False)
    assert response.status_code == 200
    db.session.rollback()
    chosen = services.choices_of(kept.alice.id)
    assert (chosen["made"], chosen["changed"], chosen["closure"]) == ("never", "never", "each")


# The reminders --------------------------------------------------------------------------------


@pytest.fixture()
def monday(world):
    """Alice asked for reminders and has two bookings on Monday; Bob did not, and has one."""
    world.room.practical_info = "Clé au secrétariat."
    db.session.commit()
    services.save_choices(world.alice, {"reminder": "each"}, NOW)
    book(world, at(MONDAY, 14), at(MONDAY, 16), title="Collecte")
    book(world, title="Distribution")
    gone = book(world, at(MONDAY, 17), at(MONDAY, 18), title="Annulée")
    bookings.cancel_booking(gone.id, world.alice, now=NOW)
    book(world, at(MONDAY + timedelta(days=1), 10), at(MONDAY + timedelta(days=1), 11),
         title="Mardi")  # fmt: skip
    book(world, at(MONDAY, 12), at(MONDAY, 13), user=world.bob, title="Chez Bob")
    return world


def test_the_day_before_one_mail_lists_tomorrows_bookings_with_the_practical_information(
    monday, mailbox
):
    world = monday
    assert daily.send_reminders(paris(SUNDAY, 6, 59)) == 0
    assert daily.send_reminders(paris(SUNDAY, 7, 30)) == 1
    assert daily.send_reminders(paris(SUNDAY, 20)) == 0
    [row] = outbox("notify_reminder")
    assert row.to == world.alice.email
    mail = mailbox.to(world.alice.email)
    assert mail["Subject"].startswith("Rappel : vos réservations de demain")
    text = mail.get_content()
    assert text.index("Distribution") < text.index("Collecte")
    assert "Annulée" not in text and "Mardi" not in text and "Chez Bob" not in text
    assert text.count("Clé au secrétariat.") == 1
    assert mail["List-Unsubscribe"].startswith(f"<{BASE}/desabonnement/")
    assert f"Choisir ce que vous recevez : {BASE}/compte/notifications" in text


def test_reminders_are_sent_once_by_several_workers_at_once(monday, app):
    outcomes = race(app, lambda _: daily.send_reminders(paris(SUNDAY, 7, 1)), (), n=4)
    assert sorted(outcomes) == [0, 0, 0, 1]
    assert len(outbox("notify_reminder")) == 1


def test_nobody_is_reminded_by_default(world):
    book(world)
    assert daily.send_reminders(paris(SUNDAY, 8)) == 0


def test_the_worker_looks_for_daily_mails_every_minute():
    jobs = {job.run.__name__: job.every for job in worker.timed_jobs()}
    assert jobs["send_digests"] == jobs["send_reminders"] == 60


def test_old_claims_are_forgotten_but_not_the_days_they_still_guard(kept):
    daily.send_digests(paris(DAY_AFTER, 7))
    assert daily.forget_old_claims(paris(DAY_AFTER, 8), keep_days=30) == 0
    assert daily.send_digests(paris(DAY_AFTER, 9)) == 0
    assert daily.forget_old_claims(paris(DAY_AFTER + timedelta(days=40), 8), keep_days=30) == 1
    assert count(DailyMail) == 0
