"""Permanence screens: free slots for volunteers, publishing, the social worker's week and day."""

from __future__ import annotations

from flask import Blueprint, g
from flask_login import current_user, login_required

from pole.db import utcnow
from pole.permanences import rules, services
from pole.permanences.patterns import slot_key
from pole.permanences.views.loaders import site_tz
from pole.timeutil import to_local

bp = Blueprint("permanences", __name__, url_prefix="/permanences")

# Templates ask the rules (can_cancel(appointment, now)...) instead of restating them.
for _rule in (rules.can_cancel, rules.can_call_off, rules.can_mark):
    bp.add_app_template_global(_rule)


@bp.before_request
@login_required
def require_login() -> None:
    """Permanences are for logged-in people: they name associations and their appointments."""


@bp.app_context_processor
def home_helpers() -> dict:
    return {"permanences_home": _home_summary}


def _home_summary() -> dict:
    """What the home page shows of permanences: the social worker's week."""
    if not current_user.is_authenticated:
        return {}
    if "permanences_home" not in g:
        now = utcnow()
        summary: dict = {}
        if current_user.is_social_worker:
            today = to_local(now, site_tz()).date()
            summary["week"] = services.week_sessions(current_user, today, now)
        g.permanences_home = summary
    return g.permanences_home


# The routes register themselves on `bp`.
from pole.permanences.views import day_sheet, publishing, slots  # noqa: E402

__all__ = ["bp", "day_sheet", "publishing", "slot_key", "slots"]
