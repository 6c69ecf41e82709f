"""Database: the declarative base, the UTC timestamp type and SQLite transaction control."""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase

from pole.config import in_memory
from pole.core.refusals import Refused
from pole.core.write_queue import WriteQueue, queue_for
from pole.replica import RoutingSession
from pole.utc_datetime import UTCDateTime  # noqa: F401 (the models import it from here)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# The session sends the reads that may lag to a read replica, when one is set (pole/replica.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


# On SQLite, a transaction that reads and then writes can fail with SQLITE_BUSY when another
# connection wrote in between. Writers therefore take the write lock up front (BEGIN IMMEDIATE),
# which serialises them; readers keep plain deferred transactions and never block in WAL mode.
_begin_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "begin_immediate", default=False
)


def set_write_intent(value: bool) -> contextvars.Token:
    """Make the next SQLite transactions of this context take the write lock when they begin."""
    return _begin_immediate.set(value)


def reset_write_intent(token: contextvars.Token) -> None:
    _begin_immediate.reset(token)


def reads_first(view: Callable) -> Callable:
    """A view that reads what it needs, then writes in its own `write_transaction`.

    Requests that write take SQLite's write lock when their first transaction begins (see
    pole/__init__.py), so everything they do is serialised. This view's request begins
    with a plain read transaction instead (the user, the form's choices, validation), and
    only its write_transaction holds the lock: the service re-reads under the lock what
    it checks (DESIGN.md, rule 2). Put it between the route and login_required.
    """

    @wraps(view)
    def read_then_write(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        _begin_immediate.set(False)  # the request's teardown resets it
        read_outside_transaction()
        return view(*args, **kwargs)

    return read_then_write


def read_outside_transaction() -> bool:
    """On PostgreSQL, read from here outside a transaction: no BEGIN, no COMMIT round trips.

    Under READ COMMITTED (ours) each statement has its own snapshot, in a transaction or
    not. A write re-reads what it must be sure of under its lock, in its write_transaction.
    SQLite keeps its read transaction; an open transaction goes on. True if it switched.
    """
    session = db.session()
    if session.in_transaction() or db.engine.dialect.name != "postgresql":
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def reads_only(view: Callable) -> Callable:
    """A page that only reads: on PostgreSQL outside a transaction (read_outside_transaction)."""

    @wraps(view)
    def read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not read_outside_transaction():
            return view(*args, **kwargs)
        session = db.session()
        try:
            page = view(*args, **kwargs)
        except BaseException:
            session.rollback()
            raise
        _end_read_transaction(session)  # the connection goes back as it came (no round trip)
        return page

    return read


# How long a writer waits for its turn before it is refused (WriteQueueTimeout), in seconds.
WRITE_WAIT = 10.0


def configure_sqlite(engine: sa.Engine, write_wait: float = WRITE_WAIT) -> None:
    """Turn on foreign keys and WAL, let us choose how each transaction begins, queue writers."""
    queue = _write_queue(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Stop pysqlite from issuing its own BEGIN so that ours (below) is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The wait first, for the PRAGMAs too. `flask db upgrade` sets WAL before any writer runs:
        # switching a new file from several processes at once may be refused without waiting.
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = _begin_immediate.get()
        conn.info["pole.write_lock"] = immediate
        if not immediate:
            conn.exec_driver_sql("BEGIN")
            return
        if queue is None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        queue.acquire(write_wait)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release()
            raise
        _turns[id(conn.connection.dbapi_connection)] = queue

    _give_back_turn_after(engine.dialect)


# The write turn each SQLite connection holds (pole.core.write_queue), by id of the connection,
# given back once its transaction has ended, however it ends: commit, rollback (also the pool's
# on check-in) or the connection closing.
_turns: dict[int, WriteQueue] = {}


def _write_queue(engine: sa.Engine) -> WriteQueue | None:
    """The queue of writers of the engine's database file; none for a database in memory."""
    if in_memory(engine.url):
        return None
    return queue_for(engine.url.database)


def _give_back_turn_after(dialect: sa.Dialect) -> None:
    """Wrap the dialect's commit, rollback and close so the turn is given back right after."""
    if getattr(dialect, "_pole_write_queue", False):
        return
    dialect._pole_write_queue = True

    def give_back(connection: object) -> None:
        queue = _turns.pop(id(getattr(connection, "dbapi_connection", connection)), None)
        if queue is not None:
            queue.release()

    def after(step):  # noqa: ANN001, ANN202
        def wrapped(connection: object) -> None:
            step(connection)
            give_back(connection)

        return wrapped

    commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close
    dialect.do_commit = after(commit)
    dialect.do_rollback = after(rollback)

    def do_close(connection: object) -> None:
        try:
            close(connection)
        finally:
            give_back(connection)  # a closed connection holds SQLite's lock no more

    dialect.do_close = do_close


# PostgreSQL's DETAIL quotes values ("Failing row contains (...)", "Key (...)=(...)"), and
# may span lines: it and all that follows go.
_DETAIL = re.compile(r"\nDETAIL:.*", re.DOTALL)


class _HideRows(logging.Filter):
    """SQLAlchemy's debug log (echo="debug") writes each row it reads: not the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Row %r":
            record.msg, record.args = "Row (values hidden)", ()
        return True


def hide_values(engine: sa.Engine) -> None:
    """Keep the values of rows out of database errors and SQLAlchemy's logs.

    hide_parameters (config.py) hides the statement's parameters; but the database's own
    message can quote a refused row, and the debug log writes the rows read, with an
    appointment's note and file reference. The SQLSTATE and the constraint's name, which
    the services read, stay on the error.
    """

    @event.listens_for(engine, "handle_error")
    def _drop_detail(context: sa.engine.ExceptionContext) -> None:
        for error in (context.original_exception, context.sqlalchemy_exception):
            if error is not None and error.args and isinstance(error.args[0], str):
                message = _DETAIL.sub("\nDETAIL: (hidden: it may quote row values)", error.args[0])
                error.args = (message, *error.args[1:])

    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, _HideRows) for f in logger.filters):
        logger.addFilter(_HideRows())


# Whether the connection's transaction sent a statement that may write (any but a SELECT).
_WROTE = "pole.wrote"


def track_writes(engine: sa.Engine) -> None:
    """Note on each connection whether its transaction wrote: a refusal that wrote nothing
    ends its transaction keeping what it read (write_transaction)."""
    if getattr(engine, "_pole_tracks_writes", False):
        return
    engine._pole_tracks_writes = True

    @event.listens_for(engine, "begin")
    def _forget(conn):  # noqa: ANN001
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, _cursor, statement, _params, _context, _many):  # noqa: ANN001
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "BEGIN")):
            conn.info[_WROTE] = True


def _wrote_nothing(session: sa.orm.Session) -> bool:
    """Whether the session's transaction neither wrote nor holds changes to write."""
    if session.new or session.dirty or session.deleted:
        return False
    transaction = session.get_transaction()
    if transaction is None:
        return True
    connections = [c for c, *_ in getattr(transaction, "_connections", {None: (None,)}).values()]
    return not any(c is None or c.info.get(_WROTE, True) for c in connections)


_in_write_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "in_write_transaction", default=False
)
# The time a write transaction's changes happen at: services pass their (injected) `now`.
_change_time: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "change_time", default=None
)


def in_write_transaction() -> bool:
    """Whether a write_transaction block is running in this context."""
    return _in_write_transaction.get()


def change_time() -> datetime:
    """When the changes being written happen: the write transaction's `now`, else utcnow()."""
    return _change_time.get() or utcnow()


def _end_read_transaction(session: sa.orm.Session) -> None:
    """Commit the read transaction, keeping what it loaded (reloading it all costs queries).

    Whatever a write must be sure of is read again under the lock, with populate_existing.
    """
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.commit()
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _began_for_writing(session: sa.orm.Session) -> bool:
    """Whether the session's transaction is a SQLite one begun with BEGIN IMMEDIATE."""
    if not session.in_transaction():
        return False
    connection = session.connection()
    return connection.dialect.name == "sqlite" and bool(connection.info.get("pole.write_lock"))


@contextmanager
def write_transaction(now: datetime | None = None, *, expire: bool = True) -> Iterator[None]:
    """Run the block as one transaction that holds SQLite's write lock from its start.

    Commits at the end of the block, rolls back on any exception. On PostgreSQL this is a
    plain transaction; callers lock the rows they check (SELECT ... FOR UPDATE). A block
    nested in another write transaction joins it: the outer one commits or rolls back all.
    `now` is when its changes happen (change_time()), for the iCal change stamp.
    `expire=False` keeps what the block loaded and wrote after the commit (the page that
    says "it is booked" needs no reload): what it read under the lock, and what it wrote,
    is what was committed. A refusal (pole.core.refusals.Refused) raised before anything
    was written ends the transaction the same way: nothing to undo, nothing to reload.
    """
    if now is not None:
        at = _change_time.set(now)
        try:
            with write_transaction(expire=expire):
                yield
        finally:
            _change_time.reset(at)
        return
    if _in_write_transaction.get():
        yield
        return
    session = db.session()
    # On SQLite a request that writes began its transaction with the lock (BEGIN
    # IMMEDIATE): it carries on, one transaction. Any other read transaction ends, so that
    # the next one begins with the lock.
    if not _began_for_writing(session):
        _end_read_transaction(session)
    token = _begin_immediate.set(True)
    inside = _in_write_transaction.set(True)
    try:
        yield
        _commit(session, expire)
    except Refused:
        if _wrote_nothing(session):
            _commit(session, expire=False)
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        _in_write_transaction.reset(inside)
        _begin_immediate.reset(token)
        # What the request does next (render a page, suggest free times) only reads, and
        # must not hold the write lock while it does.
        _begin_immediate.set(False)


def _commit(session: sa.orm.Session, expire: bool) -> None:
    if expire:
        session.commit()
        return
    kept = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = kept


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"
