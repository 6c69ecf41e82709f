"""Booking screens: the booking form, a single booking or a series, with free times offered."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from pole import permissions
from pole.bookings import agenda, services
from pole.bookings.forms import BookingForm
from pole.bookings.models import Booking
from pole.bookings.views import (
    BOOKINGS_CHANGED,
    _viewer,
    bp,
    may_pass_quota,
    site_or_404,
    with_suggestion,
)
from pole.core.forms import apply_reasons
from pole.db import db, read_outside_transaction, reads_first, utcnow
from pole.htmx import render, wants_fragment
from pole.organisations.models import Organisation
from pole.quotas import services as quotas
from pole.resources.models import Resource
from pole.sites.services import all_sites, site_of_resource
from pole.templating import booking_when
from pole.timeutil import to_local


def _booking_form(formdata: MultiDict | None) -> tuple[BookingForm, Resource | None]:
    """The booking form with the resources and organisations this person may choose."""
    all_sites(with_resources=True)  # the sites and their rooms in one query: the form offers them
    site = site_of_resource(request.values.get("resource_id", type=int)) or site_or_404()
    form = BookingForm(formdata=formdata)
    resources = agenda.shown_resources(site)
    form.resource_id.choices = [SelectChoice(r.id, r.name) for r in resources]
    resource = next((r for r in resources if r.id == form.resource_id.data), None)
    if resource is None and request.method == "GET":
        resource = resources[0] if resources else None
    if resource is None:
        form.resource_id.errors = ["Choisissez une salle ou du matériel."]
        form.organisation_id.choices = []
        return form, None
    form.resource_id.data = resource.id
    form.asks_quantity = not resource.is_room and resource.quantity > 1
    form.multi_day = not resource.is_room
    form.policy, form.today = services.policy_of(resource), agenda.today(site)
    organisations = services.bookable_organisations(_viewer(), resource)
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
    if len(organisations) == 1 and request.method == "GET":
        form.organisation_id.data = organisations[0].id
    elif len(organisations) > 1:
        # No silent default: booking for the wrong association is easy to miss.
        form.organisation_id.choices.insert(0, SelectChoice("", "Choisissez…"))
    if request.method == "GET" and not form.weekdays.data and isinstance(form.date.data, date):
        form.weekdays.data = [form.date.data.weekday()]
    return form, resource


def _is_valid(form: BookingForm) -> bool:
    """The fields are well filled, and the organisation is one this person may book for."""
    valid = form.validate()
    allowed = {c.value for c in form.organisation_id.choices if c.value != ""}
    if form.organisation_id.data not in allowed:
        message = (
            "Choisissez pour quelle organisation vous réservez."
            if allowed
            else "Aucune de vos organisations ne peut réserver cette ressource."
        )
        form.organisation_id.errors = [*form.organisation_id.errors, message]
        return False
    return valid


def _standings(form: BookingForm, resource: Resource | None) -> list[str]:
    """Where the chosen organisation (or each one this person may choose) stands on quotas."""
    day = form.date.data if isinstance(form.date.data, date) else form.today
    if resource is None or day is None:
        return []
    chosen = [c.value for c in form.organisation_id.choices if c.value != ""]
    if form.organisation_id.data in chosen:
        chosen = [form.organisation_id.data]
    elif permissions.is_manager(_viewer()):
        return []  # every organisation of the building: too many lines to help
    lines: list[str] = []
    for organisation_id in chosen:
        organisation = db.session.get(Organisation, organisation_id)
        lines += quotas.standings(organisation, resource, day, utcnow())
    return lines


def _form_page(form: BookingForm, resource: Resource | None, status: int = 200, **extra):
    extra.setdefault("standings", _standings(form, resource))
    extra["show_quota_note"] = extra.get("show_quota_note") or may_pass_quota(form)
    return render(
        "bookings/form.html",
        block="booking_form",
        status=status,
        title="Nouvelle réservation",
        form=form,
        resource=resource,
        needs_approval=resource is not None and services.needs_approval(resource, _viewer()),
        **extra,
    )


def _suggest(form: BookingForm, resource: Resource, start: datetime, end: datetime) -> dict:
    """Free times of that day for the same resource, and other resources free at that time."""
    organisation = db.session.get(Organisation, form.organisation_id.data or 0)
    if organisation is None or end <= start:
        return {}
    quantity = form.quantity.data if form.asks_quantity and form.quantity.data else 1
    times, others = services.suggestions(
        resource,
        organisation,
        current_user._get_current_object(),
        start,
        end,
        quantity,
        expected_people=form.expected_people.data,
    )
    tz = resource.site.tz
    return {
        "free_times": [(to_local(a, tz), to_local(b, tz)) for a, b in times],
        "other_resources": others,
    }


def _booked(booking: Booking, count: int = 1):
    """Say it is booked: in place for htmx (and refresh the grid), else on the booking's page."""
    resource = booking.resource
    if booking.is_pending:
        message = "Votre demande est enregistrée : elle attend la validation de la gestion."
    elif count > 1:
        message = f"C'est réservé : {count} dates, à commencer par le {booking_when(booking)}."
    else:
        message = f"C'est réservé : {resource.name}, le {booking_when(booking)}."
    if count > 1 and booking.is_pending:
        message = f"Vos {count} demandes sont enregistrées : elles attendent la validation."
    if wants_fragment():
        response = render(
            "bookings/form.html", block="booking_form", created=booking, message=message
        )
        response.headers["HX-Trigger"] = BOOKINGS_CHANGED
        return response
    flash(message, "success")
    return redirect(url_for("bookings.show", booking_id=booking.id), 303)


def _save_booking(form: BookingForm, resource: Resource):
    period = form.period(resource.site.tz)
    if period is None:
        return _form_page(form, resource, 422)
    try:
        # The person, not the proxy: the check asks of them for each booking around.
        booking = services.create_booking(
            form.booking_data(*period), current_user._get_current_object()
        )
    except services.BookingRefused as refused:
        read_outside_transaction()  # what is free, the quotas: reads alone from here on
        apply_reasons(form, refused.reasons)
        over_quota = refused.has("quota") and permissions.is_manager(_viewer())
        suggested = _suggest(form, resource, *period)
        return _form_page(
            form, resource, 422, show_quota_note=over_quota,
            wish_ask=_wish_ask(form, refused, *period), **suggested,
        )  # fmt: skip
    return _booked(booking)


def _wish_ask(form: BookingForm, refused: services.BookingRefused, start, end) -> dict | None:
    """Only taken (nothing else wrong): the "Prévenez-moi si ça se libère" button's fields."""
    if not refused.reasons or any(r.code != "overlap" for r in refused.reasons):
        return None
    quantity = form.quantity.data if form.asks_quantity and form.quantity.data else 1
    return {
        "resource_id": form.resource_id.data,
        "organisation_id": form.organisation_id.data,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "quantity": quantity,
    }


def _preview_page(form: BookingForm, resource: Resource, status: int = 200):
    preview = services.preview_series(form.series_data(), current_user)
    conflicts = {c.day: c for c in preview.conflicts}
    over_quota = any(r.code == "quota" for c in preview.conflicts for r in c.reasons)
    show_note = may_pass_quota(form) or (over_quota and permissions.is_manager(current_user))
    return _form_page(
        form, resource, status, preview=preview, conflicts=conflicts, show_quota_note=show_note
    )


def _save_series(form: BookingForm, resource: Resource):
    if not form.confirm.data:
        return _preview_page(form, resource)
    try:
        series = services.create_series(form.series_data(), current_user, form.skipped_days())
    except (services.SeriesRefused, services.BookingRefused):
        form.form_errors.append(
            "La série n'est pas enregistrée : certaines dates ne sont pas libres. "
            "Cochez « ignorer cette date » pour chacune, ou modifiez la série."
        )
        return _preview_page(form, resource, 422)
    return _booked(series.bookings[0], count=len(series.bookings))


@bp.get("/reservations/nouvelle")
@login_required
def new():
    """Show the booking form, prefilled from the free cell that was tapped."""
    form, resource = _booking_form(request.args or None)
    return _form_page(form, resource, autofocus=not request.args.get("refresh"))


@bp.post("/reservations")
@reads_first
@login_required
def create():
    """Book a slot, or preview then save a series; when refused, say why and what is free."""
    # The form, its choices and its validation are read before the write lock is taken:
    # only the service's write_transaction holds it, and re-reads under it what it checks
    # (the resource, the bookings and closures around, the quotas).
    form, resource = _booking_form(with_suggestion(request.form))
    if request.form.get("back") and resource is not None:
        return _form_page(form, resource)
    if resource is None or not _is_valid(form):
        return _form_page(form, resource, 422)
    if form.repeat.data:
        return _save_series(form, resource)
    return _save_booking(form, resource)
