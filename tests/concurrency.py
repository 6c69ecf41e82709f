"""Release many callers at the same instant, each in its own thread, app context and session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from pole.db import db

CLIENTS = 20


def race(
    app: Flask,
    fn: Callable[[int], object],
    refused: tuple[type[Exception], ...],
    n: int = CLIENTS,
) -> list[object]:
    """Run fn(i) in n threads released together; each outcome is a result or a refusal."""
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def worker(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = fn(i)
            except refused as refusal:
                outcomes[i] = refusal
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
