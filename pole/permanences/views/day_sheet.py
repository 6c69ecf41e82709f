"""The social worker's day sheet: mark, cancel, restore appointments, block slots."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from pole import permissions
from pole.db import utcnow
from pole.htmx import render, wants_fragment
from pole.permanences import services
from pole.permanences.forms import CancelDateForm
from pole.permanences.models import Permanence
from pole.permanences.patterns import slot_key
from pole.permanences.views import bp
from pole.permanences.views.loaders import (
    get_appointment,
    get_day_sheet,
    get_permanence,
    parse_day,
    parse_slot_key,
)
from pole.timeutil import to_local

# The blocks of day.html an answer may be: one row, or the whole sheet (count, cancelled list).
ROW, SHEET = "sheet_row", "day_sheet"


@bp.get("/<int:permanence_id>/jour/<day>")
def day(permanence_id: int, day: str):
    """Show the day sheet: appointments in order, to mark seen, absent or cancelled."""
    permanence = get_day_sheet(permanence_id)
    return render("permanences/day.html", **_sheet_context(permanence, parse_day(day)))


def _sheet_context(permanence: Permanence, the_day: date, **extra) -> dict:
    """What the day sheet, or one of its blocks, is rendered with; 404 for a day without it."""
    now = utcnow()
    sheet = services.day_sheet(permanence, the_day, now)
    if sheet is None:
        abort(404)
    return {
        "title": f"Feuille du jour — {permanence.title}",
        "permanence": permanence,
        "sheet": sheet,
        "session": sheet.session,
        "cancel_form": CancelDateForm(formdata=None),
        "now": now,
        "confirming": None,  # the appointment whose cancellation is being confirmed
        "message": "",
        "message_key": "",  # the row that shows `message`
        "category": "info",
        **extra,
    }


def _day_of(permanence: Permanence, start: datetime) -> date:
    return to_local(start, services.tz_of(permanence)).date()


def _sheet_url(permanence: Permanence, start: datetime) -> str:
    return url_for(
        "permanences.day",
        permanence_id=permanence.id,
        day=_day_of(permanence, start).isoformat(),
        _anchor=f"row-{slot_key(start)}",
    )


def _answer(
    block: str,
    permanence: Permanence,
    start: datetime,
    message: str,
    category: str,
    status: int = 200,
    confirming: int | None = None,
):
    """One block of the sheet (a row, or all of it) for htmx; otherwise back to the sheet."""
    if not wants_fragment():
        flash(message, category)
        return redirect(_sheet_url(permanence, start))
    context = _sheet_context(
        permanence,
        _day_of(permanence, start),
        message=message,
        message_key=slot_key(start),
        category=category,
        confirming=confirming,
    )
    if block == ROW:
        context["entry"] = next(e for e in context["session"].slots if e.slot.start == start)
    return render("permanences/day.html", block=block, status=status, **context)


TOLD = " L'association est prévenue par e-mail."


@bp.get("/rendez-vous/<int:appointment_id>/annulation")
def confirm_cancel(appointment_id: int):
    """Ask the social worker to confirm before cancelling an appointment."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    confirming = appointment.id if appointment.is_active else None
    if wants_fragment():
        return _answer(ROW, permanence, appointment.start, "", "info", confirming=confirming)
    context = _sheet_context(permanence, appointment.day, confirming=confirming)
    return render("permanences/day.html", **context)


@bp.post("/rendez-vous/<int:appointment_id>/statut")
def mark(appointment_id: int):
    """Mark an appointment seen or no-show, or cancel it once confirmed."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    start = appointment.start
    status = request.form.get("status", "")
    if status == "cancelled":
        if request.form.get("confirm") != "oui":  # never on one tap: ask first
            if wants_fragment():
                return _answer(ROW, permanence, start, "", "info", confirming=appointment.id)
            return redirect(url_for("permanences.confirm_cancel", appointment_id=appointment.id))
        try:
            services.cancel_from_sheet(appointment.id, current_user)
        except services.PermanenceRefused as refused:
            return _answer(SHEET, permanence, start, str(refused), "error", 422)
        return _answer(SHEET, permanence, start, "Rendez-vous annulé." + TOLD, "success")
    try:
        services.mark_appointment(appointment.id, status, current_user)
    except services.PermanenceRefused as refused:
        return _answer(ROW, permanence, start, str(refused), "error", 422)
    return _answer(ROW, permanence, start, "Enregistré.", "success")


@bp.post("/rendez-vous/<int:appointment_id>/retablir")
def restore(appointment_id: int):
    """Put back an appointment the social worker cancelled, while its slot is still free."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    try:
        services.restore_appointment(appointment.id, current_user)
    except services.PermanenceRefused as refused:
        return _answer(SHEET, permanence, appointment.start, str(refused), "error", 422)
    return _answer(SHEET, permanence, appointment.start, "Rendez-vous rétabli." + TOLD, "success")


@bp.post("/<int:permanence_id>/creneau/<key>/bloquer")
def block_slot(permanence_id: int, key: str):
    """Keep a slot out of bookings."""
    permanence = get_permanence(permanence_id, manage=True)
    start = parse_slot_key(key)
    try:
        services.block_slot(permanence.id, start, current_user)
    except services.PermanenceRefused as refused:
        return _back_to_slot(permanence, start, str(refused), "error", 422)
    return _back_to_slot(permanence, start, "Créneau bloqué.", "success")


@bp.post("/<int:permanence_id>/creneau/<key>/debloquer")
def unblock_slot(permanence_id: int, key: str):
    """Open a blocked slot to bookings again."""
    permanence = get_permanence(permanence_id, manage=True)
    start = parse_slot_key(key)
    services.unblock_slot(permanence.id, start, current_user)
    return _back_to_slot(permanence, start, "Créneau rouvert.", "success")


def _back_to_slot(
    permanence: Permanence, start: datetime, message: str, category: str, status: int = 200
) -> Response:
    if permissions.can_see_day_sheet(current_user, permanence):
        return _answer(ROW, permanence, start, message, category, status)
    flash(message, category)
    return redirect(url_for("permanences.show", permanence_id=permanence.id))
