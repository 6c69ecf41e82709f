"""Booking screens: moving a booking or changing its details, alone or with its series."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from pole import permissions
from pole.bookings import agenda, services
from pole.bookings.forms import SCOPE_LABELS, EditForm
from pole.bookings.models import Booking
from pole.bookings.views import bp, get_booking, may_pass_quota, with_suggestion
from pole.core.forms import apply_reasons
from pole.formatting import format_date
from pole.htmx import render
from pole.timeutil import to_local


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
            "expected_people": booking.expected_people,
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
        expected_people=changed(form.expected_people.data, booking.expected_people),
        clear_expected_people=(
            form.expected_people.data is None and booking.expected_people is not None
        ),
        quota_override_note=(form.quota_override_note.data or "").strip(),
    )


def _edit_page(form: EditForm, booking: Booking, status: int = 200, **extra):
    extra["show_quota_note"] = extra.get("show_quota_note") or may_pass_quota(form)
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
        over_quota = refused.has("quota") and permissions.is_manager(current_user)
        return _edit_page(form, booking, 422, show_quota_note=over_quota, **suggested)
    except services.SeriesRefused as refused:
        for conflict in refused.conflicts:
            reasons = " ".join(r.message for r in conflict.reasons)
            form.form_errors.append(f"Le {format_date(conflict.day)} : {reasons}")
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
    formdata = with_suggestion(request.form) if request.method == "POST" else None
    form = _edit_form(booking, formdata)
    if not form.validate_on_submit():
        return _edit_page(form, booking, 422 if form.is_submitted() else 200)
    return _save_changes(form, booking)
