"""How often one secret link may fetch its feed: a token bucket per link (POLE_FEED_RATE_LIMIT)."""

from __future__ import annotations

import math
import threading
import time

from flask import current_app

LIMITER_KEY = "pole.feeds.limiter"


class RateLimiter:
    """A token bucket per key, in this process: `capacity` requests, refilled evenly over
    `period` seconds. With several worker processes each keeps its own buckets."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, capacity: int, period: float, now: float | None = None) -> float:
        """Take one request from `key`'s bucket: 0 if allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        rate = capacity / period
        with self._lock:
            tokens, then = self._buckets.get(key, (float(capacity), now))
            tokens = min(float(capacity), tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_KEYS:
                    self._forget_full(capacity, rate, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate

    def _forget_full(self, capacity: int, rate: float, now: float) -> None:
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * rate >= capacity:
                del self._buckets[key]


def parse_rate(text: str) -> tuple[int, int] | None:
    """ "60/600" means 60 requests per 600 seconds; "" or "0" turns the limit off."""
    text = (text or "").strip()
    if text in ("", "0"):
        return None
    count, _, seconds = text.partition("/")
    return int(count), int(seconds or 60)


def retry_after(selector: str) -> int:
    """0 if this link may fetch now, else whole seconds to wait (POLE_FEED_RATE_LIMIT)."""
    rate = parse_rate(current_app.config["POLE_FEED_RATE_LIMIT"])
    if rate is None:
        return 0
    wait = _limiter().wait(selector, *rate)
    return math.ceil(wait) if wait else 0


def _limiter() -> RateLimiter:
    limiter = current_app.extensions.get(LIMITER_KEY)
    if limiter is None:
        limiter = current_app.extensions.setdefault(LIMITER_KEY, RateLimiter())
    return limiter


def clear_buckets() -> None:
    """Forget every link's bucket."""
    current_app.extensions.pop(LIMITER_KEY, None)
