"""Jinja helpers: French dates in the site's time zone, navigation by role.

Every app-wide filter lives here and only words what pole.formatting (or a rules module)
answers; view modules define none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from pole import formatting, permissions
from pole.core.html import form_field
from pole.permanences.patterns import slot_key
from pole.sessions import csrf_token

if TYPE_CHECKING:
    from pole.bookings.models import Booking


def booking_when(booking: Booking) -> str:
    """'mardi 3 mars 2026, de 10:00 à 12:00', or from one day to another for a loan."""
    return formatting.format_when(booking.start, booking.end, booking.resource.site.tz)


def register(app: Flask) -> None:
    # Instants without a zone of their own are shown in the building's zone.
    site_tz = ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))

    @app.template_filter("datetime_fr")
    def datetime_fr(value: datetime | None, pattern: str = formatting.LONG_DATETIME) -> str:
        return "" if value is None else formatting.format_datetime(value, site_tz, pattern)

    @app.template_filter("date_fr")
    def date_fr(value: date | datetime | None, pattern: str = formatting.LONG_DAY) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return formatting.format_datetime(value, site_tz, pattern)
        return formatting.format_date(value, pattern)

    @app.template_filter("time_fr")
    def time_fr(value: datetime | None) -> str:
        return "" if value is None else formatting.format_datetime(value, site_tz, "HH:mm")

    @app.template_filter("local_fr")
    def local_fr(value: datetime, tz: tzinfo, pattern: str = formatting.LONG_DATETIME) -> str:
        """An instant in the given site's zone, the French way."""
        return formatting.format_datetime(value, tz, pattern)

    app.add_template_global(form_field, "form_field")
    # The forms' macros for every template, its fragments included: htmx renders a block alone
    # (pole.htmx.render), without the `{% from "_forms.html" import … %}` at its template's top.
    app.add_template_global(form_field, "field")
    app.add_template_global(_forms_macro(app, "form_errors"), "form_errors")
    app.add_template_filter(formatting.format_hhmm, "hhmm")
    app.add_template_filter(booking_when, "booking_when")
    app.add_template_filter(slot_key, "slot_key")

    app.add_template_global(navigation, "navigation")
    app.add_template_global(head_links, "head_links")

    @app.context_processor
    def inject_helpers() -> dict:
        # The person, not the proxy: a page asks `user` dozens of times, each through a lookup.
        return {
            "can": permissions,
            "csrf_token_value": csrf_token,
            "user": current_user._get_current_object(),
            "url_for": _fixed_url_for(request.script_root) if has_request_context() else url_for,
        }


def _forms_macro(app: Flask, name: str) -> Callable[..., str]:
    """A macro of templates/_forms.html, as `{% from "_forms.html" import name %}` gives it."""

    def call(*args, **kwargs) -> str:  # noqa: ANN002, ANN003
        return getattr(app.jinja_env.get_template("_forms.html").module, name)(*args, **kwargs)

    return call


# The addresses that never change while the process runs (no value in them: the navigation,
# the stylesheets), per script root. They depend on the routes alone, never on the database.
_FIXED_URLS: dict[str, dict[object, str]] = {}
_MOST_ROOTS = 8  # a deployment has one; the environment, not the visitor, sets it
_MOST_URLS = 500  # the app has some 150 endpoints and a few static files


def _fixed_url_for(script_root: str) -> Callable[..., str]:
    """url_for, remembering the addresses without values (and the static files') once built.

    Every page prints some thirty of them (base.html, the navigation twice), each a url_for
    through the routing map; anything with a value (an id, a date, `_external`...) still is.
    """
    known = _FIXED_URLS.get(script_root)
    if known is None:
        known = {} if len(_FIXED_URLS) >= _MOST_ROOTS else _FIXED_URLS.setdefault(script_root, {})

    def fixed_url_for(endpoint: str, **values: object) -> str:
        if values:
            if endpoint != "static" or len(values) != 1 or "filename" not in values:
                return url_for(endpoint, **values)
            key: object = ("static", values["filename"])
        elif endpoint[0] == ".":
            return url_for(endpoint)  # relative to the request's blueprint
        else:
            key = endpoint
        found = known.get(key)
        if found is None:
            found = url_for(endpoint, **values)
            if len(known) < _MOST_URLS:
                known[key] = found
        return found

    return fixed_url_for


class _NavAnswers(NamedTuple):
    """What the navigation asks about the person (read from their rows on every request)."""

    manager: bool
    approve: bool
    quotas: bool
    sharing: bool
    closures: bool
    report: bool
    journal: bool


# The navigation's HTML per script root and per set of answers: a pure function of the routes
# and of those answers (computed per request), with a stand-in for the CSRF token.
_NAVIGATIONS: dict[tuple[str, _NavAnswers], str] = {}
_TOKEN_STAND_IN = "\x00csrf-token\x00"  # noqa: S105 (a place, not a secret)


def navigation(user: Any) -> Markup:
    """_nav.html for this person: the links their permissions open, the logout's CSRF token.

    The permissions are asked on every request; the links they open are rendered once per
    process (some 400 Python calls a page: url_for and a Jinja call per link).
    """
    from pole.events.views import _can_read_journal
    from pole.reports.access import can_see_report

    answers = _NavAnswers(
        manager=permissions.is_manager(user),
        approve=permissions.can_approve_bookings(user),
        quotas=permissions.can_manage_quotas(user),
        sharing=permissions.can_see_sharing(user),
        closures=permissions.can_manage_closures(user),
        report=bool(can_see_report(user)),
        journal=bool(_can_read_journal(user)),
    )
    script_root = request.script_root
    key = (script_root, answers)
    html = _NAVIGATIONS.get(key)
    if html is None:
        template = current_app.jinja_env.get_template("_nav.html")
        html = template.render(
            nav=answers,
            url_for=_fixed_url_for(script_root),
            csrf_token_value=lambda: _TOKEN_STAND_IN,
        )
        if len(_NAVIGATIONS) < _MOST_ROOTS * 2 ** len(answers):
            _NAVIGATIONS[key] = html
    # The template's own output (autoescaped as it rendered), the token escaped here.
    return Markup(html.replace(_TOKEN_STAND_IN, escape(csrf_token())))  # noqa: S704


# The head's links (stylesheets, scripts) per script root: the same on every page.
_HEADS: dict[str, str] = {}


def head_links() -> Markup:
    """_head.html, rendered once per process and script root (a dozen url_for on every page)."""
    if not has_request_context():
        return Markup(current_app.jinja_env.get_template("_head.html").render())  # noqa: S704
    script_root = request.script_root
    html = _HEADS.get(script_root)
    if html is None:
        template = current_app.jinja_env.get_template("_head.html")
        html = template.render(url_for=_fixed_url_for(script_root))
        if len(_HEADS) < _MOST_ROOTS:
            _HEADS[script_root] = html
    return Markup(html)  # noqa: S704 (our template's own output, autoescaped as it rendered)
