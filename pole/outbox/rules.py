"""When a mail is tried again, and when it is given up: pure, `now` passed in."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
# How long a sender may hold a mail it claimed before another sender takes it over: longer
# than sending a batch ever takes (SMTP timeouts are 10 s a message).
LEASE = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """A mail that failed is tried again after 1, 2, 4… minutes, never more than an hour."""
    if attempts < 1:
        return timedelta(0)
    # 2**6 minutes is already past the cap: no need to compute huge powers.
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 6), LONGEST_RETRY)


def gives_up(created_at: datetime, now: datetime) -> bool:
    """A mail that still fails a day after it was written is given up (status failed)."""
    return now - created_at >= GIVE_UP_AFTER


def next_try(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try a failed mail again, or None when it is given up."""
    if gives_up(created_at, now):
        return None
    return now + retry_delay(attempts)
