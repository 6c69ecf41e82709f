"""Jinja helpers: French dates in the site's time zone, navigation by role."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_time
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from pole import permissions


def register(app: Flask) -> None:
    @app.template_filter("datetime_fr")
    def datetime_fr(value: datetime | None, pattern: str = "EEEE d MMMM y 'à' HH:mm") -> str:
        return "" if value is None else format_datetime(value, pattern)

    @app.template_filter("date_fr")
    def date_fr(value: date | datetime | None, pattern: str = "EEEE d MMMM y") -> str:
        if value is None:
            return ""
        return (
            format_datetime(value, pattern)
            if isinstance(value, datetime)
            else format_date(value, pattern)
        )

    @app.template_filter("time_fr")
    def time_fr(value: datetime | None) -> str:
        return "" if value is None else format_time(value, "HH:mm")

    @app.template_filter("hhmm")
    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    @app.context_processor
    def inject_helpers() -> dict:
        return {"can": permissions, "csrf_token_value": generate_csrf, "user": current_user}
