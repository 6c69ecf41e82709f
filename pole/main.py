"""The home page: what matters to each person."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request
from flask_login import current_user

from pole import permissions
from pole.bookings import services as booking_services
from pole.db import db, utcnow
from pole.events.services import notices_for
from pole.home import services as today_and_next
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.resources.services import active_resources
from pole.sites.services import current_site

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """Show each person today in the building and what comes next for them and their groups."""
    now = utcnow()
    site = current_site()
    resources = active_resources(site) if site is not None else []
    if not current_user.is_authenticated:
        return render("home.html", title="Accueil", site=site, resources=resources)
    user = current_user._get_current_object()
    upcoming, upcoming_total = today_and_next.next_bookings(user, now)
    return render(
        "home.html",
        title="Accueil",
        site=site,
        resources=resources,
        organisations=user.organisations(),
        pending_count=(
            booking_services.pending_count(user.limited_to_sites)
            if permissions.can_approve_bookings(user)
            else 0
        ),
        notices=notices_for(user, now),
        shown_at=now,
        now=now,
        upcoming=upcoming,
        upcoming_total=upcoming_total,
        today=today_and_next.today_in_building(site, resources, user, now) if site else [],
        sessions=today_and_next.open_sessions(user, now),
        free_slots=lambda session: today_and_next.bookable_slots(session, user, now),
        next_permanence=(
            today_and_next.next_permanence(user, site, now)
            if user.is_social_worker and site
            else None
        ),
    )


@bp.get("/organisations.css")
def organisation_colours():
    """Serve each organisation's colour as a CSS class (no inline styles, for a strict CSP)."""
    rows = db.session.execute(db.select(Organisation.id, Organisation.colour)).all()
    css = "".join(f".org-{oid}{{--org-colour:{colour}}}\n" for oid, colour in rows)
    response = Response(css, mimetype="text/css")
    response.set_etag(hashlib.sha256(css.encode()).hexdigest())
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
