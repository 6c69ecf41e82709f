"""Door displays: the room's door page (no login, through its secret link) and its link."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from markupsafe import Markup

from pole import permissions
from pole.displays import services
from pole.extensions import login_manager
from pole.forms import Form
from pole.htmx import render
from pole.resources.views import get_resource

bp = Blueprint("displays", __name__)

REFRESH_SECONDS = 60


def _qr(url: str, title: str) -> Markup:
    """A QR code as inline SVG (no script, no style attribute: the CSP allows it)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, title=title, svgclass="qr", border=2)
    return Markup(svg)  # noqa: S704 (segno's own SVG; the URL and title are escaped by segno)


def _managed_room(resource_id: int):  # noqa: ANN202
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not permissions.can_manage_resources(current_user):
        abort(403)
    return get_resource(resource_id)


@bp.get("/porte/<token>")
def door(token: str):
    """Show a room's day at its door: now, the rest of today, what is next, a QR to book."""
    resource = services.resource_for_link(token)
    if resource is None:
        abort(404)
    book_url = url_for("bookings.week", resource_id=resource.id, _external=True)
    response = render(
        "displays/door.html",
        resource=resource,
        door=services.door_of(resource),
        qr=_qr(book_url, f"Réserver {resource.name}"),
        refresh=REFRESH_SECONDS,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _manage_page(resource, link: str = ""):  # noqa: ANN001, ANN202
    door_url = url_for("displays.door", token=link, _external=True) if link else ""
    return render(
        "displays/manage.html",
        title=f"Affichage de porte — {resource.name}",
        resource=resource,
        active=services.active_link(resource.id),
        door_url=door_url,
        qr=_qr(door_url, "Le lien de l’affichage de porte") if link else "",
        form=Form(),
    )


@bp.get("/salles/<int:resource_id>/porte")
def manage(resource_id: int):
    """Show whether the room's door display has a live link, to make or revoke one."""
    return _manage_page(_managed_room(resource_id))


@bp.post("/salles/<int:resource_id>/porte")
def issue(resource_id: int):
    """Make the room's door display link (the one before stops working); show it once."""
    resource = _managed_room(resource_id)
    if not Form().validate_on_submit():
        abort(400)
    return _manage_page(resource, services.issue_link(resource.id, current_user))


@bp.post("/salles/<int:resource_id>/porte/revoquer")
def revoke(resource_id: int):
    """Stop the room's door display link from working."""
    resource = _managed_room(resource_id)
    if not Form().validate_on_submit():
        abort(400)
    count = services.revoke_link(resource.id, current_user)
    flash("Lien d’affichage révoqué." if count else "Aucun lien à révoquer.", "info")
    return redirect(url_for("displays.manage", resource_id=resource.id), 303)
