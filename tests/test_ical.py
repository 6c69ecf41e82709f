"""The iCalendar writer, pure: what three independent parsers read back from its bytes.

icalendar (with recurring-ical-events) and vobject (which builds its time zones from our
VTIMEZONE through dateutil) must both read exactly what was written. icalevents reads times
the way libical (Evolution) and ical.js (Thunderbird) do: an ambiguous local time with a
TZID is the second one, where RFC 5545 says the first; it must read the same instants too.
The helpers at the top are shared with the feed tests.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from icalevents import icalevents

from pole.feeds import ical

PARIS = ZoneInfo("Europe/Paris")
STAMP = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


# Reading calendars with two independent parsers ------------------------------------------------


@dataclass(frozen=True)
class ReadEvent:
    """An event as a calendar app would show it; times in UTC."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    status: str
    sequence: int
    last_modified: datetime
    description: str
    location: str


def read_with_icalendar(
    body: bytes, start: datetime = datetime(1990, 1, 1, tzinfo=UTC), end: datetime | None = None
) -> list[ReadEvent]:
    """icalendar parses, recurring-ical-events lists the occurrences between start and end."""
    calendar = icalendar.Calendar.from_ical(body)
    end = end or datetime(2100, 1, 1, tzinfo=UTC)
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(
        (
            ReadEvent(
                str(e["UID"]),
                e.decoded("DTSTART").astimezone(UTC),
                e.decoded("DTEND").astimezone(UTC),
                str(e["SUMMARY"]),
                str(e["STATUS"]),
                int(e["SEQUENCE"]),
                e.decoded("LAST-MODIFIED").astimezone(UTC),
                str(e.get("DESCRIPTION", "")),
                str(e.get("LOCATION", "")),
            )
            for e in events
        ),
        key=lambda e: (e.start, e.uid),
    )


def read_with_vobject(body: bytes) -> list[ReadEvent]:
    """vobject parses on its own, and builds each TZID's zone from our VTIMEZONE."""
    calendar = vobject.readOne(body.decode("utf-8"))
    events = []
    for e in getattr(calendar, "vevent_list", []):
        events.append(
            ReadEvent(
                e.uid.value,
                e.dtstart.value.astimezone(UTC),
                e.dtend.value.astimezone(UTC),
                e.summary.value,
                e.status.value,
                int(e.sequence.value),
                e.last_modified.value.astimezone(UTC),
                e.description.value if hasattr(e, "description") else "",
                e.location.value if hasattr(e, "location") else "",
            )
        )
    return sorted(events, key=lambda e: (e.start, e.uid))


def read_with_icalevents(
    body: bytes, start: datetime = datetime(1990, 1, 1, tzinfo=UTC), end: datetime | None = None
) -> list[ReadEvent]:
    """icalevents reads a TZID time in the repeated autumn hour as its second pass."""
    end = end or datetime(2100, 1, 1, tzinfo=UTC)
    events = icalevents.events(string_content=body, start=start, end=end)
    return sorted(
        (
            ReadEvent(
                e.uid,
                e.start.astimezone(UTC),
                e.end.astimezone(UTC),
                e.summary or "",
                e.status or "",
                int(e.sequence),
                e.last_modified.astimezone(UTC),
                e.description or "",
                e.location or "",
            )
            for e in events
        ),
        key=lambda e: (e.start, e.uid),
    )


def read_with_every_parser(body: bytes) -> list[list[ReadEvent]]:
    """What icalendar, vobject and icalevents each read of the same bytes."""
    return [read_with_icalendar(body), read_with_vobject(body), read_with_icalevents(body)]


def lines_of(body: bytes) -> list[bytes]:
    """The physical lines, CRLF removed (the stream must end with one)."""
    assert body.endswith(b"\r\n")
    return body[:-2].split(b"\r\n")


def unfolded(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def make_event(**overrides) -> ical.Event:
    start = overrides.pop("start", datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
    fields = {
        "uid": "evenement-1",
        "start": start,
        "end": start + timedelta(hours=3),
        "tz": PARIS,
        "summary": "Distribution alimentaire",
        "status": "CONFIRMED",
        "sequence": 0,
        "last_modified": STAMP,
        "created": STAMP,
        "location": "Hall d'accueil — Pôle des solidarités Les 4 Épis",
        "description": "Restos du cœur",
    }
    return ical.Event(**{**fields, **overrides})


def ics(*events: ical.Event, name: str = "Restos du cœur · Pôle") -> bytes:
    return ical.to_ics(ical.Calendar(name=name, events=events))


# The calendar ----------------------------------------------------------------------------------


def test_the_writer_is_pure_python_without_flask_or_the_database():
    tree = ast.parse(Path(ical.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy", "pole", "icalendar"}


def test_a_calendar_says_what_it_is_and_how_often_to_refresh():
    body = ics(make_event())
    head = unfolded(body)[:10]
    assert head == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pôle//Agendas du pôle des solidarités//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Restos du cœur · Pôle",
        "X-WR-CALNAME:Restos du cœur · Pôle",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VTIMEZONE",
    ]
    assert unfolded(body)[-1] == "END:VCALENDAR"
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert str(calendar["NAME"]) == "Restos du cœur · Pôle"


def test_every_line_ends_with_crlf_and_none_with_a_bare_lf_or_cr():
    body = ics(make_event(description="ligne 1\nligne 2\r\nligne 3\rligne 4"))
    assert body.count(b"\n") == body.count(b"\r\n")
    assert body.count(b"\r") == body.count(b"\r\n")


def test_each_event_carries_its_uid_stamp_sequence_status_and_dates():
    event = make_event(sequence=3, status="TENTATIVE", url="https://pole.example/reservations/7")
    lines = unfolded(ics(event))
    body = lines[lines.index("BEGIN:VEVENT") : lines.index("END:VEVENT") + 1]
    assert body == [
        "BEGIN:VEVENT",
        "UID:evenement-1",
        "DTSTAMP:20260901T080000Z",
        "DTSTART;TZID=Europe/Paris:20261124T093000",
        "DTEND;TZID=Europe/Paris:20261124T123000",
        "SUMMARY:Distribution alimentaire",
        "LOCATION:Hall d'accueil — Pôle des solidarités Les 4 Épis",
        "DESCRIPTION:Restos du cœur",
        "URL:https://pole.example/reservations/7",
        "STATUS:TENTATIVE",
        "TRANSP:OPAQUE",
        "SEQUENCE:3",
        "CREATED:20260901T080000Z",
        "LAST-MODIFIED:20260901T080000Z",
        "END:VEVENT",
    ]


def test_a_cancelled_event_no_longer_makes_anyone_busy():
    lines = unfolded(ics(make_event(status="CANCELLED")))
    assert "STATUS:CANCELLED" in lines
    assert "TRANSP:TRANSPARENT" in lines


def test_the_same_events_give_the_same_bytes_whatever_their_order():
    events = [
        make_event(uid=f"e{n}", start=datetime(2026, 12, 1 + n % 3, 9, tzinfo=UTC))
        for n in range(6)
    ]
    first = ics(*events)
    assert ics(*reversed(events)) == first
    assert ics(*events) == first
    read = read_with_icalendar(first)
    assert [e.uid for e in read] == ["e0", "e3", "e1", "e4", "e2", "e5"]  # by start, then UID
    uids = [line for line in unfolded(first) if line.startswith("UID:")]
    assert uids == ["UID:e0", "UID:e3", "UID:e1", "UID:e4", "UID:e2", "UID:e5"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("start", datetime(2026, 11, 24, 9, 0)),
        ("last_modified", datetime(2026, 11, 24, 9, 0)),
    ],
    ids=["naive-start", "naive-stamp"],
)
def test_a_floating_time_is_refused(field, value):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(**{field: value})


def test_an_event_must_end_after_it_starts():
    start = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="end must come after start"):
        make_event(start=start, end=start)


# Times -----------------------------------------------------------------------------------------


def test_every_start_and_end_names_the_site_zone_and_none_floats():
    autumn_night = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    starts = [autumn_night + timedelta(minutes=30 * n) for n in range(12)]
    events = [
        make_event(uid=f"e{n:02}", start=s, end=s + timedelta(minutes=30))
        for n, s in enumerate(starts)
    ]
    lines = unfolded(ics(*events))
    lines = lines[lines.index("END:VTIMEZONE") :]
    lines = [line for line in lines if line.startswith(("DTSTART", "DTEND"))]
    assert len(lines) == 24
    for line in lines:
        # Form #3 (TZID) or, for the repeated autumn hour only, form #2 (UTC): never form #1.
        assert re.fullmatch(r"DT(START|END)(;TZID=Europe/Paris:\d{8}T\d{6}|:\d{8}T\d{6}Z)", line)
    utc_lines = [line for line in lines if line.endswith("Z")]
    # Events that start or end when the clock shows 02:00-03:00, the first or the second time.
    assert utc_lines == [
        "DTSTART:20261024T233000Z",
        "DTEND:20261025T000000Z",
        "DTSTART:20261025T000000Z",
        "DTEND:20261025T003000Z",
        "DTSTART:20261025T003000Z",
        "DTEND:20261025T010000Z",
        "DTSTART:20261025T010000Z",
        "DTEND:20261025T013000Z",
        "DTSTART:20261025T013000Z",
        "DTEND:20261025T020000Z",
    ]


NEW_YORK = ZoneInfo("America/New_York")
# On 25 October 2026 Paris shows 02:00-03:00 twice: 00:00-01:00 UTC, then 01:00-02:00 UTC.
AUTUMN = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "start, end, tz, form",
    [
        (AUTUMN + timedelta(minutes=15), AUTUMN + timedelta(minutes=45), PARIS, "UTC"),
        (AUTUMN + timedelta(minutes=30), AUTUMN + timedelta(hours=2, minutes=30), PARIS, "UTC"),
        (AUTUMN + timedelta(minutes=90), AUTUMN + timedelta(minutes=120), PARIS, "UTC"),
        (AUTUMN + timedelta(minutes=30), AUTUMN + timedelta(minutes=90), PARIS, "UTC"),
        (AUTUMN - timedelta(hours=1), AUTUMN + timedelta(minutes=30), PARIS, "UTC"),
        (AUTUMN - timedelta(hours=1), AUTUMN + timedelta(minutes=90), PARIS, "UTC"),
        (AUTUMN - timedelta(minutes=30), AUTUMN, PARIS, "UTC"),
        (AUTUMN - timedelta(hours=1), AUTUMN + timedelta(hours=2), PARIS, "TZID"),
        (AUTUMN + timedelta(hours=2), AUTUMN + timedelta(hours=3), PARIS, "TZID"),
        (AUTUMN - timedelta(hours=2), AUTUMN + timedelta(hours=6), PARIS, "TZID"),
        (
            AUTUMN - timedelta(days=1),
            AUTUMN - timedelta(days=1) + timedelta(minutes=30),
            PARIS,
            "TZID",
        ),
        (
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
            NEW_YORK,
            "UTC",
        ),
    ],
    ids=[
        "start-and-end-in-first-pass",
        "start-in-first-pass",
        "start-in-second-pass",
        "first-pass-to-second-pass",
        "end-in-first-pass",
        "end-in-second-pass",
        "end-at-the-first-0200",
        "neither-0100-to-0300",
        "neither-0300-after",
        "neither-across-the-night",
        "neither-the-day-before-at-0200",
        "new-york-0130-first-pass",
    ],
)
def test_an_event_touching_the_repeated_autumn_hour_is_written_in_utc(start, end, tz, form):
    # A TZID time in the repeated hour names its first pass (RFC 5545 3.3.5), but libical,
    # ical.js and icalevents read the second one: UTC is the only form all of them agree on.
    event = make_event(start=start, end=end, tz=tz)
    body = ics(event)
    lines = unfolded(body)
    times = [line for line in lines[lines.index("BEGIN:VEVENT") :] if line.startswith("DT")]
    times = [line for line in times if not line.startswith("DTSTAMP")]
    if form == "UTC":
        assert times == [f"DTSTART:{ical.format_utc(start)}", f"DTEND:{ical.format_utc(end)}"]
    else:
        assert [line.split(":")[0] for line in times] == [
            f"DTSTART;TZID={tz.key}",
            f"DTEND;TZID={tz.key}",
        ]
    for read in read_with_every_parser(body):
        assert [(e.start, e.end) for e in read] == [(start, end)]


def shown_twice(local: datetime) -> bool:
    """The definition: a wall time whose two folds have different offsets (zoneinfo)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


@pytest.mark.parametrize(
    "key",
    ["Europe/Paris", "America/New_York", "Australia/Sydney", "America/Santiago", "Asia/Tokyo"]
    + ["Africa/Casablanca"],
)
def test_exactly_the_events_touching_a_wall_time_shown_twice_are_in_utc(key):
    tz = ZoneInfo(key)
    starts = [AUTUMN + timedelta(hours=n) for n in range(-3, 3)]
    for change in ical.transitions(tz, 2026) + ical.transitions(tz, 2027):
        at = (change.onset.replace(microsecond=0) - change.offset_from).replace(tzinfo=UTC)
        starts += [at + timedelta(minutes=15 * n) for n in range(-12, 12)]
    events = [
        make_event(uid=f"e{n:04}", start=s, end=s + timedelta(minutes=15), tz=tz)
        for n, s in enumerate(starts)
    ]
    lines = unfolded(ics(*events))
    written = {}
    for line in lines[lines.index("END:VTIMEZONE") :]:
        if line.startswith("UID:"):
            uid = line[4:]
        elif line.startswith("DTSTART"):
            written[uid] = line.endswith("Z")
    assert written == {
        e.uid: shown_twice(e.start.astimezone(tz)) or shown_twice(e.end.astimezone(tz))
        for e in events
    }
    assert any(written.values()) == (key not in {"Asia/Tokyo"})


def test_no_event_can_be_written_in_the_missing_spring_hour():
    # Start and end are instants: a local time of the spring gap (02:00-03:00 on 29 March
    # 2026) cannot come out of them, so every event of that night keeps the TZID form.
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    events = [
        make_event(uid=f"e{n:02}", start=s, end=s + timedelta(minutes=30))
        for n, s in enumerate(night + timedelta(minutes=15 * n) for n in range(16))
    ]
    body = ics(*events)
    lines = unfolded(body)
    times = [line for line in lines[lines.index("END:VTIMEZONE") :] if line.startswith("DT")]
    times = [line for line in times if not line.startswith("DTSTAMP")]
    assert len(times) == 32
    assert all(line.startswith(("DTSTART;TZID=", "DTEND;TZID=")) for line in times)
    assert not [line for line in times if "T02" in line.split(":")[1]]
    want = [(e.start, e.end) for e in sorted(events, key=lambda e: e.start)]
    for read in read_with_every_parser(body):
        assert [(e.start, e.end) for e in read] == want


def test_times_keep_their_wall_clock_across_the_october_change():
    # A weekly 14:00 is 12:00 UTC in summer and 13:00 UTC in winter.
    tuesdays = [date(2026, 10, 20), date(2026, 10, 27)]
    events = [
        make_event(
            uid=day.isoformat(),
            start=datetime(day.year, day.month, day.day, 14, tzinfo=PARIS).astimezone(UTC),
        )
        for day in tuesdays
    ]
    body = ics(*events)
    assert "DTSTART;TZID=Europe/Paris:20261020T140000" in unfolded(body)
    assert "DTSTART;TZID=Europe/Paris:20261027T140000" in unfolded(body)
    expected = [datetime(2026, 10, 20, 12, tzinfo=UTC), datetime(2026, 10, 27, 13, tzinfo=UTC)]
    for read in read_with_every_parser(body):
        assert [e.start for e in read] == expected


# VTIMEZONE -------------------------------------------------------------------------------------


def vtimezone(tz: ZoneInfo, first: int = 2026, last: int = 2027) -> list[str]:
    return list(ical.vtimezone_lines(tz, first, last))


def test_paris_is_described_by_its_yearly_rules_not_a_list_of_dates():
    assert vtimezone(PARIS) == [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "DTSTART:19960331T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "DTSTART:19961027T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def test_the_vtimezone_does_not_depend_on_which_years_the_events_span():
    assert vtimezone(PARIS, 2025, 2026) == vtimezone(PARIS, 2026, 2031)


ZONES = [
    pytest.param("Europe/Paris", "RRULE", id="paris-last-sundays"),
    pytest.param("America/New_York", "RRULE", id="new-york-nth-sundays"),
    pytest.param("Australia/Sydney", "RRULE", id="sydney-southern-summer"),
    pytest.param("America/Santiago", "RRULE", id="santiago-midnight-changes"),
    pytest.param("Asia/Tokyo", None, id="tokyo-no-change"),
    pytest.param("Africa/Casablanca", "RDATE", id="casablanca-no-weekday-rule"),
]


@pytest.mark.parametrize("key, form", ZONES)
def test_the_vtimezone_gives_the_offsets_of_the_zone_to_both_parsers(key, form):
    tz = ZoneInfo(key)
    lines = vtimezone(tz)
    assert any(line.startswith("RRULE:") for line in lines) == (form == "RRULE")
    assert any(line.startswith("RDATE:") for line in lines) == (form == "RDATE")

    body = (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR"]) + "\r\n"
    ).encode()
    from_icalendar = (
        icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    )
    from_vobject = vobject.readOne(body.decode()).vtimezone.gettzinfo()
    # Every three hours of two years, and each second around every change.
    instants = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=3 * n) for n in range(5840)]
    for year in (2026, 2027):
        for change in ical.transitions(tz, year):
            at = (change.onset - change.offset_from).replace(tzinfo=UTC)
            instants += [at - timedelta(seconds=1), at, at + timedelta(seconds=1)]
    for instant in instants:
        expected = instant.astimezone(tz).utcoffset()
        assert instant.astimezone(from_icalendar).utcoffset() == expected, instant
        assert instant.astimezone(from_vobject).utcoffset() == expected, instant


def test_icalendar_own_vtimezone_is_the_list_of_dates_we_avoid():
    # Why vtimezone_lines exists: the library writes RDATE lists that stop in 2038.
    written = icalendar.Timezone.from_tzinfo(PARIS).to_ical().decode()
    assert "RDATE:" in written
    assert "RRULE:" not in written


# Text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("Réunion", "Réunion"),
        ("Café, thé", "Café\\, thé"),
        ("10h; 14h", "10h\\; 14h"),
        ("ligne 1\nligne 2", "ligne 1\\nligne 2"),
        ("ligne 1\r\nligne 2", "ligne 1\\nligne 2"),
        ("C:\\Notes", "C:\\\\Notes"),
        ("\\n n'est pas un saut", "\\\\n n'est pas un saut"),
        ('À 14:00, "goûter"', 'À 14:00\\, "goûter"'),
        ("bip\x07 tab\tok", "bip tab\tok"),
    ],
    ids=[
        "plain-accents",
        "comma",
        "semicolon",
        "newline",
        "crlf",
        "backslash-N",
        "backslash-n",
        "colon-and-quotes-stay",
        "controls-dropped-tab-kept",
    ],
)
def test_text_is_escaped_as_rfc_5545_says(text, escaped):
    assert ical.escape_text(text) == escaped
    body = ics(make_event(summary=text))
    assert f"SUMMARY:{escaped}" in unfolded(body)
    for read in (read_with_icalendar(body), read_with_vobject(body)):
        assert read[0].summary == ical.clean_text(text)


def test_categories_drop_their_commas_so_both_parsers_read_the_same_list():
    body = ics(make_event(categories=("Restos, cœur", "Épicerie")))
    assert "CATEGORIES:Restos cœur,Épicerie" in unfolded(body)
    calendar = icalendar.Calendar.from_ical(body)
    assert [str(c) for c in calendar.walk("VEVENT")[0]["CATEGORIES"].cats] == [
        "Restos cœur",
        "Épicerie",
    ]
    assert vobject.readOne(body.decode()).vevent.categories.value == ["Restos cœur", "Épicerie"]


def test_repeated_texts_are_written_once_each_and_never_mixed_up():
    events = [
        make_event(uid=f"e{n}", summary=f"Titre {n % 3}", location=f"Salle {n % 2}")
        for n in range(6)
    ]
    read = {e.uid: e for e in read_with_vobject(ics(*events))}
    assert [(read[f"e{n}"].summary, read[f"e{n}"].location) for n in range(6)] == [
        (f"Titre {n % 3}", f"Salle {n % 2}") for n in range(6)
    ]


def test_icalendar_own_escaping_would_turn_a_backslash_n_into_a_line_break():
    # Why escape_text exists: the library writes "C:\Notes" as "C:\notes".
    event = icalendar.Event()
    event.add("SUMMARY", "C:\\Notes")
    assert b"SUMMARY:C:\\notes" in event.to_ical()


ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('éèàçôœÉÀ€«»—’…,;:\\"\n\t '),
        st.sampled_from("🍲👩\u200d👧\U0001f1eb\U0001f1f7\u0301"),  # emoji, ZWJ, flags, combining
        st.characters(codec="utf-8"),
    ),
    max_size=500,
)


@settings(max_examples=150, deadline=None)
@given(summary=ANY_TEXT, description=ANY_TEXT)
def test_any_title_and_description_come_back_exactly(summary, description):
    event = make_event(summary=summary, description=description, location=summary)
    body = ics(event)
    for read in (read_with_icalendar(body), read_with_vobject(body)):
        (got,) = read
        assert got.summary == ical.clean_text(summary)
        assert got.location == ical.clean_text(summary)
        assert got.description == ical.clean_text(description)


@given(text=ANY_TEXT)
def test_clean_text_keeps_everything_but_control_characters(text):
    if not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text):
        assert ical.clean_text(text) == text


def test_a_500_character_title_of_emoji_and_accents_comes_back_exactly():
    summary = ("Goûter de Noël 🎄, « crêpes » ; ") * 16
    summary = summary[:500]
    body = ics(make_event(summary=summary))
    assert read_with_icalendar(body)[0].summary == summary
    assert read_with_vobject(body)[0].summary == summary


# Folding ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_no_line_exceeds_75_octets_nor_splits_a_character_or_an_escape(text):
    body = ics(make_event(summary=text, description=text * 2))
    lines = lines_of(body)
    for index, line in enumerate(lines):
        assert len(line) <= 75
        line.decode("utf-8")  # a fold inside a multi-octet character would fail here
        if index and line.startswith(b" "):
            previous = lines[index - 1]
            trailing = len(previous) - len(previous.rstrip(b"\\"))
            assert trailing % 2 == 0, (previous, line)  # "\" never parted from its character
    assert ("SUMMARY:" + ical.escape_text(text)) in unfolded(body)


@pytest.mark.parametrize(
    "line",
    [
        "DESCRIPTION:" + "x" * 63,
        "DESCRIPTION:" + "x" * 64,
        "DESCRIPTION:" + "é" * 40,
        "DESCRIPTION:" + "x" * 62 + "🍲" * 3,
        "DESCRIPTION:" + "x" * 62 + "\\,",
        "DESCRIPTION:" + "x" * 61 + "\\\\" + "y" * 20,
    ],
    ids=["75-octets", "76-octets", "accents", "emoji-at-the-edge", "escape-at-the-edge", "bs-bs"],
)
def test_folding_edges(line):
    folded = ical.fold(line).encode()
    pieces = folded.split(b"\r\n")
    assert all(len(p) <= 75 for p in pieces)
    assert all(p.startswith(b" ") for p in pieces[1:])
    assert folded.replace(b"\r\n ", b"").decode() == line
    assert len(pieces) == (1 if len(line.encode()) <= 75 else len(pieces))
    if len(line.encode()) <= 75:
        assert folded == line.encode()
