"""Volunteers: the free slots, booking one, cancelling ours."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_blocks

from pole.core.forms import apply_reasons
from pole.db import utcnow
from pole.formatting import format_day
from pole.htmx import render, wants_fragment
from pole.permanences import rules, services
from pole.permanences.forms import book_form
from pole.permanences.models import Appointment, Permanence
from pole.permanences.patterns import slot_key
from pole.permanences.views import bp
from pole.permanences.views.loaders import get_appointment, get_permanence, parse_slot_key
from pole.sites.services import site_reasons
from pole.timeutil import to_local
from pole.urls import safe_next

# Volunteers: the free slots --------------------------------------------------------------------


@bp.get("/")
def index():
    """List the coming permanences with their free slots."""
    now = utcnow()
    return render(
        "permanences/index.html",
        block="sessions",
        title="Permanences",
        sessions=services.upcoming_sessions(current_user, now),
        organisations=services.bookable_organisations(current_user),
        ours=_ours_soon(now),
        now=now,
    )


def _ours_soon(now: datetime) -> list[Appointment]:
    return [a for a in services.organisation_appointments(current_user, now) if a.is_active][:5]


def _slot_context(permanence: Permanence, start: datetime, now: datetime) -> dict:
    tz = services.tz_of(permanence)
    session = services.session_on(permanence, to_local(start, tz).date(), current_user, now)
    entry = None
    if session is not None:
        entry = next((e for e in session.slots if e.slot.start == start), None)
    if entry is None:
        abort(404)
    return {"session": session, "entry": entry, "now": now}


def _answer_slot(context: dict, status: int = 200, message: str = "", category: str = "info"):
    """The slot, swapped in place for htmx (with our appointments refreshed), or its page."""
    context = {
        "title": "Réserver un créneau",
        # Only the associations that work in the permanence's site are offered its slots.
        "organisations": context["session"].bookers(services.bookable_organisations(current_user)),
        "message": message,
        "category": category,
        **context,
    }
    if not wants_fragment():
        return render("permanences/book.html", status=status, **context)
    context["ours"] = _ours_soon(context["now"])
    context["oob"] = True
    # The slot swaps in place; the day's count and our appointments follow out of band.
    blocks = ["slot", "session_status", "ours"]
    body = render_blocks("permanences/index.html", blocks, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


@bp.get("/<int:permanence_id>/creneau/<key>")
def slot(permanence_id: int, key: str):
    """Show the booking form of one slot, or why it cannot be booked."""
    permanence = get_permanence(permanence_id)
    context = _slot_context(permanence, parse_slot_key(key), utcnow())
    organisations = services.bookable_organisations(current_user)
    if not organisations:
        abort(403)
    session, now = context["session"], context["now"]
    bookers = session.bookers(organisations)
    if not request.args.get("fermer") and not bookers:
        # None of their associations works in this site: say so rather than offer the form.
        context["reasons"] = site_reasons(organisations[0], permanence.resource)
    elif not request.args.get("fermer"):
        form = book_form(bookers, key, blank=True)
        # Preselect an association that may still book here (fair share).
        within = [o for o in bookers if not session.fair_share_reason(o.id, now)]
        form.organisation_id.data = (within or bookers)[0].id
        context["form"] = form
        context["reasons"] = session.why_not(context["entry"], [o.id for o in bookers], now)
    return _answer_slot(context)


@bp.post("/<int:permanence_id>/creneau/<key>")
def book_slot(permanence_id: int, key: str):
    """Book one slot for an association: purpose, and at most initials or a file number."""
    permanence = get_permanence(permanence_id)
    start = parse_slot_key(key)
    organisations = services.bookable_organisations(current_user)
    if not organisations:
        abort(403)
    form = book_form(organisations, key)
    if not form.validate_on_submit():
        context = _slot_context(permanence, start, utcnow())
        return _answer_slot({**context, "form": form}, status=422)
    try:
        services.book_slot(permanence.id, start, form.to_data(), current_user)
    except services.PermanenceRefused as refused:
        context = _slot_context(permanence, start, utcnow())
        offered = context["session"].bookers(organisations)  # no form when none works here
        if offered and any(r.field and r.field in form for r in refused.reasons):
            apply_reasons(form, refused.reasons)
            return _answer_slot({**context, "form": form}, status=422)
        # The slot itself cannot be had (taken meanwhile, window, fair share): say why.
        lost = isinstance(refused, services.AppointmentRefused) and refused.lost_race
        return _answer_slot({**context, "reasons": refused.reasons}, status=409 if lost else 422)
    context = _slot_context(permanence, start, utcnow())
    message = f"Rendez-vous réservé le {_when(context['entry'].slot)}."
    if wants_fragment():
        return _answer_slot(context, message=message, category="success")
    flash(message, "success")
    return redirect(url_for("permanences.index", _anchor=f"slot-{permanence.id}-{key}"))


def _when(slot: rules.Slot) -> str:
    return f"{format_day(slot.day)} à {slot.label}"


@bp.post("/rendez-vous/<int:appointment_id>/annuler")
def cancel_appointment(appointment_id: int):
    """Cancel one of our appointments, until the slot starts."""
    appointment = get_appointment(appointment_id)
    message, category, _status = _cancel_ours(appointment)
    flash(message, category)
    return redirect(safe_next(request.form.get("next"), url_for("permanences.ours")))


@bp.post("/rendez-vous/<int:appointment_id>/annuler/creneau")
def cancel_from_slot(appointment_id: int):
    """Cancel one of our appointments from its slot, and show the slot again."""
    appointment = get_appointment(appointment_id)
    permanence, start = appointment.permanence, appointment.start
    message, category, status = _cancel_ours(appointment)
    if wants_fragment():
        context = _slot_context(permanence, start, utcnow())
        return _answer_slot(context, status, message, category)
    flash(message, category)
    key = slot_key(start)
    return redirect(url_for("permanences.index", _anchor=f"slot-{permanence.id}-{key}"))


def _cancel_ours(appointment: Appointment) -> tuple[str, str, int]:
    """Cancel for the association: the message, its category and the status to answer with."""
    try:
        services.cancel_appointment(appointment.id, current_user)
    except services.PermanenceRefused as refused:
        return str(refused), "error", 422
    return "Rendez-vous annulé : le créneau est libre.", "success", 200


@bp.get("/nos-rendez-vous")
def ours():
    """List the coming appointments of my associations with the social worker."""
    now = utcnow()
    return render(
        "permanences/ours.html",
        title="Nos rendez-vous",
        appointments=services.organisation_appointments(current_user, now),
        now=now,
    )
