"""Pôle: the booking and pooling tool of a pôle des solidarités."""

from __future__ import annotations

import logging
import typing as t
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from pole import config, converters, extensions, replica, sessions
from pole.db import (
    WRITE_WAIT,
    configure_sqlite,
    hide_values,
    reset_write_intent,
    set_write_intent,
    track_writes,
)
from pole.extensions import babel, csrf, db, login_manager, migrate
from pole.feeds import logs as feed_logs
from pole.pool import ping_once_per_request

ROOT = Path(__file__).resolve().parent.parent
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sent with every answer whose view did not set its own.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


class Pole(Flask):
    """Flask, asking once per function (a view, a hook, a context processor) whether it is a
    coroutine function, instead of on every call of every hook of every request."""

    _MOST_SYNC = 2000  # the app's views and hooks: some 200

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._known_sync: set[t.Callable[..., t.Any]] = set()

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        try:
            if func in self._known_sync:
                return func
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
        sync = super().ensure_sync(func)
        if sync is func and len(self._known_sync) < self._MOST_SYNC:
            self._known_sync.add(func)
        return sync


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    app = Pole(
        __name__,
        instance_path=config.instance_path(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.session_interface = sessions.CookieSessionInterface()
    test_config = test_config or {}
    app.config.from_mapping(config.from_environment(app.instance_path, test_config))
    app.config.update(test_config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(
        app.config["SQLALCHEMY_ENGINE_OPTIONS"], app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config.get("POLE_HTTPS"):
        app.wsgi_app = _served_over_https(app.wsgi_app)
    if app.config["POLE_TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    feed_logs.install(app.logger)  # secret feed links never reach a log

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=lambda: "fr", timezone_selector=lambda: "Europe/Paris")
    extensions.htmx.init_app(app)  # pole.htmx (the module) would shadow the name here
    with app.app_context():
        hide_values(db.engine)
        track_writes(db.engine)
        ping_once_per_request(db.engine)
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config.get("SQLITE_WRITE_WAIT", WRITE_WAIT))
    replica.init_app(app)

    _register_request_hooks(app)
    converters.register(app)  # before the routes: every <int:...> is bounded
    _register_blueprints(app)

    from pole import cli, errors, templating
    from pole.notifications import listeners  # noqa: F401  (registers who is told what)
    from pole.waitlist import listeners as _waitlist  # noqa: F401  (a freed time is told)

    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app


def _served_over_https(wsgi_app):  # noqa: ANN001, ANN202
    """The public face is https even when the TLS proxy says nothing: links in mails too."""

    def app(environ, start_response):  # noqa: ANN001, ANN202
        environ["wsgi.url_scheme"] = "https"
        return wsgi_app(environ, start_response)

    return app


def _register_blueprints(app: Flask) -> None:
    from pole.auth.views import bp as auth_bp
    from pole.bookings.manage import bp as manage_bp
    from pole.bookings.views import bp as bookings_bp
    from pole.displays.views import bp as displays_bp
    from pole.events.views import bp as events_bp
    from pole.feeds.views import bp as feeds_bp
    from pole.main import bp as main_bp
    from pole.notices.views import bp as notices_bp
    from pole.notifications.views import bp as notifications_bp
    from pole.organisations.views import bp as organisations_bp
    from pole.permanences.views import bp as permanences_bp
    from pole.public.views import bp as public_bp
    from pole.quotas.views import bp as quotas_bp
    from pole.reports.views import bp as reports_bp
    from pole.resources.views import bp as resources_bp
    from pole.seasons.views import bp as seasons_bp
    from pole.sites.views import bp as sites_bp
    from pole.waitlist.views import bp as waitlist_bp

    for blueprint in (main_bp, auth_bp, organisations_bp, resources_bp, bookings_bp, manage_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(permanences_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(quotas_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(seasons_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(displays_bp)
    app.register_blueprint(waitlist_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(sites_bp)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def take_write_lock_for_writes() -> None:
        # On SQLite a request that writes takes the write lock when its transaction begins,
        # so concurrent writers queue up instead of failing with "database is locked".
        if request.method in UNSAFE_METHODS:
            request.environ["pole.write_token"] = set_write_intent(True)

    @app.teardown_request
    def release_write_intent(_exc: BaseException | None) -> None:
        token = request.environ.pop("pole.write_token", None)
        if token is not None:
            reset_write_intent(token)

    @app.after_request
    def security_headers(response):  # noqa: ANN001, ANN202
        # What setdefault did header by header (a lookup through the list each), in one pass.
        headers = response.headers
        present = {key.lower() for key, _value in headers}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if app.config.get("POLE_HTTPS") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
