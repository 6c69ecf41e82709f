"""The home page: what matters to each person."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request
from flask_login import current_user

from pole import permissions
from pole.bookings import services as booking_services
from pole.db import db, utcnow
from pole.events.services import notices_for
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.resources.services import active_resources, default_site

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """Show each person what matters to them: their organisations and the building's rooms."""
    now = utcnow()
    site = default_site()
    resources = active_resources(site) if site is not None else []
    organisations = current_user.organisations() if current_user.is_authenticated else []
    pending = 0
    if permissions.can_approve_bookings(current_user):
        pending = booking_services.pending_count()
    return render(
        "home.html",
        title="Accueil",
        site=site,
        resources=resources,
        organisations=organisations,
        pending_count=pending,
        notices=notices_for(current_user, now) if current_user.is_authenticated else [],
        shown_at=now,
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
