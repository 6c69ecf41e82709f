"""Login throttling as pure functions: how many failures, how long to wait, what to say.

No web, no database: the services load the counters, pass `now`, and store what comes back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pole.timeutil import to_local

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class AttemptLimit:
    """Failures allowed freely, then a wait that doubles with each failure, up to a cap."""

    free_failures: int
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    # A counter with no failure for this long starts again from zero.
    forget_after: timedelta = timedelta(hours=24)


LIMITS = {
    ACCOUNT: AttemptLimit(free_failures=5),
    # Every volunteer on the building's wifi shares one address: more room before it waits.
    ADDRESS: AttemptLimit(free_failures=20),
}


def counted_failures(
    limit: AttemptLimit, failures: int, last_failure_at: datetime | None, now: datetime
) -> int:
    """Failures that still count: all of them, unless the last one is long forgotten."""
    if last_failure_at is None or now - last_failure_at >= limit.forget_after:
        return 0
    return failures


def delay_after(limit: AttemptLimit, failures: int) -> timedelta:
    """After 5 failures one waits 30 s, after 6 one minute, then 2, 4, 8... at most 15 minutes."""
    if failures < limit.free_failures:
        return timedelta(0)
    doublings = min(failures - limit.free_failures, 32)  # 2**32 × 30 s is past any cap
    return min(limit.first_delay * 2**doublings, limit.max_delay)


def retry_at(
    limit: AttemptLimit, failures: int, last_failure_at: datetime | None, now: datetime
) -> datetime | None:
    """When the next attempt may be made, or None if it may be made now."""
    counted = counted_failures(limit, failures, last_failure_at, now)
    delay = delay_after(limit, counted)
    if not delay or last_failure_at is None:
        return None
    allowed = last_failure_at + delay
    return allowed if allowed > now else None


def wait_message(retry: datetime, now: datetime, tz: ZoneInfo) -> str:
    """Tell in French when to try again: in seconds, in minutes, or at a time of day."""
    seconds = max(1, math.ceil((retry - now).total_seconds()))
    if seconds < 60:
        when = f"dans {seconds} seconde{'s' if seconds > 1 else ''}"
    elif seconds <= 3600:
        minutes = math.ceil(seconds / 60)
        when = f"dans {minutes} minute{'s' if minutes > 1 else ''}"
    else:
        local = to_local(retry + timedelta(seconds=59), tz)  # never a minute too early
        when = f"à {local.hour} h {local.minute:02d}"
    return f"Trop de tentatives de connexion. Par sécurité, réessayez {when}."


def account_key(email: str) -> str:
    """The counter of one account; a digest, so the table holds no typed addresses."""
    return _digest(ACCOUNT, (email or "").strip().lower())


def address_key(remote_addr: str | None) -> str:
    """The counter of one client address; IPv6 by /64, which one household or phone gets."""
    text = (remote_addr or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return _digest(ADDRESS, text)
    if address.version == 6 and address.ipv4_mapped is None:
        text = str(ipaddress.ip_network(f"{address}/64", strict=False))
    elif address.version == 6:
        text = str(address.ipv4_mapped)
    return _digest(ADDRESS, text)


def _digest(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()
