"""SQLite writers wait their turn in order instead of polling.

SQLite serialises writers (BEGIN IMMEDIATE); a writer that finds the lock taken polls it
from SQLite's busy handler, which sleeps up to 100 ms between tries, so with ten clients
writing at once the slowest waits near a second while the lock sits free. Before BEGIN
IMMEDIATE a writer therefore takes its turn here: the threads of one process queue first
come, first served, and the head of each process's queue blocks on an flock of a file beside
the database, which the kernel hands to the next process the moment it is released. The turn
is given back once the transaction has committed or rolled back.

BEGIN IMMEDIATE stays, and so does SQLite's lock: this only orders the waiting (DESIGN.md,
rule 2). The queue lives in the kernel and in the file, not in one process's memory (rule 9).
A writer never waits for ever: past its bound it is refused cleanly (WriteQueueTimeout).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque


class WriteQueueTimeout(Exception):
    """Waited too long for the write lock: the building's database is overloaded."""


class WriteQueue:
    """One database file's queue of writers, in this process and across processes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._taken = False  # a thread of this process holds the turn (or is getting the file)
        self._fd: int | None = None

    def acquire(self, timeout: float) -> None:
        """Wait for this process's turn, then for the file lock; give up after `timeout` s."""
        deadline = time.monotonic() + timeout
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            while self._taken or self._waiting[0] is not ticket:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    raise WriteQueueTimeout(f"no write turn on {self.path} in {timeout} s")
                self._cond.wait(remaining)
            self._waiting.popleft()
            self._taken = True
        try:
            fd = _lock_file(self.path, deadline)
        except BaseException:
            self._give_back(None)
            raise
        self._fd = fd

    def waiting(self) -> int:
        """How many threads of this process wait for their turn."""
        with self._cond:
            return len(self._waiting)

    def release(self) -> None:
        """Give the turn to the next writer (closing the file drops its lock)."""
        fd, self._fd = self._fd, None
        self._give_back(fd)

    def forget_after_fork(self) -> None:
        """A forked child holds no turn and waits for none (the parent's threads are gone)."""
        self._fd = None
        self._cond = threading.Condition()
        self._waiting = deque()
        self._taken = False

    def _give_back(self, fd: int | None) -> None:
        with self._cond:
            if fd is not None:
                _close(fd)
            self._taken = False
            self._cond.notify_all()


def _lock_file(path: str, deadline: float) -> int:
    """Open `path` and hold an exclusive flock on it, waiting in the kernel until `deadline`."""
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    except BaseException:
        _close(fd)
        raise
    # Another process writes. flock has no timeout: a helper thread blocks in it, and if we
    # give up first it releases the lock as soon as it gets it.
    got = threading.Event()
    state = {"abandoned": False, "error": None}
    guard = threading.Lock()

    def wait_in_kernel() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as error:
            state["error"] = error
        with guard:
            if state["abandoned"]:
                _close(fd)
                return
            got.set()

    threading.Thread(target=wait_in_kernel, name="pole-write-queue", daemon=True).start()
    got.wait(max(0.0, deadline - time.monotonic()))
    with guard:
        if not got.is_set():
            state["abandoned"] = True
            raise WriteQueueTimeout(f"no write turn on {path}: another process holds it")
    if state["error"] is not None:
        _close(fd)
        raise state["error"]
    return fd


# Every lock file this process has open. A forked child closes its copies: a lock is held until
# the last descriptor of its open file is closed, so a child's copy would keep the parent's
# turn (or a waiter's, once it gets it) held for as long as the child lives.
_open_fds: set[int] = set()
_open_fds_lock = threading.Lock()


def _open(path: str) -> int:
    with _open_fds_lock:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        _open_fds.add(fd)
        return fd


def _close(fd: int) -> None:
    with _open_fds_lock:
        _open_fds.discard(fd)
        os.close(fd)


_queues: dict[str, WriteQueue] = {}
_queues_lock = threading.Lock()


def queue_for(database: str) -> WriteQueue:
    """The process's one queue for the database file `database` (shared by its engines)."""
    path = os.path.realpath(database) + "-writelock"
    with _queues_lock:
        queue = _queues.get(path)
        if queue is None:
            queue = _queues[path] = WriteQueue(path)
        return queue


def _after_fork_in_child() -> None:
    global _queues_lock, _open_fds_lock
    _queues_lock, _open_fds_lock = threading.Lock(), threading.Lock()
    for fd in _open_fds:
        os.close(fd)  # the child's copy only: the parent's stays open, and its lock held
    _open_fds.clear()
    for queue in _queues.values():
        queue.forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
