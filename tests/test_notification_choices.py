"""Each person chooses what mail they get (issue 11): the rules, the "Mes notifications" page,
a kind set to never or to the digest, the mail's HTML part and its one-click unsubscribe link
(RFC 8058). Both databases, the real SMTP capture."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.db import db
from pole.events.models import Event
from pole.notifications import rules, services
from pole.notifications.models import DigestItem, NotificationChoice
from pole.notifications.tokens import make_unsubscribe_token
from pole.outbox.models import OutgoingMail
from tests.test_events import MONDAY, at, book, fresh_world

PARIS = ZoneInfo("Europe/Paris")

# The pure rules -------------------------------------------------------------------------------


def test_reminders_are_off_by_default_and_every_other_kind_comes_each_time():
    defaults = {kind.key: kind.default for kind in rules.KINDS}
    assert defaults.pop("reminder") == "never"
    assert set(defaults.values()) == {"each"}
    assert [k.label for k in rules.KINDS][:2] == [
        "Mes réservations faites",
        "Mes réservations changées par d'autres",
    ]


@pytest.mark.parametrize(
    ("manager", "social_worker", "coordinator", "member", "has_waiting", "has_appointments"),
    [
        (False, False, False, False, False, False),
        # A volunteer who booked an appointment is told when its date is called off.
        (False, False, False, True, False, True),
        (True, False, False, False, True, False),
        (False, True, False, False, False, True),
        (False, False, True, True, False, True),
    ],
    ids=["no-organisation", "volunteer", "manager", "social-worker", "coordinator"],
)
def test_who_chooses_which_kinds(
    manager, social_worker, coordinator, member, has_waiting, has_appointments
):
    keys = {k.key for k in rules.kinds_for(manager, social_worker, coordinator, member)}
    assert ("waiting" in keys, "appointment" in keys) == (has_waiting, has_appointments)
    assert {"made", "changed", "closure", "reminder", "notice", "waitlist"} <= keys


@pytest.mark.parametrize(
    ("kind", "chosen", "effective"),
    [
        ("made", "never", "never"),
        ("made", "digest", "digest"),
        ("made", None, "each"),
        ("made", "nonsense", "each"),
        ("waiting", "never", "each"),  # a request waits: never silenced
        ("waiting", "digest", "digest"),
        ("reminder", None, "never"),
        ("reminder", "digest", "never"),  # a digest would come the day of the booking
        ("reminder", "each", "each"),
    ],
)
def test_a_choice_counts_only_when_the_kind_allows_it(kind, chosen, effective):
    assert rules.choice_of(kind, chosen) == effective


@pytest.mark.parametrize(
    ("now", "digest", "reminder"),
    [
        (datetime(2031, 3, 3, 5, 59, tzinfo=UTC), None, None),  # 06:59 in Paris (winter)
        (datetime(2031, 3, 3, 6, 0, tzinfo=UTC), "2031-03-03", "2031-03-04"),
        (datetime(2031, 7, 3, 4, 59, tzinfo=UTC), None, None),  # 06:59 in Paris (summer)
        (datetime(2031, 7, 3, 5, 0, tzinfo=UTC), "2031-07-03", "2031-07-04"),
        (datetime(2031, 3, 30, 22, 30, tzinfo=UTC), None, None),  # after midnight, DST night
        (datetime(2031, 12, 31, 22, 59, tzinfo=UTC), "2031-12-31", "2032-01-01"),
    ],
)
def test_digests_and_reminders_are_due_from_seven_in_the_sites_time_zone(now, digest, reminder):
    day = rules.digest_day(now, PARIS)
    assert (day and day.isoformat()) == digest
    remind = rules.reminder_day(now, PARIS)
    assert (remind and remind.isoformat()) == reminder
    if day is not None:
        assert rules.digest_cutoff(day, PARIS).astimezone(PARIS).hour == 7


# The page -------------------------------------------------------------------------------------


@pytest.fixture()
def world(app):
    return fresh_world(OutgoingMail, Event)


def choices(user) -> dict[str, str]:  # noqa: ANN001
    db.session.rollback()
    return services.choices_of(user.id)


def form_data(**chosen: str) -> dict[str, str]:
    volunteer_kinds = (
        "made",
        "changed",
        "closure",
        "appointment",
        "reminder",
        "notice",
        "waitlist",
    )
    data = {kind: rules.KINDS_BY_KEY[kind].default for kind in volunteer_kinds}
    return data | chosen


def test_the_page_is_linked_from_the_account_and_the_menu(world, client, login_as):
    login_as(world.alice)
    account = client.get("/compte").get_data(as_text=True)
    # The account page, and the navigation: the phone's menu and the wide screens' bar.
    assert account.count('href="/compte/notifications"') == 3


def test_the_page_shows_a_fieldset_of_radio_buttons_per_kind(world, client, login_as):
    login_as(world.alice)
    response = client.get("/compte/notifications")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # No approvals for a volunteer; appointments, since she may book one.
    assert page.count("<fieldset") == 7
    assert "<legend>Rendez-vous de permanence</legend>" in page
    assert "<legend>Mes réservations changées par d&#39;autres</legend>" in page
    assert '<input checked id="made-0" name="made" required type="radio" value="each">' in page
    assert (
        '<input checked id="reminder-1" name="reminder" required type="radio" value="never">'
        in (page)
    )


def test_saving_the_page_stores_the_choices_with_an_event(world, client, login_as):
    login_as(world.alice)
    data = form_data(made="digest", closure="never", reminder="each")
    response = client.post("/compte/notifications", data=data)
    assert response.status_code == 302
    assert "Vos choix de notifications sont enregistrés." in client.get(response.location).get_data(
        as_text=True
    )
    chosen = choices(world.alice)
    assert (chosen["made"], chosen["closure"], chosen["reminder"]) == ("digest", "never", "each")
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "notifications.chosen"))
    assert event.actor_id == world.alice.id
    assert event.before == {"made": "each", "closure": "each", "reminder": "never"}
    assert event.after == {"made": "digest", "closure": "never", "reminder": "each"}


@pytest.mark.parametrize(
    "bad",
    [{"made": "sometimes"}, {"reminder": "digest"}, {"made": ""}],
    ids=["unknown", "not-for-this-kind", "empty"],
)
def test_bad_input_comes_back_with_its_error_and_changes_nothing(world, client, login_as, bad):
    login_as(world.alice)
    response = client.post("/compte/notifications", data=form_data(closure="never", **bad))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choisissez" in page and 'class="field choices has-errors"' in page
    assert choices(world.alice)["closure"] == "each"  # the valid part is not saved either
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationChoice)) == 0


def test_a_missing_kind_is_refused(world, client, login_as):
    login_as(world.alice)
    data = form_data()
    del data["notice"]
    assert client.post("/compte/notifications", data=data).status_code == 422


def test_a_manager_cannot_turn_off_the_requests_that_wait_and_is_told_so(world, client, login_as):
    login_as(world.manager)
    page = client.get("/compte/notifications").get_data(as_text=True)
    assert "Demandes à approuver" in page and "ne peuvent pas être coupés" in page
    assert 'name="waiting" required type="radio" value="never"' not in page
    data = form_data(waiting="never")
    assert client.post("/compte/notifications", data=data).status_code == 422
    assert client.post("/compte/notifications", data=form_data(waiting="digest")).status_code == 302
    assert choices(world.manager)["waiting"] == "digest"


def test_the_page_needs_a_login(world, client):
    response = client.get("/compte/notifications")
    assert response.status_code == 302 and "/connexion" in response.location


# What a choice does to the mail ---------------------------------------------------------------


def choose(user, **chosen: str) -> None:  # noqa: ANN001
    from pole.db import utcnow

    services.save_choices(user, chosen, utcnow())


def outbox() -> list[OutgoingMail]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def test_a_kind_set_to_never_sends_nothing(world, mailbox):
    choose(world.alice, made="never")
    book(world)
    assert outbox() == [] and mailbox.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestItem)) == 0


def test_a_kind_set_to_the_digest_keeps_an_item_instead_of_a_mail(world, mailbox):
    choose(world.alice, made="digest")
    booking = book(world)
    assert outbox() == []
    [item] = db.session.scalars(sa.select(DigestItem))
    assert (item.user_id, item.kind) == (world.alice.id, "made")
    assert booking.title in item.text and "Bonjour" not in item.text


def test_a_rolled_back_change_keeps_no_digest_item(world):
    from pole.bookings import services as bookings
    from pole.db import write_transaction
    from tests.test_permanences import NOW

    choose(world.alice, made="digest")
    data = bookings.BookingData(world.room.id, world.restos.id, at(MONDAY, 10), at(MONDAY, 11), "X")
    with pytest.raises(RuntimeError), write_transaction(now=NOW):
        bookings.create_booking(data, world.alice, NOW)
        raise RuntimeError("the request fails after the booking")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestItem)) == 0


@pytest.fixture()
def linked(app, monkeypatch):
    """The building is https://pole.example.fr: mails carry absolute links there, even from a
    request that came in by another address."""
    monkeypatch.setitem(app.config, "POLE_BASE_URL", "https://pole.example.fr")
    with app.test_request_context(base_url="http://10.0.0.7:8000"):
        yield


def test_a_mail_has_an_escaped_html_part_its_ics_and_a_one_click_unsubscribe_link(
    world, linked, mailbox
):
    book(world, title="Atelier <b>cuisine</b> & goûter")
    mail = mailbox.to(world.alice.email)
    unsubscribe = re.fullmatch(r"<(https://pole\.example\.fr/desabonnement/[\w.-]+)>",
                               mail["List-Unsubscribe"]).group(1)  # fmt: skip
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_content()
    assert f"Ne plus recevoir ces e-mails : {unsubscribe}" in text
    assert "Choisir ce que vous recevez : https://pole.example.fr/compte/notifications" in text
    html = mail.get_body(("html",)).get_content()
    assert (
        '<html lang="fr">' in html and "<li>Atelier &lt;b&gt;cuisine&lt;/b&gt; &amp; goûter" in html
    )
    assert "<b>cuisine</b>" not in html
    assert f'<a href="{unsubscribe}">Ne plus recevoir ces e-mails</a>' in html
    [ics] = [p for p in mail.walk() if p.get_filename() == "invitation.ics"]
    assert b"METHOD:REQUEST" in ics.get_payload(decode=True)


def test_a_request_to_the_managers_carries_no_unsubscribe_link(world, linked, mailbox):
    world.room.requires_approval = True
    db.session.commit()
    book(world)
    mail = mailbox.to(world.manager.email)
    assert mail["List-Unsubscribe"] is None
    assert "Choisir ce que vous recevez" in mail.get_content()


# The one-click link ---------------------------------------------------------------------------


def unsubscribe_path(user, *kinds: str) -> str:  # noqa: ANN001
    return f"/desabonnement/{make_unsubscribe_token(user.id, list(kinds))}"


def test_following_the_link_changes_nothing_and_asks_to_confirm(world, client):
    response = client.get(unsubscribe_path(world.alice, "closure"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fermetures" in page and "Ne plus recevoir ces e-mails</button>" in page
    assert choices(world.alice)["closure"] == "each"


def test_one_click_unsubscribes_without_login_nor_csrf(world, client, mailbox, linked):
    book(world)
    link = mailbox.to(world.alice.email)["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://pole.example.fr")
    response = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200
    assert "Mes réservations faites" in response.get_data(as_text=True)
    assert choices(world.alice)["made"] == "never"
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "notifications.unsubscribed"))
    assert (event.actor_id, event.after) == (world.alice.id, {"made": "never"})
    mailbox.clear()
    book(world, at(MONDAY, 14), at(MONDAY, 15))
    assert [m["To"] for m in mailbox.messages] == []  # she made it: nobody else is told


def test_the_confirm_button_unsubscribes_too_and_twice_is_harmless(world, client):
    path = unsubscribe_path(world.alice, "notice", "waitlist")
    for _ in range(2):
        assert client.post(path, csrf=False).status_code == 200
    chosen = choices(world.alice)
    assert (chosen["notice"], chosen["waitlist"], chosen["made"]) == ("never", "never", "each")


def test_a_link_cannot_silence_the_requests_that_wait(world, client):
    response = client.post(unsubscribe_path(world.manager, "waiting"), csrf=False)
    assert response.status_code == 200
    assert "ne peuvent pas être coupés" in response.get_data(as_text=True)
    assert choices(world.manager)["waiting"] == "each"


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "eyJ1IjoxLCJrIjpbIm1hZGUiXX0.forged",
        "",
    ],
    ids=["garbage", "forged", "empty"],
)
def test_a_bad_link_is_a_clear_404_never_a_500(world, client, token):
    for method in (client.get, lambda p: client.post(p, csrf=False)):
        response = method(f"/desabonnement/{token}")
        assert response.status_code == 404
        if token:
            assert "Lien invalide" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationChoice)) == 0


def test_a_link_signed_for_something_else_or_a_gone_person_is_refused(world, client, app):
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer(app.config["SECRET_KEY"], salt="pole.invitation").dumps(
        {"u": world.alice.id, "k": ["made"]}
    )
    assert client.get(f"/desabonnement/{other}").status_code == 404
    assert client.get(unsubscribe_path(world.alice, "no-such-kind")).status_code == 404
    ghost = make_unsubscribe_token(10**6, ["made"])
    assert client.post(f"/desabonnement/{ghost}", csrf=False).status_code == 404


@pytest.mark.parametrize("kind", ["notify_waitlist", "notice"])
def test_tell_takes_the_waiting_list_and_noticeboard_kinds_as_h19_names_them(world, kind):
    from pole.db import write_transaction
    from pole.notifications import tell

    short = kind.removeprefix("notify_")
    with write_transaction():
        assert tell(world.alice, kind, "Une place s'est libérée", "- Salle 1, lundi") == "each"
    choose(world.bob, **{short: "never"})
    with write_transaction():
        assert tell(world.bob, kind, "Une place s'est libérée", "- Salle 1, lundi") == "never"
    [row] = outbox()
    assert (row.to, row.kind) == (world.alice.email, f"notify_{short}")
    assert row.text_body.startswith("Bonjour Alice Restos,\n\n- Salle 1, lundi\n")
