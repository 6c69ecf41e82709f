"""Booking screens: the building day view, a resource's week, a booking's page, our bookings.

The booking form lives in views_create, changing a booking in views_edit (same blueprint).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from pole import permissions
from pole.bookings import agenda, agenda_rows, day_list, grid_links, services
from pole.bookings import recurrence as rec
from pole.bookings.forms import (
    SCOPE_LABELS,
    CancelForm,
    fill_from_slot,
)
from pole.bookings.list_forms import ListFiltersForm
from pole.bookings.models import Booking
from pole.bookings.services import listing
from pole.db import db, reads_only, utcnow
from pole.extensions import login_manager
from pole.formatting import format_date
from pole.forms import FIRST_DAY, LAST_DAY, parse_day
from pole.htmx import render
from pole.resources.models import Site
from pole.resources.services import active_resources
from pole.resources.views import get_resource
from pole.sites.services import all_sites, current_site
from pole.urls import safe_next

bp = Blueprint("bookings", __name__)

# Tells the grid on the page to reload itself (it listens with hx-trigger "... from:body").
BOOKINGS_CHANGED = json.dumps({"booking-changed": {"target": "body"}})


# Loading -----------------------------------------------------------------------------------


def _deny() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)


def _is_theirs(booking: Booking) -> bool:
    return (
        permissions.is_manager(current_user)
        or permissions.role_in(current_user, booking.organisation) is not None
    )


def get_booking(booking_id: int, to_change: bool = False) -> Booking:
    """Load a booking or 404; to change it, 403 unless it is one of my organisation's."""
    booking = db.get_or_404(Booking, booking_id)
    if to_change:
        if not _is_theirs(booking):
            _deny()
        if not permissions.can_change_booking(current_user, booking):
            flash(f"Cette réservation est {booking.status_label.lower()} : rien à changer.", "info")
            abort(redirect(url_for("bookings.show", booking_id=booking.id), 303))
    return booking


def site_or_404() -> Site:
    site = current_site()
    if site is None:
        abort(404)
    return site


def _asked_day(site: Site) -> tuple[date, str]:
    """The ?date= of the page (today by default), and what is wrong with it if anything."""
    text = request.args.get("date", "").strip()
    if not text:
        return agenda.today(site), ""
    try:
        day = parse_day(text)
    except ValueError as error:
        return agenda.today(site), str(error)
    if not FIRST_DAY <= day <= LAST_DAY:
        return agenda.today(site), "Choisissez une date entre 2000 et 2099."
    return day, ""


# The grids ---------------------------------------------------------------------------------


def _viewer() -> object:
    """The person behind current_user: the grids ask who may read each booking's title."""
    return current_user._get_current_object()  # each read through the proxy costs a lookup


def _nav(endpoint: str, day: date, step: int, **params) -> dict:
    link = grid_links.link_pattern(endpoint, "date", **params).format
    return {
        "previous": link(max(day - timedelta(days=step), FIRST_DAY).isoformat()),
        "next": link(min(day + timedelta(days=step), LAST_DAY).isoformat()),
        "today": grid_links.fixed_url(endpoint, **params),
        "current": link(day.isoformat()),
    }


@bp.get("/agenda")
@reads_only
def day():
    """Show every room and piece of equipment of the building on one day."""
    all_sites(with_resources=True)  # the sites and their resources in one query
    site = site_or_404()
    shown, date_error = _asked_day(site)
    the_day = agenda.day_agenda(site, shown, _viewer())
    week_url = grid_links.link_pattern(
        "bookings.week", "resource_id", date=grid_links.VALUE_HOLE
    ).replace(grid_links.VALUE_HOLE, shown.isoformat())
    return render(
        "bookings/day.html",
        block="day_grid",
        status=400 if date_error else 200,
        title=f"Agenda du {format_date(shown)}",
        site=site,
        day=shown,
        is_today=shown == agenda.today(site),
        date_error=date_error,
        agenda=the_day,
        lists_html=day_list.lists_html(day_list.day_lists(the_day, site.tz), week_url),
        strip=_strip(shown, agenda.today(site)),
        nav=_nav("bookings.day", shown, 1),
        heads_html=agenda_rows.day_heads_html(the_day.heads, week_url),
    )


def _strip(shown: date, current: date) -> dict:
    """The two weeks from the shown day's Monday, each day a link, and a week back or on."""
    pattern = grid_links.link_pattern("bookings.day", "date")
    return {
        "days_html": day_list.strip_html(day_list.week_strip(shown), pattern, shown, current),
        "previous": pattern.format(max(shown - timedelta(7), FIRST_DAY).isoformat()),
        "next": pattern.format(min(shown + timedelta(7), LAST_DAY).isoformat()),
    }


@bp.get("/salles/<int:resource_id>/semaine")
@reads_only
def week(resource_id: int):
    """Show one room or piece of equipment from Monday to Sunday."""
    all_sites(with_resources=True)  # the site picker's sites: the resource comes with them
    resource = get_resource(resource_id)
    asked, date_error = _asked_day(resource.site)
    monday = agenda.monday_of(asked)
    the_week = agenda.week_agenda(resource, monday, _viewer())
    return render(
        "bookings/week.html",
        block="week_grid",
        status=400 if date_error else 200,
        title=f"{resource.name} — semaine du {format_date(monday, 'd MMMM y')}",
        resource=resource,
        needs_approval=services.needs_approval(resource, current_user),
        monday=monday,
        sunday=monday + timedelta(days=6),
        date_error=date_error,
        agenda=the_week,
        nav=_nav("bookings.week", monday, 7, resource_id=resource.id),
        heads_html=agenda_rows.week_heads_html(
            the_week.heads, grid_links.link_pattern("bookings.day", "date")
        ),
    )


# Booking -----------------------------------------------------------------------------------


def may_pass_quota(form) -> bool:  # noqa: ANN001 (a booking or edit form)
    """The manager has begun to say why he books beyond a quota: keep the field on screen,
    whatever else the form comes back for."""
    return permissions.is_manager(current_user) and bool(form.quota_override_note.data)


def with_suggestion(formdata: MultiDict) -> MultiDict:
    """A tapped suggestion button books its time (or its resource) with the rest of the form."""
    formdata = formdata.copy()
    filled = fill_from_slot(formdata.get("slot", "")) if formdata.get("slot") else None
    for name, value in (filled or {}).items():
        formdata[name] = value
    if formdata.get("other_resource"):
        formdata["resource_id"] = formdata["other_resource"]
    return formdata


# One booking -------------------------------------------------------------------------------


@bp.get("/reservations/<int:booking_id>")
def show(booking_id: int):
    """Show a booking, as much of it as this person may read, and what they may do with it."""
    booking = get_booking(booking_id)
    if not permissions.can_open_booking(current_user, booking):
        abort(404)  # ids are sequential: a visitor learns nothing by trying them
    series = booking.series
    return render(
        "bookings/show.html",
        title="Réservation",
        booking=booking,
        tz=booking.resource.site.tz,
        details=permissions.can_see_booking_details(current_user, booking),
        insider=_is_theirs(booking),
        label=services.booking_label(booking, current_user),
        series_text=rec.describe(services.recurrence_of(series)) if series else "",
        can_change=permissions.can_change_booking(current_user, booking),
        cancel_form=CancelForm(),
        scopes=SCOPE_LABELS,
    )


@bp.post("/reservations/<int:booking_id>/annuler")
@login_required
def cancel(booking_id: int):
    """Cancel a booking, or this and the following dates, or its whole series."""
    booking = get_booking(booking_id, to_change=True)
    form = CancelForm()
    if not form.validate_on_submit() or form.scope.data not in SCOPE_LABELS:
        abort(400)
    back = safe_next(request.form.get("next"), url_for("bookings.show", booking_id=booking.id))
    try:
        cancelled = services.cancel_booking(booking.id, current_user, form.scope.data)
    except services.BookingRefused as refused:
        flash(refused.reasons[0].message, "error")
    else:
        count = len(cancelled)
        flash("Réservation annulée." if count == 1 else f"{count} réservations annulées.", "info")
    return redirect(back, 303)


# Our bookings ------------------------------------------------------------------------------


@bp.get("/reservations")
@login_required
def index():
    """List my organisations' bookings, a line per series, filtered and a page at a time."""
    organisations = current_user.organisations()
    form = ListFiltersForm(request.args)
    form.organisation_id.choices = [SelectChoice(0, "Toutes mes organisations")] + [
        SelectChoice(o.id, o.name) for o in organisations
    ]
    resources = active_resources(site_or_404())
    form.ressource.choices = [SelectChoice(0, "Toutes")] + [
        SelectChoice(r.id, r.name) for r in resources
    ]
    valid = form.validate()
    chosen = next((o for o in organisations if valid and o.id == form.organisation_id.data), None)
    filters = listing.ListFilters(
        organisation_ids=tuple([chosen.id] if chosen else [o.id for o in organisations]),
        past=valid and form.quand.data == "passees",
        resource_id=(form.ressource.data or None) if valid else None,
        made_by_id=current_user.id if valid and form.moi.data else None,
        page=(form.page.data or 1) if valid else 1,
    )
    return render(
        "bookings/index.html",
        block="our_bookings",
        status=200 if valid else 422,
        title="Nos réservations",
        organisations=organisations,
        chosen=chosen,
        form=form,
        listed=listing.our_bookings(filters, utcnow()),
        filters=filters,
        describe=lambda series: rec.describe(services.recurrence_of(series)),
        here=request.full_path.rstrip("?"),
        page_url=lambda number: url_for(
            "bookings.index", **{**request.args.to_dict(), "page": number}
        ),
        scopes=SCOPE_LABELS,
    )


# The form screens add their routes to bp.
from pole.bookings import views_create, views_edit, views_find, views_month  # noqa: E402, F401
