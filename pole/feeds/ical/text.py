"""The RFC 5545 text of a value: escaping, date-times, durations, offsets and folded lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

MAX_LINE_OCTETS = 75

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPECIAL = re.compile(r"[\\;,\n\x00-\x08\x0b-\x1f\x7f-\x9f]")


def needs_escaping(text: str) -> bool:
    """Whether a TEXT value changes when escaped (a special or control character)."""
    return _SPECIAL.search(text) is not None


def clean_text(text: str) -> str:
    """What of `text` a TEXT value can carry: line breaks as LF, no control characters."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text)


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash first, then semicolon, comma and newline."""
    if not _SPECIAL.search(text):
        return text
    return (
        clean_text(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


# printf-style from the fields: three times faster than slicing isoformat(), which writes
# the offset too (a feed formats a thousand of these).
DATE_TIME = "%04d%02d%02dT%02d%02d%02d"


def format_utc(dt: datetime) -> str:
    """An instant as a UTC DATE-TIME ("form #2"), to the second."""
    d = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    return DATE_TIME % (d.year, d.month, d.day, d.hour, d.minute, d.second) + "Z"


def format_local(dt: datetime) -> str:
    """A naive or local wall time as a local DATE-TIME ("form #1" or the value of form #3)."""
    return DATE_TIME % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def content_line(name: str, value: str) -> str:
    """`fold(name + ":" + escape_text(value))`, without the calls when nothing needs doing
    (the usual case: a short ASCII value without special characters)."""
    if _SPECIAL.search(value):  # escape_text's work, without searching again
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = (
            CONTROL.sub("", value)
            .replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\n", "\\n")
        )
        return fold(f"{name}:{value}")
    line = f"{name}:{value}"
    if len(line) <= MAX_LINE_OCTETS and line.isascii():
        return line
    return fold(line)


def format_duration(value: timedelta) -> str:
    """A positive duration as RFC 5545 DURATION, e.g. PT1H, P1D, PT1H30M."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval must be positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    clock += f"{secs}S" if secs else ""
    return text + ("T" + clock if clock else "")


def format_offset(offset: timedelta) -> str:
    """A UTC offset as UTC-OFFSET: +0100, -0330, +053328 when seconds are needed."""
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def fold(line: str) -> str:
    """A content line folded so that no line exceeds 75 octets of UTF-8 (RFC 5545 3.1).

    A fold never falls inside a multi-octet character, nor between a backslash and the
    character it escapes (some clients unescape before they unfold).
    """
    if len(line) <= MAX_LINE_OCTETS // 4 or (len(line) <= MAX_LINE_OCTETS and line.isascii()):
        return line
    data = line.encode("utf-8")
    if len(data) <= MAX_LINE_OCTETS:
        return line
    pieces = []
    start = 0
    room = MAX_LINE_OCTETS  # continuation lines start with a space: one octet less
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation octet: back to its lead
            cut -= 1
        backslashes = 0
        while cut - 1 - backslashes >= 0 and data[cut - 1 - backslashes] == 0x5C:
            backslashes += 1
        if backslashes % 2:  # the last one starts an escape: keep it with its character
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
        room = MAX_LINE_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")
