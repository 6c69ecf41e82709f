"""Rooms and pooled equipment: the public list and the manager's editing."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import SelectChoice

from pole import permissions
from pole.bookings.rules import UNIT_PLURAL, UNIT_SINGULAR
from pole.db import db
from pole.extensions import login_manager
from pole.formatting import WEEKDAYS
from pole.htmx import render
from pole.resources import services
from pole.resources.forms import ResourceForm
from pole.resources.models import Resource, Site
from pole.sites.services import all_sites, current_site

bp = Blueprint("resources", __name__, url_prefix="/salles")


def get_resource(resource_id: int) -> Resource:
    """Load a resource or 404; inactive ones are visible to managers only."""
    # With its site in the same query: every page of a resource reads its site's time zone.
    resource = db.get_or_404(Resource, resource_id, options=[so.joinedload(Resource.site)])
    if not resource.is_active and not permissions.can_manage_resources(current_user):
        abort(404)
    return resource


def _require_manager() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not permissions.can_manage_resources(current_user):
        abort(403)


def _site_field(form: ResourceForm, resource: Resource | None) -> None:
    """The sites the manager may put the resource in; no field when there is only one site."""
    sites = [s for s in all_sites() if permissions.can_manage_site(current_user, s.id)]
    if len(all_sites()) < 2:
        del form.site_id
        return
    form.site_id.choices = [SelectChoice(s.id, s.name) for s in sites]
    if not form.is_submitted():
        offered = [s.id for s in sites]
        current = resource.site_id if resource else current_site().id
        form.site_id.data = current if current in offered else offered[0]


def _chosen_site(form: ResourceForm, resource: Resource | None) -> Site:
    if "site_id" in form:
        return db.session.get(Site, form.site_id.data)
    return resource.site if resource else services.site_or_create()


@bp.get("/")
def index():
    """List the rooms and equipment of the building, with their opening hours."""
    site = current_site()
    resources = []
    if site is not None:
        inactive = permissions.can_manage_resources(current_user)
        resources = services.site_resources(site, inactive=inactive)
    return render(
        "resources/index.html",
        title="Salles et matériel",
        site=site,
        resources=resources,
        weekdays=WEEKDAYS,
    )


@bp.get("/<int:resource_id>")
def show(resource_id: int):
    """Show one room or piece of equipment and how it may be booked."""
    resource = get_resource(resource_id)
    return render("resources/show.html", title=resource.name, resource=resource, weekdays=WEEKDAYS)


def _form_data(form: ResourceForm) -> services.ResourceData:
    return services.ResourceData(
        name=form.name.data.strip(),
        kind=form.kind.data,
        description=(form.description.data or "").strip(),
        practical_info=(form.practical_info.data or "").strip(),
        capacity=form.capacity.data,
        quantity=1 if form.kind.data == "room" else form.quantity.data,
        unit_singular=(form.unit_singular.data or "").strip() or UNIT_SINGULAR,
        unit_plural=(form.unit_plural.data or "").strip() or UNIT_PLURAL,
        position=form.position.data or 0,
        opening_hours={
            str(day): getattr(form, f"hours_{day}").data
            for day in range(7)
            if getattr(form, f"hours_{day}").data
        },
        granularity_minutes=form.granularity_minutes.data,
        min_duration_minutes=form.min_duration_minutes.data,
        max_duration_minutes=form.max_duration_minutes.data,
        max_days_ahead=form.max_days_ahead.data,
        min_notice_minutes=form.min_notice_minutes.data,
        buffer_minutes=form.buffer_minutes.data,
        requires_approval=form.requires_approval.data,
        allowed_kinds=list(form.allowed_kinds.data),
        is_active=form.is_active.data,
    )


def _edit_page(form: ResourceForm, resource: Resource | None):
    status = 422 if form.is_submitted() else 200
    return render(
        "resources/form.html",
        status=status,
        form=form,
        resource=resource,
        weekdays=WEEKDAYS,
        title=f"Modifier {resource.name}" if resource else "Nouvelle ressource",
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
def new():
    """Add a room or piece of equipment (manager)."""
    _require_manager()
    form = ResourceForm()
    _site_field(form, None)
    if not form.is_submitted():
        for day in range(6):
            getattr(form, f"hours_{day}").data = [[8 * 60, 19 * 60]]
    if form.validate_on_submit():
        resource_id = services.save_resource(_chosen_site(form, None), _form_data(form))
        flash("La ressource est ajoutée.", "success")
        return redirect(url_for("resources.show", resource_id=resource_id))
    return _edit_page(form, None)


@bp.route("/<int:resource_id>/modifier", methods=["GET", "POST"])
def edit(resource_id: int):
    """Edit a resource and its booking policy (manager)."""
    _require_manager()
    resource = get_resource(resource_id)
    if not permissions.can_manage_resource(current_user, resource):
        abort(403)
    form = ResourceForm(obj=resource)
    _site_field(form, resource)
    if not form.is_submitted():
        for day in range(7):
            getattr(form, f"hours_{day}").data = resource.opening_hours.get(str(day), [])
    if form.validate_on_submit():
        services.save_resource(_chosen_site(form, resource), _form_data(form), resource.id)
        flash("Modifications enregistrées.", "success")
        return redirect(url_for("resources.show", resource_id=resource.id))
    return _edit_page(form, resource)
