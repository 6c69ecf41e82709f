"""Booking screens: the building day view, a resource's week, the booking form and pages."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_date, format_datetime
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from pole import permissions
from pole.bookings import agenda, services
from pole.bookings import recurrence as rec
from pole.bookings.forms import (
    SCOPE_LABELS,
    BookingForm,
    CancelForm,
    EditForm,
    fill_from_slot,
)
from pole.bookings.models import Booking
from pole.core.forms import apply_reasons
from pole.db import db
from pole.extensions import login_manager
from pole.forms import parse_day
from pole.htmx import render, wants_fragment
from pole.main import default_site
from pole.organisations.models import Organisation
from pole.resources.models import Resource, Site
from pole.resources.services import active_resources
from pole.resources.views import get_resource
from pole.timeutil import to_local
from pole.urls import safe_next

bp = Blueprint("bookings", __name__)

# Tells the grid on the page to reload itself (it listens with hx-trigger "... from:body").
BOOKINGS_CHANGED = json.dumps({"booking-changed": {"target": "body"}})
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


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


def _site() -> Site:
    site = default_site()
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


# Template helpers --------------------------------------------------------------------------


@bp.app_template_filter("local_fr")
def local_fr(value: datetime, tz: ZoneInfo, pattern: str = "EEEE d MMMM y 'à' HH:mm") -> str:
    """An instant in the site's zone, the French way."""
    return format_datetime(to_local(value, tz), pattern, rebase=False)


@bp.app_template_filter("booking_when")
def booking_when(booking: Booking) -> str:
    """'mardi 3 mars 2026, de 10:00 à 12:00', or from one day to another for a loan."""
    tz = booking.resource.site.tz
    start, end = to_local(booking.start, tz), to_local(booking.end, tz)
    day = format_date(start.date(), "EEEE d MMMM y")
    midnight = end.hour == 0 and end.minute == 0
    if start.date() == end.date() or (midnight and (end.date() - start.date()).days == 1):
        until = "minuit" if midnight else f"{end:%H:%M}"
        return f"{day}, de {start:%H:%M} à {until}"
    return f"du {day} à {start:%H:%M} au {format_date(end.date(), 'EEEE d MMMM y')} à {end:%H:%M}"


# The grids ---------------------------------------------------------------------------------


def _viewer() -> object:
    """The person behind current_user: the grids ask who may read each booking's title."""
    return current_user._get_current_object()  # each read through the proxy costs a lookup


def _nav(endpoint: str, day: date, step: int, **params) -> dict:
    def link(target: date) -> str:
        return url_for(endpoint, date=target.isoformat(), **params)

    return {
        "previous": link(max(day - timedelta(days=step), FIRST_DAY)),
        "next": link(min(day + timedelta(days=step), LAST_DAY)),
        "today": url_for(endpoint, **params),
        "current": link(day),
    }


@bp.get("/agenda")
def day():
    """Show every room and piece of equipment of the building on one day."""
    site = _site()
    shown, date_error = _asked_day(site)
    return render(
        "bookings/day.html",
        block="day_grid",
        status=400 if date_error else 200,
        title=f"Agenda du {format_date(shown, 'EEEE d MMMM y')}",
        site=site,
        day=shown,
        is_today=shown == agenda.today(site),
        date_error=date_error,
        agenda=agenda.day_agenda(site, shown, _viewer()),
        nav=_nav("bookings.day", shown, 1),
    )


@bp.get("/salles/<int:resource_id>/semaine")
def week(resource_id: int):
    """Show one room or piece of equipment from Monday to Sunday."""
    resource = get_resource(resource_id)
    asked, date_error = _asked_day(resource.site)
    monday = agenda.monday_of(asked)
    return render(
        "bookings/week.html",
        block="week_grid",
        status=400 if date_error else 200,
        title=f"{resource.name} — semaine du {format_date(monday, 'd MMMM y')}",
        resource=resource,
        monday=monday,
        sunday=monday + timedelta(days=6),
        date_error=date_error,
        agenda=agenda.week_agenda(resource, monday, _viewer()),
        nav=_nav("bookings.week", monday, 7, resource_id=resource.id),
    )


# Booking -----------------------------------------------------------------------------------


def _with_suggestion(formdata: MultiDict) -> MultiDict:
    """A tapped suggestion button books its time (or its resource) with the rest of the form."""
    formdata = formdata.copy()
    filled = fill_from_slot(formdata.get("slot", "")) if formdata.get("slot") else None
    for name, value in (filled or {}).items():
        formdata[name] = value
    if formdata.get("other_resource"):
        formdata["resource_id"] = formdata["other_resource"]
    return formdata


def _booking_form(formdata: MultiDict | None) -> tuple[BookingForm, Resource | None]:
    """The booking form with the resources and organisations this person may choose."""
    site = _site()
    form = BookingForm(formdata=formdata)
    resources = active_resources(site)
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
    organisations = services.bookable_organisations(current_user, resource)
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


def _form_page(form: BookingForm, resource: Resource | None, status: int = 200, **extra):
    return render(
        "bookings/form.html",
        block="booking_form",
        status=status,
        title="Nouvelle réservation",
        form=form,
        resource=resource,
        needs_approval=resource is not None and services.needs_approval(resource, current_user),
        **extra,
    )


def _suggest(form: BookingForm, resource: Resource, start: datetime, end: datetime) -> dict:
    """Free times of that day for the same resource, and other resources free at that time."""
    organisation = db.session.get(Organisation, form.organisation_id.data or 0)
    if organisation is None or end <= start:
        return {}
    quantity = form.quantity.data if form.asks_quantity and form.quantity.data else 1
    times, others = services.suggestions(resource, organisation, current_user, start, end, quantity)
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
        booking = services.create_booking(form.booking_data(*period), current_user)
    except services.BookingRefused as refused:
        apply_reasons(form, refused.reasons)
        return _form_page(form, resource, 422, **_suggest(form, resource, *period))
    return _booked(booking)


def _preview_page(form: BookingForm, resource: Resource, status: int = 200):
    preview = services.preview_series(form.series_data(), current_user)
    conflicts = {c.day: c for c in preview.conflicts}
    return _form_page(form, resource, status, preview=preview, conflicts=conflicts)


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
@login_required
def create():
    """Book a slot, or preview then save a series; when refused, say why and what is free."""
    form, resource = _booking_form(_with_suggestion(request.form))
    if request.form.get("back") and resource is not None:
        return _form_page(form, resource)
    if resource is None or not _is_valid(form):
        return _form_page(form, resource, 422)
    if form.repeat.data:
        return _save_series(form, resource)
    return _save_booking(form, resource)


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


def _edit_form(booking: Booking, formdata: MultiDict | None) -> EditForm:
    tz = booking.resource.site.tz
    start, end = to_local(booking.start, tz), to_local(booking.end, tz)
    multi_day = (end.date() - start.date()).days > 1 or (
        end.date() != start.date() and (end.hour, end.minute) != (0, 0)
    )
    form = EditForm(
        formdata=formdata,
        data={
            "title": booking.title,
            "date": start.date(),
            "start": start.time(),
            "end": end.time(),
            "end_date": end.date() if multi_day else None,
            "quantity": booking.quantity,
            "description": booking.description,
            "is_public": booking.is_public,
        },
    )
    form.asks_quantity = not booking.resource.is_room and booking.resource.quantity > 1
    form.multi_day = not booking.resource.is_room
    form.policy = services.policy_of(booking.resource)
    form.today = agenda.today(booking.resource.site)
    if booking.series_id is None:
        form.scope.data = "one"
    return form


def _changes(form: EditForm, booking: Booking, start: datetime, end: datetime):
    """Only what was changed, so other dates of a series keep what is their own."""

    def changed(new, old):  # noqa: ANN001, ANN202
        return new if new != old else None

    moved = (start, end) != (booking.start, booking.end)
    quantity = form.quantity.data if form.asks_quantity else booking.quantity
    return services.BookingChanges(
        start=start if moved else None,
        end=end if moved else None,
        title=changed(form.title.data.strip(), booking.title),
        description=changed((form.description.data or "").strip(), booking.description),
        is_public=changed(form.is_public.data, booking.is_public),
        quantity=changed(quantity, booking.quantity),
    )


def _edit_page(form: EditForm, booking: Booking, status: int = 200, **extra):
    return render(
        "bookings/edit.html",
        block="edit_form",
        status=status,
        title="Modifier la réservation",
        form=form,
        booking=booking,
        scopes=SCOPE_LABELS,
        needs_approval=services.needs_approval(booking.resource, current_user),
        **extra,
    )


def _save_changes(form: EditForm, booking: Booking):
    resource = booking.resource
    period = form.period(resource.site.tz)
    if period is None:
        return _edit_page(form, booking, 422)
    scope = form.scope.data if booking.series_id else "one"
    try:
        changed = services.edit_booking(
            booking.id, _changes(form, booking, *period), current_user, scope
        )
    except services.BookingRefused as refused:
        apply_reasons(form, refused.reasons)
        suggested = _suggest_for_edit(form, booking, *period)
        return _edit_page(form, booking, 422, **suggested)
    except services.SeriesRefused as refused:
        for conflict in refused.conflicts:
            reasons = " ".join(r.message for r in conflict.reasons)
            form.form_errors.append(f"Le {format_date(conflict.day, 'EEEE d MMMM y')} : {reasons}")
        return _edit_page(form, booking, 422)
    message = (
        "Modification enregistrée."
        if len(changed) <= 1
        else (f"Modification enregistrée pour {len(changed)} dates.")
    )
    if any(b.is_pending for b in changed):
        message += " Elle attend la validation de la gestion."
    flash(message, "success")
    return redirect(url_for("bookings.show", booking_id=booking.id), 303)


def _suggest_for_edit(form: EditForm, booking: Booking, start: datetime, end: datetime) -> dict:
    if end <= start:
        return {}
    resource = booking.resource
    quantity = form.quantity.data if form.asks_quantity and form.quantity.data else 1
    times, _ = services.suggestions(
        resource, booking.organisation, current_user, start, end, quantity, exclude=[booking.id]
    )
    tz = resource.site.tz
    return {"free_times": [(to_local(a, tz), to_local(b, tz)) for a, b in times]}


@bp.route("/reservations/<int:booking_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(booking_id: int):
    """Move a booking or change its details (for one date, or more of its series)."""
    booking = get_booking(booking_id, to_change=True)
    formdata = _with_suggestion(request.form) if request.method == "POST" else None
    form = _edit_form(booking, formdata)
    if not form.validate_on_submit():
        return _edit_page(form, booking, 422 if form.is_submitted() else 200)
    return _save_changes(form, booking)


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
    """List the coming bookings and series of my organisations."""
    organisations = current_user.organisations()
    chosen = next(
        (o for o in organisations if str(o.id) == request.args.get("organisation_id")), None
    )
    ids = [chosen.id] if chosen else [o.id for o in organisations]
    bookings = services.upcoming_for_organisations(ids) if ids else []
    next_of_series: dict[int, Booking] = {}
    for booking in bookings:  # in time order: the first one met is the next date
        if booking.series_id and booking.is_active:
            next_of_series.setdefault(booking.series_id, booking)
    return render(
        "bookings/index.html",
        block="our_bookings",
        title="Nos réservations",
        organisations=organisations,
        chosen=chosen,
        bookings=bookings,
        series_rows=[
            (b, rec.describe(services.recurrence_of(b.series))) for b in next_of_series.values()
        ],
        scopes=SCOPE_LABELS,
    )
