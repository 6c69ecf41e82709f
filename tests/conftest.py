"""Fixtures: the app on a real SQLite file and a real PostgreSQL, real SMTP, real Chromium.

Database tests run once per backend (`app` is parametrised). Outside CI a missing PostgreSQL
or Chromium skips the tests that need it, saying why; with CI=true they fail instead.
POLE_TEST_NOW=2027-10-31T00:30:00Z runs the whole session as if it began at that instant.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from pole import create_app
from pole.db import db

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("POLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("POLE_TEST_CHROMIUM", "/usr/bin/chromium")
BACKENDS = ("sqlite", "postgresql")
FAKE_NOW = os.environ.get("POLE_TEST_NOW", "").strip()


def unavailable(reason: str) -> None:
    """Skip outside CI; in CI a missing real part is a failure, not a silent skip."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The clock ------------------------------------------------------------------------------------
# With POLE_TEST_NOW set, every clock Python reads (datetime.now, date.today, time.time, so
# pole.db.utcnow and the `now` services default to) starts at that instant for the whole session
# and keeps ticking. It starts before collection, so module-level dates see it too. Monotonic
# clocks (timeouts, waits) and PostgreSQL's own now() keep real time: the app never asks the
# database for the time.


def fake_start() -> datetime | None:
    """The instant POLE_TEST_NOW names, aware in UTC (None when the clock is real)."""
    if not FAKE_NOW:
        return None
    start = datetime.fromisoformat(FAKE_NOW.replace("Z", "+00:00"))
    if start.tzinfo is None:
        raise pytest.UsageError(f"POLE_TEST_NOW={FAKE_NOW!r} needs a UTC offset, e.g. a final Z")
    return start.astimezone(UTC)


_traveller = None
CLOCK_STARTED_AT = time.monotonic()  # real time the fake clock began (see test_clock.py)


def pytest_configure(config: pytest.Config) -> None:
    global _traveller, CLOCK_STARTED_AT
    start = fake_start()
    if start is not None:
        import time_machine

        _traveller = time_machine.travel(start, tick=True)
        _traveller.start()
        CLOCK_STARTED_AT = time.monotonic()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _traveller is not None:
        _traveller.stop()


def pytest_report_header(config: pytest.Config) -> str:
    start = fake_start()
    return f"clock: {'started at ' + start.isoformat() if start else 'real'}"


# Databases ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'pole-test.db'}"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A database of its own for this run, created on the test server and dropped after."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    name = f"pole_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # A commit need not wait for the disk in a throwaway database (a factory commits each
        # row it makes); transactions, locks and isolation are unchanged.
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def scratch_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the current backend, for tests that run the migrations themselves."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    import psycopg

    request.getfixturevalue("postgresql_url")  # skips (or fails in CI) without PostgreSQL
    name = f"pole_scratch_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def scratch_app(scratch_url: str, smtp_server: tuple[Mailbox, int]) -> Iterator[Flask]:
    """The app on an empty, unmigrated database of the current backend (no app context)."""
    app = build_app(scratch_url, smtp_server[1])
    yield app
    with app.app_context():
        db.engine.dispose()


# Mail: a real SMTP server on 127.0.0.1 that keeps what it receives ----------------------------


class Mail(EmailMessage):
    """A received message; get_content() of a multipart mail is its plain-text part."""

    def get_content(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if self.is_multipart():
            return self.get_body(("plain",)).get_content(*args, **kwargs)
        return super().get_content(*args, **kwargs)


class Mailbox:
    """What the SMTP server received. Reading it first runs the outbox's sender (`deliver`),
    as `flask pole worker` would: mails are queued by the request, sent after it."""

    def __init__(self) -> None:
        self._messages: list = []
        self._lock = threading.Lock()
        self.deliver: Callable[[], object] | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 (aiosmtpd API)
        message = message_from_bytes(envelope.content, _class=Mail, policy=policy.default)
        message.raw = envelope.content  # as it came, before the parser decodes anything
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    def _send_queued(self) -> None:
        if self.deliver is not None:
            self.deliver()

    @property
    def messages(self) -> list:
        self._send_queued()
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every mail sent so far (the queued ones are sent first)."""
        self._send_queued()
        with self._lock:
            self._messages.clear()

    def to(self, address: str, timeout: float = 5.0):
        """The last message sent to `address`, waiting a little for it to arrive."""
        self._send_queued()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [m for m in self._messages if address in m["To"]]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address}; got {[m['To'] for m in self._messages]}")

    def link_to(self, address: str) -> str:
        body = self.to(address).get_content()
        match = re.search(r"https?://\S+", body)
        assert match, body
        return match.group(0)


def deliver_mail(app: Flask) -> int:
    """Run the outbox's sender until nothing is due, as the worker would; how many it sent.

    It runs at the latest instant a queued mail is due, so that mails queued by a service
    given a `now` ahead of the clock go out too.
    """
    from pole.db import utcnow
    from pole.outbox import deliver_due
    from pole.outbox.models import OutgoingMail

    sent = 0
    with app.app_context():
        latest = db.session.scalar(
            sa.select(sa.func.max(OutgoingMail.due_at)).where(OutgoingMail.status == "queued")
        )
        db.session.rollback()
        now = max(utcnow(), latest) if latest is not None else utcnow()
        while (delivery := deliver_due(now)).claimed:
            sent += delivery.sent
    return sent


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture()
def mailbox(smtp_server: tuple[Mailbox, int], request: pytest.FixtureRequest) -> Iterator[Mailbox]:
    """The SMTP capture, emptied; reading it sends what the test's app has queued."""
    box, _ = smtp_server
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        box.deliver = lambda: deliver_mail(app)
    box.clear()
    yield box
    box.deliver = None


# The app --------------------------------------------------------------------------------------


def build_app(url: str, smtp_port: int, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "SERVER_NAME": None,
        # Links in mails are the test client's own address, so a test can follow them.
        "POLE_BASE_URL": "http://localhost",
        # Mails leave when a test reads the mailbox (or runs deliver_mail), not on their own.
        "POLE_MAIL_KICK": False,
    }
    config.update(overrides)
    return create_app(config)


def reset_database() -> None:
    """Empty every table (the schema comes from the real migrations, run once per backend)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # DELETE, children first, in one round trip: TRUNCATE of every table costs ~150 ms
            # a test (new files for each table), DELETE on a test's few rows almost nothing.
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in reversed(tables)))
        else:
            for table in reversed(tables):
                conn.exec_driver_sql(f'DELETE FROM "{table}"')


_apps: dict[str, Flask] = {}


def _migrated_app(backend: str, request: pytest.FixtureRequest) -> Flask:
    if backend not in _apps:
        url = request.getfixturevalue(f"{backend}_url")
        _, smtp_port = request.getfixturevalue("smtp_server")
        app = build_app(url, smtp_port)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        _apps[backend] = app
    return _apps[backend]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture()
def app(backend: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on a migrated, empty database of the current backend, with an app context."""
    app = _migrated_app(backend, request)
    with app.app_context():
        reset_database()
        yield app
        db.session.remove()


@pytest.fixture(scope="session", autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    for app in _apps.values():
        with app.app_context():
            db.engine.dispose()


class Client(FlaskClient):
    """A test client that sends the CSRF token like the browser does, unless told not to."""

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, *args, csrf: bool = True, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        # Requests share the test's app context, so `g` would outlive a request: Flask-Login
        # caches the user there and Flask-WTF the CSRF token. Each request starts with an
        # empty `g`, as in production, and finds its user from its own cookies.
        if has_app_context():
            for name in list(g):
                g.pop(name)
        # Read and close the answer as a server does, so call_on_close callbacks run.
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


class AuthActions:
    def __init__(self, client: Client) -> None:
        self._client = client

    def login(self, email: str, password: str = "motdepasse-de-test"):  # noqa: S107
        return self._client.post("/connexion", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/deconnexion")


@pytest.fixture()
def auth(client: Client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture()
def login_as(app: Flask, client: Client):  # noqa: ANN201
    """Log `client` (or another client) in as a person, without paying for argon2.

    It comes back like a browser the day after a "remember me" login: no session, only the
    remember-me cookie, which the app checks against the person's current session token.
    """
    from flask_login import encode_cookie

    def login(user, on: Client | None = None) -> Client:  # noqa: ANN001
        browser = on or client
        browser.delete_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
        browser.set_cookie(
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), encode_cookie(user.get_id())
        )
        return browser

    return login


# A live server and Chromium, for browser tests -----------------------------------------------


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 in a thread, many requests at once, like production."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{server.server_port}"
    base_url, app.config["POLE_BASE_URL"] = app.config["POLE_BASE_URL"], address  # mail links
    yield address
    app.config["POLE_BASE_URL"] = base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
