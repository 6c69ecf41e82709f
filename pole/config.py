"""Configuration read from the environment, with safe development defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa


def instance_path(default: Path) -> str:
    """Return the instance folder: POLE_INSTANCE_PATH if set, else `default`; always absolute."""
    return os.path.abspath(os.environ.get("POLE_INSTANCE_PATH", "").strip() or default)


def database_url(instance_path: str) -> str:
    """Return the SQLAlchemy URL: DATABASE_URL if set, else a SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        # SQLite creates the file but not its folder: a first run has no instance/ yet.
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + str(Path(instance_path) / "pole.db")
    return normalised_url(url)


def normalised_url(url: str) -> str:
    """postgres:// URLs (what hosting platforms hand out) talk to PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, else one generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


ENGINE_OPTIONS = {
    # A pooled connection is checked with a round trip before each use: when PostgreSQL
    # has dropped it (a restart, a failover, a pooler's idle timeout), the pool replaces it
    # instead of the request answering 500. A page checks out one connection; the ping
    # costs it about 60 µs on a local PostgreSQL (bench/pre_ping.py), a network round trip
    # on a remote one.
    "pool_pre_ping": True,
    "pool_recycle": 1800,
    # Errors and logs show a statement, never its values: an appointment's file reference
    # and note would otherwise be in the message of any failed insert.
    "hide_parameters": True,
}


# For a pool of connections kept open (PostgreSQL, a SQLite file): the connection given back
# last is the one taken next. Under light load one connection then serves request after
# request, which is what the other settings assume. With the pool's default (first in, first
# out), a server that once served requests at once took its connections in turn: a request
# taking one out twice (a booking POST: its reads, then its write) got another one the second
# time, whose pre-ping is a round trip more (pole.pool skips it only for the connection the
# same request just gave back); each PostgreSQL backend, and each SQLite connection's page
# cache (emptied whenever another connection has written since), was colder too.
POOLED_OPTIONS = {"pool_use_lifo": True}


def in_memory(url: str | sa.URL) -> bool:
    """Whether the URL is a SQLite database in memory (one connection per thread, no pool)."""
    url = sa.make_url(url)
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database
    return not database or database == ":memory:" or url.query.get("mode") == "memory"


# PostgreSQL writes each instant in the session's time zone, and psycopg builds it with that
# zone's tzinfo. A server set to "Etc/UTC" (Debian's default) or to "Europe/Paris" made every
# instant read a datetime in a zoneinfo zone, moved again to UTC by UTCDateTime: about a
# microsecond each, 2 ms of the 3.5 ms a year of the hall's feed took to fetch (bench/README).
# Named "UTC", the zone is datetime.UTC itself and neither step runs. No statement reads the
# session's zone (no timestamptz is cast to a date or a local time in SQL), so the answers
# are the same; the deployment's own options come after this one and win.
POSTGRESQL_SESSION_OPTIONS = "-c TimeZone=UTC"


def engine_options(given: dict | None = None, url: str | sa.URL | None = None) -> dict:
    """Our engine options under the given ones, and those of a pool for the URL's database
    when it has one (and no other pool is given); parameters stay hidden whatever is given.
    A PostgreSQL session runs in UTC (POSTGRESQL_SESSION_OPTIONS)."""
    given = given or {}
    pooled = url is not None and not in_memory(url) and "poolclass" not in given
    pool = POOLED_OPTIONS if pooled else {}
    session = _postgresql_connect_args(url, given) if _is_postgresql(url) else {}
    return {**ENGINE_OPTIONS, **pool, **given, **session, "hide_parameters": True}


def _is_postgresql(url: str | sa.URL | None) -> bool:
    return url is not None and sa.make_url(url).get_backend_name() == "postgresql"


def _postgresql_connect_args(url: str | sa.URL, given: dict) -> dict:
    """connect_args with our session options first, then those of the URL (`?options=`) and
    of the given connect_args: connect_args replace the URL's, so they are put together."""
    connect_args = dict(given.get("connect_args") or {})
    theirs = [sa.make_url(url).query.get("options"), connect_args.get("options")]
    options = " ".join(
        [
            POSTGRESQL_SESSION_OPTIONS,
            *(o if isinstance(o, str) else " ".join(o) for o in theirs if o),
        ]
    )
    return {"connect_args": {**connect_args, "options": options}}


DEFAULT_BASE_URL = "http://127.0.0.1:5000"  # what `make run` serves


def check_base_url(value: str) -> str:
    """The address as configured, without its trailing slash; ValueError when it is not an
    http(s) address of a host (a path is allowed: the app may live under one)."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"POLE_BASE_URL must read like https://pole.example.fr, not {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"POLE_BASE_URL has no query, fragment nor login: {value!r}")
    return value


def base_url(https: bool, server_name: str | None) -> str:
    """The building's public address for links in mails: POLE_BASE_URL, else one made of
    SERVER_NAME (https with POLE_HTTPS), else what `make run` serves."""
    given = os.environ.get("POLE_BASE_URL", "").strip()
    if given:
        return check_base_url(given)
    if server_name:
        return f"{'https' if https else 'http'}://{server_name}"
    return DEFAULT_BASE_URL


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str, overrides: dict) -> dict:
    """Build the configuration mapping for create_app(); overrides skip their lookups."""
    https = _flag("POLE_HTTPS")
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": overrides.get("SQLALCHEMY_DATABASE_URI")
        or database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(overrides.get("SQLALCHEMY_ENGINE_OPTIONS")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Pôle <pole@localhost>"),
        # Without MAIL_SERVER, mails go to the log: with their body (links, tokens) only when
        # this is on, or the app runs in debug or test mode.
        "POLE_MAIL_LOG_BODY": _flag("POLE_MAIL_LOG_BODY"),
        # `flask pole worker` sends the mails. On, a thread of the web process also sends a
        # request's mails once it commits (for a server run without the worker); off by
        # default: rendering and sending in the web process slowed the pages it serves.
        "POLE_MAIL_KICK": _flag("POLE_MAIL_KICK", default=False),
        # `flask pole worker`: seconds between two looks at the outbox (a mail leaves within).
        "POLE_WORKER_INTERVAL": float(os.environ.get("POLE_WORKER_INTERVAL", "2")),
        # Sent and given-up mails are deleted by the worker this many days after they were written.
        "POLE_OUTBOX_KEEP_DAYS": int(os.environ.get("POLE_OUTBOX_KEEP_DAYS", "30")),
        # Waiting list: minutes the first person told has to book before the next one is told.
        "POLE_WAITLIST_ANSWER_MINUTES": int(os.environ.get("POLE_WAITLIST_ANSWER_MINUTES", "120")),
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Every link in every mail starts with it, in a request or in the worker.
        "POLE_BASE_URL": base_url(https, os.environ.get("SERVER_NAME") or None),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "WTF_CSRF_TIME_LIMIT": None,
        "POLE_INVITATION_MAX_AGE": int(os.environ.get("POLE_INVITATION_MAX_AGE", 7 * 24 * 3600)),
        "POLE_RESET_MAX_AGE": int(os.environ.get("POLE_RESET_MAX_AGE", 3600)),
        "POLE_TRUST_PROXY": _flag("POLE_TRUST_PROXY"),
        # Served over HTTPS only: HSTS, and https:// links even with no proxy headers trusted.
        "POLE_HTTPS": https,
        # Appointment data (beneficiary reference, note) is kept this long after the slot.
        "POLE_APPOINTMENT_RETENTION_DAYS": int(
            os.environ.get("POLE_APPOINTMENT_RETENTION_DAYS", "365")
        ),
        # Calendar feeds: the window they cover, and how long a cancellation stays in them.
        "POLE_FEED_PAST_DAYS": int(os.environ.get("POLE_FEED_PAST_DAYS", "30")),
        "POLE_FEED_FUTURE_DAYS": int(os.environ.get("POLE_FEED_FUTURE_DAYS", "365")),
        "POLE_FEED_CANCELLED_DAYS": int(os.environ.get("POLE_FEED_CANCELLED_DAYS", "30")),
        # Requests per seconds allowed to one feed link, counted in the database across every
        # process and server ("0": no limit).
        "POLE_FEED_RATE_LIMIT": os.environ.get("POLE_FEED_RATE_LIMIT", "60/600"),
        # Built feeds kept by each worker process (an optimisation: invalidated through the
        # database, never by time).
        "POLE_FEED_CACHE_SIZE": int(os.environ.get("POLE_FEED_CACHE_SIZE", "64")),
        # Events already written, kept by each worker process by the row they were written
        # from (pole/feeds/memo.py): a feed rebuilt after one booking changed writes that one.
        # About 2.7 KB each (measured): 10,000 is at most some 27 MB a process.
        "POLE_FEED_EVENT_MEMO_SIZE": int(os.environ.get("POLE_FEED_EVENT_MEMO_SIZE", "10000")),
        # A read replica for the feeds and the reports (pole/replica.py says which reads); unset,
        # everything reads the primary.
        "POLE_READ_REPLICA_URL": os.environ.get("POLE_READ_REPLICA_URL", "").strip(),
    }
