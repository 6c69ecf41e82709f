"""The bench's comparisons sent in turn (bench/load.py): several rounds, both orders, pooled.

Two tiny HTTP servers on 127.0.0.1 stand for the two sides, one 4 ms slower than the other."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from bench.load import Request, Side, alternate_rounds

arrivals: list[str] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK wait)
    delay = 0.0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        arrivals.append(self.server.name)
        time.sleep(self.delay)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:  # noqa: ANN002
        pass


def _server(name: str, delay: float):  # noqa: ANN202
    handler = type(f"Handler{name}", (_Handler,), {"delay": delay})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.name = name
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def sides():  # noqa: ANN201
    fast, slow = _server("fast", 0.0), _server("slow", 0.004)
    yield tuple(
        Side(s.name, s.server_address[1], lambda: Request("GET", "/", 200), {})
        for s in (fast, slow)
    )
    for server in (fast, slow):
        server.shutdown()
        server.server_close()


def test_rounds_swap_who_goes_first_and_pool_their_samples(sides, monkeypatch):
    import bench.load as load

    firsts, real = [], load.alternate

    def watched(first, second, seconds, warmup):  # noqa: ANN001, ANN202
        firsts.append(first.name)
        return real(first, second, seconds, warmup)

    monkeypatch.setattr(load, "alternate", watched)
    arrivals.clear()
    fast, slow, ratios = alternate_rounds(*sides, seconds=0.15, warmup=0.02, rounds=4)
    assert firsts == ["fast", "slow", "fast", "slow"]
    assert arrivals[:2] == ["fast", "slow"] and "slow" in arrivals
    assert fast.name == "fast" and slow.name == "slow"
    assert len(ratios) == 4
    assert all(ratio > 1 for ratio in ratios), ratios  # each round: the slow over the fast
    # Pooled: every round's timed requests, in one result per side.
    one_round = real(*sides, 0.15, 0.02)[0].count
    assert fast.count > 2 * one_round
    assert abs(fast.count - slow.count) <= 4
    assert slow.median_ms > fast.median_ms + 2
    assert fast.unexpected == slow.unexpected == 0
