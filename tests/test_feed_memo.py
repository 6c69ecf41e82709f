"""Events written once are kept by the row they were written from (pole.feeds.memo), on both
databases: a feed rebuilt after a change writes only what changed, and says exactly what a
feed written from nothing says.

Every test here rebuilds its feeds on each request (no built feed kept), as a calendar app
sees them after any change to one of their bookings.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db
from pole.feeds import cache as feed_cache
from pole.feeds import sources
from pole.feeds.memo import WrittenMemo, written_memo
from pole.organisations.models import Organisation
from pole.permanences.models import Permanence
from pole.resources.models import Resource
from tests.test_feeds import FEEDS, building, feed_url, link_for  # noqa: F401


@pytest.fixture()
def rebuilt(app):
    """No built feed kept: each request writes its feed from its rows."""
    saved = app.config["POLE_FEED_CACHE_SIZE"], app.config["POLE_FEED_EVENT_MEMO_SIZE"]
    app.config["POLE_FEED_CACHE_SIZE"] = 0
    feed_cache.clear_cache()
    yield app
    app.config["POLE_FEED_CACHE_SIZE"], app.config["POLE_FEED_EVENT_MEMO_SIZE"] = saved
    feed_cache.clear_cache()


def memo_size(app, size: int) -> None:
    app.config["POLE_FEED_EVENT_MEMO_SIZE"] = size
    feed_cache.clear_cache()  # the memo is made again, with this size


def fetch(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    db.session.rollback()
    return response.data


def bodies(client, urls: dict[str, str]) -> dict[str, bytes]:
    return {kind: fetch(client, url) for kind, url in urls.items()}


def test_every_feed_says_the_same_from_the_memo_as_from_nothing(
    client,
    building,  # noqa: F811  (the fixture imported above)
    rebuilt,
):
    urls = {kind: feed_url(building, kind) for kind in FEEDS}
    memo_size(rebuilt, 0)
    from_nothing = bodies(client, urls)
    assert len(written_memo()) == 0

    memo_size(rebuilt, 10_000)
    first = bodies(client, urls)
    kept = len(written_memo())
    # One entry per booking event of each feed: the same booking in another kind of feed
    # (the hall's door hides a private title, the association shows it) is kept apart.
    assert kept >= 10
    again = bodies(client, urls)
    assert len(written_memo()) == kept  # nothing written again
    assert first == from_nothing
    assert again == from_nothing


def test_a_change_the_feed_versions_do_not_see_still_reaches_the_rebuilt_feed(
    client,
    building,  # noqa: F811
    rebuilt,
):
    """The memo's key is the whole row: a title, a room's or an association's name changed
    without touching `updated_at` or `sequence` gives another row, hence another text."""
    url = feed_url(building, "organisation")
    before = fetch(client, url).decode()
    edited = db.session.get(Booking, building.edited)
    assert "Réunion des bénévoles" in before
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(Booking).where(Booking.id == edited.id).values(title="Assemblée générale")
        )
        conn.execute(
            sa.update(Resource)
            .where(Resource.id == edited.resource_id)
            .values(name="Salle Germaine Tillion")
        )
        conn.execute(
            sa.update(Organisation)
            .where(Organisation.id == building.restos.id)
            .values(name="Les Restaurants du Cœur")
        )
    db.session.expire_all()
    after = fetch(client, url).decode()
    assert "Assemblée générale" in after
    assert "Réunion des bénévoles, bilan" not in after
    assert "Salle Germaine Tillion" in after
    assert "Les Restaurants du Cœur" in after

    memo_size(rebuilt, 0)
    assert fetch(client, url).decode() == after


@pytest.mark.parametrize("kind", ["organisation", "social_worker"])
def test_appointments_written_from_their_rows_say_what_their_events_say(
    client,
    building,  # noqa: F811
    rebuilt,
    monkeypatch,
    kind,
):
    """The appointments of a feed are written from their rows (written_appointments); built
    as Events and written one by one (appointment_events), they say the same, byte for byte:
    from nothing, from the memo, seen and cancelled ones."""
    url = feed_url(building, kind)
    memo_size(rebuilt, 10_000)
    written = fetch(client, url)
    assert written == fetch(client, url)
    assert any(key[0] == "appointment" for key in written_memo()._entries)

    as_events = {
        feed_kind: tuple(
            dataclasses.replace(source, write=None) if source is sources.APPOINTMENTS else source
            for source in kind_sources
        )
        for feed_kind, kind_sources in sources.EVENT_SOURCES.items()
    }
    monkeypatch.setattr(sources, "EVENT_SOURCES", as_events)
    memo_size(rebuilt, 0)
    from_events = fetch(client, url)
    assert written == from_events
    assert from_events.count(b"Rendez-vous") >= 2
    assert b"Annul\xc3\xa9 : Rendez-vous" in from_events  # the cancelled one


def test_an_appointments_texts_changed_by_hand_reach_the_rebuilt_feed(
    client,
    building,  # noqa: F811
    rebuilt,
):
    """An appointment's key in the memo is its whole row too: its permanence's title, changed
    without touching the appointment, gives another row, hence another text."""
    url = feed_url(building, "social_worker")
    before = fetch(client, url).decode()
    title = db.session.get(Permanence, building.permanence).title
    assert title in before
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(Permanence)
            .where(Permanence.id == building.permanence)
            .values(title="Permanence du jeudi en salle 2")
        )
    db.session.expire_all()
    after = fetch(client, url).decode()
    assert "Permanence du jeudi en salle 2" in after.replace("\r\n ", "")
    memo_size(rebuilt, 0)
    assert fetch(client, url).decode() == after


def test_a_full_memo_lets_its_oldest_go_and_the_feed_stays_right(
    client,
    building,  # noqa: F811
    rebuilt,
):
    url = feed_url(building, "public")
    memo_size(rebuilt, 0)
    from_nothing = fetch(client, url)
    memo_size(rebuilt, 3)
    assert from_nothing.count(b"BEGIN:VEVENT") > 3
    for _ in range(3):
        assert fetch(client, url) == from_nothing
        assert 1 <= len(written_memo()) <= 3


def test_threads_that_write_and_read_at_once_find_what_was_put():
    memo = WrittenMemo(50)
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        chance = random.Random(seed)  # noqa: S311 (not for secrets)
        start.wait()
        for _ in range(5_000):
            key = chance.randrange(200)
            found = memo.get(key)
            if found is not None and found != f"event {key}":
                failures.append(f"{key}: {found}")
            memo.put(key, f"event {key}")
            if len(memo) > 50:
                failures.append(f"{len(memo)} entries")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert 1 <= len(memo) <= 50


def test_a_memo_of_size_zero_keeps_nothing():
    memo = WrittenMemo(0)
    memo.put("key", "event")
    assert memo.get("key") is None
    assert len(memo) == 0


def test_the_same_booking_in_two_kinds_of_feed_keeps_each_kind_s_uid(
    client,
    building,  # noqa: F811
    rebuilt,
):
    """Her personal feed and the social worker's own feed tell her bookings alike, but each
    kind of feed names them with its own UIDs."""
    worker = building.social_worker
    urls = {
        "social_worker": feed_url(building, "social_worker"),
        "personal": link_for("personal", worker.id, worker),
    }
    memo_size(rebuilt, 0)
    from_nothing = bodies(client, urls)
    shared = uids(from_nothing["social_worker"]) & uids(from_nothing["personal"])
    assert shared == set()
    assert summaries(from_nothing["social_worker"]) & summaries(from_nothing["personal"])
    memo_size(rebuilt, 10_000)
    assert bodies(client, urls) == from_nothing


def uids(body: bytes) -> set[str]:
    return set(re.findall(r"^UID:(.+)\r$", body.decode(), re.MULTILINE))


def summaries(body: bytes) -> set[str]:
    return set(re.findall(r"^SUMMARY:(.+)\r$", body.decode(), re.MULTILINE))
