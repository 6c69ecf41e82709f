"""Failed-login counters in the database, so that every worker and every instance sees them.

An attempt on an account is counted before its password is checked (a reservation), so that
attempts racing each other on several workers cannot slip past the limit; a right password
then wipes the account's counter. A client address counts only its failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from pole.auth import rules
from pole.auth.models import LoginThrottle
from pole.db import db, is_postgresql, write_transaction


class TooManyAttempts(Exception):
    """Too many failures lately: this attempt is refused without looking at the password."""

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        self.retry_at = retry_at
        self.seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        tz = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))
        self.message = rules.wait_message(retry_at, now, tz)
        super().__init__(self.message)


@dataclass(frozen=True)
class Attempt:
    """Whose counters one login attempt moves."""

    account: str
    address: str

    @classmethod
    def of(cls, email: str, remote_addr: str | None) -> Attempt:
        return cls(rules.account_key(email), rules.address_key(remote_addr))


def _locked(*counters: tuple[str, str]) -> dict[str, LoginThrottle]:
    """The counters, created if new and locked, always in the same order (no deadlock)."""
    ordered = sorted(counters)
    insert = (postgresql.insert if is_postgresql() else sqlite.insert)(LoginThrottle)
    db.session.execute(
        insert.values(
            [{"scope": s, "key": k, "failures": 0} for s, k in ordered]
        ).on_conflict_do_nothing(index_elements=["scope", "key"])
    )
    wanted = (sa.and_(LoginThrottle.scope == s, LoginThrottle.key == k) for s, k in ordered)
    rows = db.session.scalars(
        sa.select(LoginThrottle)
        .where(sa.or_(*wanted))
        .order_by(LoginThrottle.scope, LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.scope: row for row in rows}


def _count_failure(counter: LoginThrottle, now: datetime) -> None:
    limit = rules.LIMITS[counter.scope]
    counted = rules.counted_failures(limit, counter.failures, counter.last_failure_at, now)
    counter.failures = counted + 1
    counter.last_failure_at = now


def reserve(attempt: Attempt, now: datetime) -> None:
    """Count this attempt against its account, or raise TooManyAttempts if it must wait."""
    with write_transaction():
        counters = _locked((rules.ACCOUNT, attempt.account), (rules.ADDRESS, attempt.address))
        waits = [
            rules.retry_at(rules.LIMITS[c.scope], c.failures, c.last_failure_at, now)
            for c in counters.values()
        ]
        retry = max((w for w in waits if w is not None), default=None)
        if retry is None:
            _count_failure(counters[rules.ACCOUNT], now)
    if retry is not None:
        raise TooManyAttempts(retry, now)


def record_failure(attempt: Attempt, now: datetime) -> None:
    """The password was wrong: the client address counts one more failure too."""
    with write_transaction():
        _count_failure(_locked((rules.ADDRESS, attempt.address))[rules.ADDRESS], now)


def forgive(attempt: Attempt) -> None:
    """The right password: the account starts afresh (its address does not)."""
    with write_transaction():
        db.session.execute(
            sa.delete(LoginThrottle).where(
                LoginThrottle.scope == rules.ACCOUNT, LoginThrottle.key == attempt.account
            )
        )


def forget_old(now: datetime) -> int:
    """Delete the counters whose failures no longer count (none for longer than their window).

    A counter read later is created afresh; one just reserved by a login is recent, so kept.
    """
    deleted = 0
    with write_transaction(now=now):
        for scope, limit in rules.LIMITS.items():
            stale = sa.or_(
                LoginThrottle.last_failure_at.is_(None),
                LoginThrottle.last_failure_at <= now - limit.forget_after,
            )
            deleted += db.session.execute(
                sa.delete(LoginThrottle).where(LoginThrottle.scope == scope, stale)
            ).rowcount
    return deleted
