"""The pôle's public page and its printable sheet (no login, cacheable), and the forms that
feed them: an organisation's presentation, the way to the building."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pole import permissions
from pole.db import db, utcnow
from pole.extensions import login_manager
from pole.formatting import format_when
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.public import rules, services
from pole.public.forms import DirectionsForm, PresentationForm
from pole.sites.services import addressed_site, current_site

bp = Blueprint("public", __name__, url_prefix="/le-pole")
CACHE_CONTROL = "public, max-age=300"


def _cacheable(html: str) -> Response:
    """The same page for everyone: an ETag of its text, 304 when the copy held is current."""
    response = Response(html, mimetype="text/html")
    response.set_etag(hashlib.sha256(html.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


def _page(template: str) -> Response:
    site = addressed_site()
    if site is None:
        abort(404)
    page = services.public_page(site, utcnow())

    def when(start, end) -> str:  # noqa: ANN001
        return format_when(start, end, site.tz)

    return _cacheable(render_template(template, page=page, when=when))


@bp.get("/")
@bp.get("/<int:site_id>/")
def index(site_id: int | None = None):
    """Show the building, who does what and when, and the public events to come."""
    return _page("public/index.html")


@bp.get("/qui-fait-quoi")
@bp.get("/<int:site_id>/qui-fait-quoi")
def sheet(site_id: int | None = None):
    """Print the one-page sheet "qui fait quoi, quand" for partners who orient people."""
    return _page("public/sheet.html")


def _require(allowed: bool) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not allowed:
        abort(403)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def presentation(organisation_id: int):
    """Edit an organisation's public presentation (its coordinator, the manager)."""
    organisation = db.get_or_404(Organisation, organisation_id)
    _require(rules.can_edit_presentation(current_user, organisation))
    chooses = rules.can_choose_who_appears(current_user)
    form = PresentationForm(obj=organisation)
    if not chooses:
        del form.public_shown
    if form.validate_on_submit():
        services.save_presentation(
            organisation.id,
            services.PresentationData(
                presentation=form.public_presentation.data.strip(),
                offer=form.public_offer.data.strip(),
                audience=form.public_audience.data.strip(),
                hours=form.public_hours.data.strip(),
                contact=form.public_contact.data.strip(),
                shown=form.public_shown.data if chooses else None,
            ),
            current_user,
        )
        flash("La présentation publique est enregistrée.", "success")
        return redirect(url_for("public.presentation", organisation_id=organisation.id))
    return render(
        "public/presentation.html",
        status=422 if form.is_submitted() else 200,
        title=f"Présentation publique · {organisation.name}",
        form=form,
        organisation=organisation,
    )


@bp.route("/acces", methods=["GET", "POST"])
def directions():
    """Say how to get to the building, for the public page (manager)."""
    _require(rules.can_choose_who_appears(current_user))
    site = current_site()
    if site is None:
        abort(404)
    if not permissions.can_manage_site(current_user, site.id):
        abort(403)
    form = DirectionsForm(obj=site)
    if form.validate_on_submit():
        services.save_directions(site.id, form.directions.data.strip(), current_user)
        flash("L'accès au bâtiment est enregistré.", "success")
        return redirect(url_for("public.index"))
    return render(
        "public/directions.html",
        status=422 if form.is_submitted() else 200,
        title="Comment venir au bâtiment",
        form=form,
    )


@bp.app_context_processor
def public_helpers() -> dict:
    return {"can_edit_presentation": rules.can_edit_presentation}
