"""A small load client: threads, one keep-alive http.client connection each, bounded in time."""

from __future__ import annotations

import http.client
import itertools
import re
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie

USER_AGENT = "pole-bench/1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    expect: int
    body: str | None = None


@dataclass(frozen=True)
class Result:
    name: str
    clients: int
    count: int
    seconds: float
    median_ms: float
    p95_ms: float
    statuses: Counter
    p99_ms: float = float("nan")
    samples: tuple[float, ...] = ()  # the timed seconds, sorted (merge() pools runs)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "ok")


class Session:
    """A logged-in browser, as far as the server can tell: a session cookie and a CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=self.headers(body is not None))
            response = conn.getresponse()
            text = response.read().decode()
            jar = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            if "session" in jar:
                self.cookie = f"session={jar['session'].value}"
            return response.status, text
        finally:
            conn.close()

    def headers(self, form: bool = False) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def _scrape_csrf(self, path: str = "/") -> None:
        status, page = self._send("GET", path)
        match = CSRF_META.search(page)
        if status != 200 or match is None:
            raise RuntimeError(f"no CSRF token on {path} (status {status})")
        self.csrf = match.group(1)

    def login(self, email: str, password: str) -> None:
        self._scrape_csrf("/connexion")
        form = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": self.csrf}
        )
        status, _ = self._send("POST", "/connexion", form)
        if status != 302:
            raise RuntimeError(f"login as {email} failed with status {status}")
        # The login starts a fresh session: its CSRF token is made on the next page.
        self._scrape_csrf("/")
        self._scrape_csrf("/")

    def form(self, fields: dict[str, str]) -> str:
        return urllib.parse.urlencode({**fields, "csrf_token": self.csrf})


def measure(
    name: str,
    port: int,
    next_request: Callable[[], Request | None],
    clients: int,
    seconds: float,
    warmup: float,
    headers: dict[str, str] | None = None,
) -> Result:
    """Keep `clients` connections busy for warmup + seconds; time what starts after the warmup."""
    headers = headers or {"User-Agent": USER_AGENT}
    lock = threading.Lock()
    samples: list[float] = []
    statuses: Counter = Counter()
    last_ends: list[float] = []
    start_at = time.perf_counter() + 0.05
    measure_from = start_at + warmup
    stop_at = measure_from + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        seen: Counter = Counter()
        last_end = 0.0
        while time.perf_counter() < start_at:
            time.sleep(0.001)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    break
                request = next_request()
                if request is None:  # out of free slots
                    break
                send = dict(headers)
                if request.body is not None:
                    send["Content-Type"] = "application/x-www-form-urlencoded"
                conn.request(request.method, request.path, body=request.body, headers=send)
                response = conn.getresponse()
                response.read()
                last_end = time.perf_counter()
                elapsed = last_end - t0
                if t0 >= measure_from:
                    mine.append(elapsed)
                    seen["ok" if response.status == request.expect else response.status] += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        finally:
            conn.close()
            with lock:
                samples.extend(mine)
                statuses.update(seen)
                last_ends.append(last_end)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warmup + 60)
    # A run that ran out of free slots early is timed until its last answer.
    elapsed = min(max(last_ends, default=stop_at), stop_at) - measure_from
    return _result(name, clients, samples, elapsed, statuses)


def _result(name: str, clients: int, samples: list[float], elapsed: float, statuses) -> Result:  # noqa: ANN001
    samples = sorted(samples)

    def quantile(q: float) -> float:
        return samples[int(q * (len(samples) - 1))] * 1000 if samples else float("nan")

    return Result(
        name=name,
        clients=clients,
        count=len(samples),
        seconds=max(elapsed, 1e-9),
        median_ms=statistics.median(samples) * 1000 if samples else float("nan"),
        p95_ms=quantile(0.95),
        p99_ms=quantile(0.99),
        statuses=statuses,
        samples=tuple(samples),
    )


def merge(name: str, results: list[Result]) -> Result:
    """Several runs of one request (rounds interleaved with something else) as one."""
    statuses: Counter = Counter()
    for result in results:
        statuses.update(result.statuses)
    samples = [sample for result in results for sample in result.samples]
    seconds = sum(result.seconds for result in results)
    return _result(name, max((r.clients for r in results), default=1), samples, seconds, statuses)


@dataclass(frozen=True)
class Side:
    """One of two things compared: where to send, what to send, with which headers."""

    name: str
    port: int
    next_request: Callable[[], Request | None]
    headers: dict[str, str]


def alternate(first: Side, second: Side, seconds: float, warmup: float) -> tuple[Result, Result]:
    """One client sends to `first` and `second` in turn for warmup + seconds.

    Both are timed in the same window, request after request, so whatever else the machine
    does at the time weighs on both alike: their ratio does not depend on when a row ran.
    """
    sides = (first, second)
    conns = [http.client.HTTPConnection("127.0.0.1", side.port, timeout=30) for side in sides]
    samples: list[list[float]] = [[], []]
    seen: list[Counter] = [Counter(), Counter()]

    def send(index: int) -> str | int | None:
        """Send the side's next request: "ok", the unexpected status, or None if none left."""
        side = sides[index]
        request = side.next_request()
        if request is None:
            return None
        headers = dict(side.headers)
        if request.body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conns[index].request(request.method, request.path, body=request.body, headers=headers)
        response = conns[index].getresponse()
        response.read()
        if response.will_close:
            conns[index].close()
            conns[index] = http.client.HTTPConnection("127.0.0.1", side.port, timeout=30)
        return "ok" if response.status == request.expect else response.status

    try:
        send(0), send(1)  # a fresh worker's first answer is not timed, not even as warm-up
        started = time.perf_counter()
        measure_from, stop_at = started + warmup, started + warmup + seconds
        for turn in itertools.count():
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            outcome = send(turn % 2)
            if outcome is None:
                break
            if t0 >= measure_from:
                samples[turn % 2].append(time.perf_counter() - t0)
                seen[turn % 2][outcome] += 1
    finally:
        for conn in conns:
            conn.close()
    elapsed = min(time.perf_counter(), stop_at) - measure_from
    return tuple(  # type: ignore[return-value]
        _result(side.name, 1, samples[i], elapsed, seen[i]) for i, side in enumerate(sides)
    )


def alternate_rounds(  # noqa: PLR0913
    first: Side,
    second: Side,
    seconds: float,
    warmup: float,
    rounds: int,
    between: Callable[[], None] | None = None,
) -> tuple[Result, Result, list[float]]:
    """`alternate` for `rounds` windows of `seconds`, the side that goes first swapped each
    round: the two results (each round's samples together) and each round's ratio of medians
    (second over first).

    One short window is at the mercy of what the machine does in it (a timed job, a flush, a
    neighbour): a 3 s window gave anything from +2 to +14 % for the same code. Several
    windows, in both orders, pooled, give one figure and show their own spread. `between`
    runs before each round, outside its window (the booking POSTs' slots handed out again).
    A round in which a side sent nothing measured is an error, not a NaN in the table.
    """
    mine: tuple[list[Result], list[Result]] = ([], [])
    ratios = []
    for turn in range(rounds):
        if between is not None:
            between()
        if turn % 2:
            b, a = alternate(second, first, seconds, warmup)
        else:
            a, b = alternate(first, second, seconds, warmup)
        empty = [side.name for side, r in ((first, a), (second, b)) if not r.samples]
        if empty:
            raise RuntimeError(f"round {turn + 1}: nothing measured for {', '.join(empty)}")
        mine[0].append(a)
        mine[1].append(b)
        ratios.append(b.median_ms / a.median_ms)
    return merge(first.name, mine[0]), merge(second.name, mine[1]), ratios


class Pollers:
    """Calendar apps polling feed links at a steady rate, each link once, as they come due.

    `links` are (path, ETag or None) in the order they fall due; the n-th is sent at
    start + n / rate (or at once when late), each on a new connection as from its own phone,
    by a few threads so that a slow answer does not hold the next one. start() and stop()
    bound the polling; statuses and times are kept for what was sent.
    """

    def __init__(self, port: int, links: list[tuple[str, str | None]], rate: float) -> None:
        self.port, self.links, self.rate = port, links, rate
        self.statuses: Counter = Counter()
        self.samples: list[float] = []
        self.late = 0  # sent more than a second after it fell due
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = 0.0
        self.seconds = 0.0

    def start(self, threads: int = 6) -> None:
        self._started = time.perf_counter()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self.seconds = time.perf_counter() - self._started

    @property
    def sent(self) -> int:
        return len(self.samples)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                index = self._next
                if index >= len(self.links):
                    return
                self._next += 1
            due = self._started + index / self.rate
            wait = due - time.perf_counter()
            if wait > 0 and self._stop.wait(wait):
                return
            path, etag = self.links[index]
            headers = {"User-Agent": USER_AGENT}
            if etag:
                headers["If-None-Match"] = etag
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status: int | str = response.status
            except OSError as error:
                status = type(error).__name__
            finally:
                conn.close()
            with self._lock:
                self.samples.append(time.perf_counter() - t0)
                self.statuses[status] += 1
                self.late += t0 - due > 1.0

    def result(self, name: str) -> Result:
        return _result(name, len(self._threads), list(self.samples), self.seconds, self.statuses)
