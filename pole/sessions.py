"""Flask's signed-cookie sessions, and the CSRF token, without rebuilding their signers.

Flask builds an itsdangerous serializer for every request that opens or saves a session, and
Flask-WTF another for every page that prints a CSRF token. They are pure functions of the
configuration (the secret keys and salts), so one per process and per key set does: the
cookie is still read and checked, and the token still signed, on every request.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, Request, Response, current_app, g, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

# A deployment has one secret key (plus fallbacks while rotating); tests make many apps.
_MOST_SERIALIZERS = 16


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's own session interface; its serializer built once per set of secret keys."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if len(self._serializers) >= _MOST_SERIALIZERS:
                self._serializers.clear()
            self._serializers[key] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        # A request with no cookie at all (a calendar app asking for its feed) starts an empty
        # session, as Flask's would, without parsing the absent header first.
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Most answers leave a session as it came, empty or not: what Flask does then (a
        # "Vary: Cookie" if it was read), without first reading the cookie's seven settings.
        changed = self.should_set_cookie(app, session) if session else session.modified
        if not changed:
            if session.accessed:
                _vary_on_cookie(response)
            return
        super().save_session(app, session, response)


def _vary_on_cookie(response: Response) -> None:
    """response.vary.add("Cookie"), without parsing and writing back a Vary that is not there."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"


_CSRF_SERIALIZERS: dict[object, URLSafeTimedSerializer] = {}


def csrf_token() -> str:
    """flask_wtf.csrf.generate_csrf() with the default key and field name (what the forms'
    hidden field and validate_csrf use): the same token, kept in `g` for the request, its
    serializer built once per secret key."""
    config = current_app.config
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name in g:
        return g.get(field_name)
    secret_key = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if secret_key is None or field_name is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    serializer = _CSRF_SERIALIZERS.get(secret_key)
    if serializer is None:
        serializer = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")
        if len(_CSRF_SERIALIZERS) >= _MOST_SERIALIZERS:
            _CSRF_SERIALIZERS.clear()
        _CSRF_SERIALIZERS[secret_key] = serializer
    if field_name not in session:
        session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF)
    try:
        token = serializer.dumps(session[field_name])
    except TypeError:
        session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324
        token = serializer.dumps(session[field_name])
    setattr(g, field_name, token)
    return token
