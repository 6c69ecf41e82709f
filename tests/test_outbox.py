"""The outbox on both databases, against a real SMTP server on 127.0.0.1: mail written with
its change, sent after the commit, retried while the server is down, never sent twice."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from email.policy import default as default_policy

import icalendar
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from pole.bookings import services
from pole.db import db, utcnow, write_transaction
from pole.feeds.bookings import booking_uid
from pole.outbox import Delivery, deliver_due, queue_mail, rules
from pole.outbox import message as outbox_message
from pole.outbox.message import build_message
from pole.outbox.models import OutgoingMail
from pole.outbox.sender import claim, forget_old
from tests.conftest import Mailbox, free_port
from tests.factories import make_booking, make_organisation, make_resource, make_user


@pytest.fixture()
def smtp(app, monkeypatch):  # noqa: ANN001, ANN201
    """An SMTP server of the test's own, down until `smtp.up()`."""

    class Server:
        def __init__(self) -> None:
            self.box = Mailbox()
            self.port = free_port()
            self.controller: Controller | None = None
            monkeypatch.setitem(app.config, "MAIL_PORT", self.port)

        def up(self, handler: Mailbox | None = None) -> None:
            if handler is not None:
                self.box = handler
            self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
            self.controller.start()

        def down(self) -> None:
            if self.controller is not None:
                self.controller.stop()
                self.controller = None

        def ids(self) -> list[str]:
            return [m["Message-ID"] for m in self.box._messages]

    server = Server()
    yield server
    server.down()


@pytest.fixture()
def kitchen_requests(app):  # noqa: ANN001, ANN201
    """Ten bookings of the kitchen, each waiting for the manager's approval."""
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    volunteer = make_user(restos, name="Monique", email="monique@exemple.fr")
    kitchen = make_resource(name="Cuisine équipée", requires_approval=True)
    first = (utcnow() + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    requests = [
        make_booking(
            kitchen,
            restos,
            first + timedelta(days=i),
            hours=2,
            title=f"Atelier <cuisine> n°{i}",
            status="pending",
            created_by=volunteer,
        )
        for i in range(10)
    ]
    return requests, make_user(is_manager=True, name="Nadia")


def approve_all(app, requests, manager) -> None:  # noqa: ANN001
    with app.test_request_context():
        for booking in requests:
            services.approve_booking(booking.id, manager)


def statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status)
    )
    return dict(rows.all())


def test_smtp_down_during_ten_decisions_then_up_delivers_each_mail_once(
    app, smtp, kitchen_requests
):
    requests, manager = kitchen_requests
    approve_all(app, requests, manager)  # the server is down: nothing waits for it
    now = utcnow()

    assert deliver_due(now) == Delivery(claimed=10, retried=10)
    assert statuses() == {"queued": 10}
    smtp.up()
    assert deliver_due(now + timedelta(seconds=30)).claimed == 0  # retried after a minute
    assert deliver_due(now + timedelta(seconds=61)).sent == 10
    assert deliver_due(now + timedelta(hours=2)).claimed == 0

    assert statuses() == {"sent": 10}
    assert len(smtp.ids()) == len(set(smtp.ids())) == 10
    subjects = {m["Subject"] for m in smtp.box._messages}
    assert subjects == {"Réservation confirmée : Cuisine équipée"}


def test_a_rolled_back_change_leaves_no_mail(app):
    with pytest.raises(RuntimeError, match="no thanks"), write_transaction():
        queue_mail("monique@exemple.fr", "Bonjour", "Texte", kind="test")
        raise RuntimeError("no thanks")
    assert statuses() == {}


def test_a_refused_decision_queues_no_mail(app, kitchen_requests):
    requests, manager = kitchen_requests
    approve_all(app, requests[:1], manager)
    with app.test_request_context(), pytest.raises(services.BookingRefused):
        services.reject_booking(requests[0].id, manager, "trop tard")
    assert statuses() == {"queued": 1}


def test_a_mail_is_only_queued_inside_the_change_transaction(app):
    with pytest.raises(RuntimeError, match="write_transaction"):
        queue_mail("monique@exemple.fr", "Bonjour", "Texte", kind="test")


def queue(count: int, now=None) -> None:  # noqa: ANN001
    with write_transaction():
        for i in range(count):
            queue_mail(f"personne{i}@exemple.fr", f"Message {i}", "Bonjour", kind="test", now=now)


@pytest.mark.concurrency
def test_two_senders_at_once_deliver_each_mail_once(app, smtp):
    smtp.up()
    queue(60)
    now = utcnow()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                start.wait()
                while deliver_due(now, limit=3).claimed:
                    pass
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses() == {"sent": 60}
    assert len(smtp.ids()) == len(set(smtp.ids())) == 60


def test_a_sender_killed_after_claiming_loses_nothing(app, smtp):
    smtp.up()
    queue(5)
    now = utcnow()
    assert len(claim(now)) == 5  # ...and the sender dies before sending or recording

    assert deliver_due(now + timedelta(minutes=1)).claimed == 0  # its lease still runs
    assert deliver_due(now + rules.LEASE).sent == 5
    assert statuses() == {"sent": 5}
    assert len(smtp.ids()) == 5


class Refusing(Mailbox):
    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        return "554 5.7.1 Message refused"


def test_a_refused_mail_is_retried_later_then_given_up_after_a_day(app, smtp):
    smtp.up(Refusing())
    queue(1)
    created = utcnow()
    tried_at = [created]
    while deliver_due(tried_at[-1]).claimed:
        mail = db.session.scalar(sa.select(OutgoingMail))
        if mail.status == "failed":
            break
        db.session.rollback()
        tried_at.append(mail.due_at)

    mail = db.session.scalar(sa.select(OutgoingMail))
    waits = [b - a for a, b in zip(tried_at, tried_at[1:], strict=False)]
    assert [w.total_seconds() / 60 for w in waits[:8]] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert mail.status == "failed" and mail.attempts == len(tried_at)
    assert "554" in mail.last_error
    assert tried_at[-1] - created >= rules.GIVE_UP_AFTER > tried_at[-2] - created


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)],
    ids=["first", "second", "third", "sixth", "capped", "far"],
)
def test_retries_wait_longer_each_time_an_hour_at_most(attempts, minutes):
    assert rules.retry_delay(attempts) == timedelta(minutes=minutes)


def test_a_decision_mail_is_french_text_with_html_and_the_booking_invitation(
    app, mailbox, kitchen_requests
):
    requests, manager = kitchen_requests
    approve_all(app, requests[:1], manager)
    with app.test_request_context():
        services.reject_booking(requests[1].id, manager, "Cuisine en travaux")

    approved, rejected = (db.session.get(type(r), r.id) for r in requests[:2])
    for booking, method, status in (
        (approved, "REQUEST", "CONFIRMED"),
        (rejected, "CANCEL", "CANCELLED"),
    ):
        mail = next(m for m in mailbox.messages if booking.title in m.get_content())
        text = mail.get_body(("plain",)).get_content()
        page = mail.get_body(("html",)).get_content()
        assert "Bonjour Monique" in text and 'lang="fr"' in page
        assert "Atelier &lt;cuisine&gt;" in page and "<cuisine>" not in page
        [invitation] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        assert invitation.get_param("method") == method
        calendar = icalendar.Calendar.from_ical(invitation.get_content())
        [event] = calendar.walk("VEVENT")
        assert calendar["METHOD"] == method and event["STATUS"] == status
        assert str(event["UID"]) == booking_uid("event", booking.id, booking.created_at)
        assert event["SEQUENCE"] == booking.sequence >= 1
        assert "monique@exemple.fr" in str(event["ATTENDEE"])
        [attached] = [p for p in mail.iter_attachments() if p.get_filename() == "invitation.ics"]
        assert attached.get_content().decode() == invitation.get_content()


@pytest.mark.parametrize(
    ("log_body", "testing", "shown"),
    [(False, False, False), (True, False, True), (False, True, True)],
    ids=["production", "told-to", "tests"],
)
def test_without_smtp_a_mail_goes_to_the_log_its_link_only_in_development(
    app, monkeypatch, caplog, log_body, testing, shown
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "POLE_MAIL_LOG_BODY", log_body)
    monkeypatch.setattr(app, "testing", testing)
    with write_transaction():
        queue_mail("marie@exemple.fr", "Réinitialisation", "https://pole/mdp/SECRET", kind="test")

    with caplog.at_level("INFO", logger="pole.mail"):
        assert deliver_due().sent == 1

    assert "marie@exemple.fr: Réinitialisation" in caplog.text
    assert ("SECRET" in caplog.text) is shown
    assert ("body withheld" in caplog.text) is not shown


def test_sent_and_given_up_mails_leave_the_outbox_after_the_retention(app, smtp):
    smtp.up()
    long_ago = utcnow() - timedelta(days=31)
    queue(2, now=long_ago)
    queue(1)
    deliver_due()
    queue(1, now=long_ago)  # still waiting: never deleted

    assert forget_old(utcnow(), keep_days=30) == 2
    assert statuses() == {"sent": 1, "queued": 1}


def test_a_reset_for_an_unknown_address_leaves_no_mail_in_the_outbox(app, client):
    make_user(email="marie@exemple.fr")
    for email in ("inconnue@exemple.fr", "marie@exemple.fr"):
        client.post("/mot-de-passe-oublie", data={"email": email})
    db.session.rollback()
    assert db.session.scalars(sa.select(OutgoingMail.to)).all() == ["marie@exemple.fr"]


def test_a_message_says_byte_for_byte_what_the_default_policy_writes(monkeypatch):
    """The headers every mail repeats are parsed once (pole.outbox.message): same bytes."""
    mails = [
        OutgoingMail(
            id=n, to="Zoé Martin <zoe@exemple.fr>", subject="Réservation confirmée : Cuisine",
            text_body="Bonjour Zoé,\n\nhttps://pole.example/reservations/1\n",
            html_body="<p>Bonjour Zoé,</p>", ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            ics_method="REQUEST", unsubscribe_url="https://pole.example/desabonnement/T",
            created_at=utcnow() + timedelta(seconds=n),
        )
        for n in (1, 2, 3)
    ]  # fmt: skip

    def written() -> list[bytes]:
        messages = [build_message(m, "Pôle <pole@exemple.fr>", "pole.example") for m in mails]
        # The MIME boundaries are random: all else is compared.
        return [re.sub(rb"={15}\d+==", b"B", message.as_bytes()) for message in messages]

    ours = written()
    monkeypatch.setattr(outbox_message, "_POLICY", default_policy)
    assert ours == written()


def test_a_long_unsubscribe_link_reaches_the_mail_client_as_written(app, smtp):
    # A signed link is longer than a header line's 78 characters and has no space: the
    # email package would fold it into RFC 2047 encoded words, which mail clients do not
    # decode in List-Unsubscribe (RFC 2369), losing the one-click link.
    link = "https://pole.example.fr/desabonnement/" + "eyJ1Ijo0MiwiayI6WyJtYWRlIl19." * 4
    smtp.up()
    with write_transaction():
        queue_mail(
            "zoe@exemple.fr", "Réservation confirmée", "Bonjour", kind="test",
            unsubscribe_url=link,
        )  # fmt: skip
    assert deliver_due().sent == 1
    (raw,) = [m.raw for m in smtp.box._messages]
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw
    assert b"=?" not in raw.split(b"\r\n\r\n")[0].split(b"List-Unsubscribe:")[1].split(b"\r\n")[0]


def test_a_mail_the_email_package_refuses_waits_alone_and_the_others_leave(app, smtp):
    smtp.up()
    with write_transaction():
        queue_mail("zoe@exemple.fr", "Réservation\nconfirmée", "Bonjour", kind="test")
        queue_mail("bad@exemple.fr\nBcc: x@exemple.fr", "Hors d'usage", "Bonjour", kind="test")
        queue_mail("leo@exemple.fr", "Rappel", "Bonjour", kind="test")
    delivery = deliver_due()
    assert (delivery.claimed, delivery.sent, delivery.retried) == (3, 2, 1)
    received = {m["To"]: m["Subject"] for m in smtp.box._messages}
    # A line break in a subject (a title a person wrote) stays on the subject's line.
    assert received == {"zoe@exemple.fr": "Réservation confirmée", "leo@exemple.fr": "Rappel"}
    bad = db.session.scalar(sa.select(OutgoingMail).where(OutgoingMail.subject == "Hors d'usage"))
    assert bad.status == "queued" and bad.attempts == 1 and "ValueError" in bad.last_error


def test_smtp_down_during_ten_bookings_then_up_delivers_each_authors_mail_once(app, smtp):
    """Ten bookings made while the SMTP server is down: each author's mail, written with its
    booking (on PostgreSQL in one statement with the event), waits, then leaves once."""
    from pole.events.models import Event
    from tests.test_events import MONDAY, NOW, at, book, fresh_world

    world = fresh_world(OutgoingMail, Event)
    days = [MONDAY + timedelta(weeks=i) for i in range(10)]
    made = [book(world, at(day, 10), at(day, 11)) for day in days]
    assert deliver_due(NOW) == Delivery(claimed=10, retried=10)  # the server is down
    assert statuses() == {"queued": 10}
    smtp.up()
    assert deliver_due(NOW + timedelta(seconds=30)).claimed == 0  # retried after a minute
    assert deliver_due(NOW + timedelta(seconds=61)).sent == 10
    assert deliver_due(NOW + timedelta(hours=2)).claimed == 0
    assert statuses() == {"sent": 10}
    assert len(smtp.ids()) == len(set(smtp.ids())) == 10
    uids = []
    for message in smtp.box._messages:
        assert message["To"] == world.alice.email
        [invitation] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        [event] = icalendar.Calendar.from_ical(invitation.get_content()).walk("VEVENT")
        assert (event["STATUS"], invitation.get_param("method")) == ("CONFIRMED", "REQUEST")
        uids.append(str(event["UID"]))
    assert sorted(uids) == sorted(booking_uid("event", b.id, b.created_at) for b in made)
    booked = db.session.scalars(sa.select(Event.booking_id).where(Event.kind == "booking.created"))
    assert set(booked) == {b.id for b in made}
