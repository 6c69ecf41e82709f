"""The building manager's booking screens: approval queue and closures."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from pole import permissions
from pole.bookings import rules, services
from pole.bookings.manage_forms import CLOSURE_REASONS, ClosureForm, RejectForm, reject_form
from pole.bookings.models import Booking
from pole.db import db
from pole.events import closures as closure_flow
from pole.events.forms import answer_form
from pole.forms import clean_text
from pole.htmx import render, wants_fragment
from pole.resources import services as resource_services
from pole.resources.models import Closure, Resource, Site
from pole.sites.services import current_site, site_query

bp = Blueprint("manage", __name__, url_prefix="/gestion")


@bp.before_request
@login_required
def require_login() -> None:
    """Every management screen is for logged-in people."""


def get_request(booking_id: int) -> Booking:
    """Load a booking to decide on, or 404; 403 for anyone but the building manager."""
    booking = db.get_or_404(Booking, booking_id)
    if not permissions.can_approve_booking(current_user, booking):
        abort(403)
    return booking


def get_site() -> Site:
    """The site whose closures are managed, or 404; 403 for anyone but the manager."""
    if not permissions.can_manage_closures(current_user):
        abort(403)
    site = current_site()
    if site is None:
        abort(404)
    if not permissions.can_manage_site(current_user, site.id):
        abort(403)
    return site


def get_closure(closure_id: int) -> Closure:
    """Load a closure or 404; 403 for anyone but the building manager."""
    closure = db.get_or_404(Closure, closure_id)
    if not permissions.can_manage_closure(current_user, closure):
        abort(403)
    return closure


# Approval queue ------------------------------------------------------------------------------


def _queue(form: RejectForm | None = None, failed_id: int | None = None, status: int = 200):
    requests = services.pending_bookings(current_user.limited_to_sites)
    forms = {b.id: reject_form(b.id, blank=True) for b in requests}
    if form is not None:
        forms[failed_id] = form
    return render(
        "manage/queue.html",
        status=status,
        title="Demandes à valider",
        requests=requests,
        forms=forms,
    )


def _answer(
    booking: Booking,
    message: str,
    category: str,
    form: RejectForm | None = None,
    over_quota: bool = False,
):
    """Swap the request's row for htmx; otherwise back to the queue with a flash message."""
    if wants_fragment():
        form = form or reject_form(booking.id, blank=True)
        return render(
            "manage/queue.html",
            block="request_row",
            status=422 if form.errors else 200,
            booking=booking,
            forms={booking.id: form},
            message=message,
            category=category,
            over_quota=over_quota,
        )
    if form is not None and form.errors:
        return _queue(form, booking.id, status=422)
    flash(message, category)
    return redirect(url_for("manage.queue"))


def _decide(decide, booking: Booking, done: str):  # noqa: ANN001
    """Apply a decision and say how it went: done (its mail is queued), or already decided."""
    try:
        decided = decide()
    except services.BookingRefused as refused:
        db.session.refresh(booking)
        return _answer(booking, str(refused), "error", over_quota=refused.has("quota"))
    if decided.created_by is not None:
        done += f" {decided.created_by.name} est prévenu·e par e-mail."
    return _answer(decided, done, "success")


@bp.get("/demandes")
def queue():
    """List the bookings waiting for the manager's approval, soonest first."""
    if not permissions.can_approve_bookings(current_user):
        abort(403)
    return _queue()


@bp.post("/demandes/<int:booking_id>/valider")
def approve(booking_id: int):
    """Confirm a pending booking; the person who asked gets an e-mail."""
    booking = get_request(booking_id)
    return _decide(
        lambda: services.approve_booking(
            booking.id,
            current_user,
            quota_note=clean_text(request.form.get("quota_override_note", ""))[:1000],
        ),
        booking,
        "Réservation confirmée.",
    )


@bp.post("/demandes/<int:booking_id>/refuser")
def reject(booking_id: int):
    """Refuse a pending booking with a reason, sent by e-mail to the person who asked."""
    booking = get_request(booking_id)
    form = reject_form(booking.id)
    if not form.validate_on_submit():
        return _answer(booking, "", "error", form)
    return _decide(
        lambda: services.reject_booking(booking.id, current_user, form.reason.data),
        booking,
        "Demande refusée.",
    )


# Closures --------------------------------------------------------------------------------------


def closure_form(site: Site) -> ClosureForm:
    resources = db.session.scalars(
        db.select(Resource).where(Resource.site_id == site.id).order_by(Resource.position)
    ).all()
    return ClosureForm(resources=resources, tz=site.tz)


@bp.route("/fermetures", methods=["GET", "POST"])
def closures():
    """List upcoming closures with the bookings they hit, and add one."""
    site = get_site()
    form = closure_form(site)
    if form.validate_on_submit():
        closure = resource_services.create_closure(
            resource_services.ClosureData(
                site.id, form.chosen_resource_id, form.start, form.end, form.reason.data
            ),
            current_user.id,
        )
        hit = len(resource_services.bookings_during(closure))
        flash(_closure_saved(hit), "warning" if hit else "success")
        return redirect(
            url_for("manage.closures", _anchor=f"closure-{closure.id}", **site_query(site))
        )
    return closures_page(site, form, status=422 if form.is_submitted() else 200)


def closures_page(site: Site, form: ClosureForm, status: int = 200, answers: dict | None = None):
    """The closures screen; `answers` holds a refused answer form by closure id."""
    upcoming = resource_services.upcoming_closures(site)
    return render(
        "manage/closures.html",
        status=status,
        title="Fermetures",
        site=site,
        form=form,
        reasons=CLOSURE_REASONS,
        period_text=closure_period,
        closures=[(c, resource_services.bookings_during(c)) for c in upcoming],
        kept=closure_flow.kept_booking_ids(c.id for c in upcoming),
        answers={c.id: (answers or {}).get(c.id) or answer_form(c.id) for c in upcoming},
    )


def closure_period(closure: Closure) -> str:
    """The closure's period as people say it: "Du lun. 04/05 au ven. 08/05"."""
    text = rules.period_text(closure.start, closure.end, closure.site.tz)
    return text[:1].upper() + text[1:]


def _closure_saved(hit: int) -> str:
    if not hit:
        return "Fermeture enregistrée. Aucune réservation n'est concernée."
    if hit == 1:
        return "Fermeture enregistrée. 1 réservation tombe pendant la fermeture : voyez la liste."
    return (
        f"Fermeture enregistrée. {hit} réservations tombent pendant la fermeture : voyez la liste."
    )


@bp.post("/fermetures/<int:closure_id>/supprimer")
def delete_closure(closure_id: int):
    """Remove a closure: its period can be booked again."""
    closure = get_closure(closure_id)
    site, reason = closure.site, closure.reason  # the row is gone after the delete
    resource_services.delete_closure(closure, current_user.id)
    flash(f"La fermeture « {reason} » est supprimée.", "info")
    return redirect(url_for("manage.closures", **site_query(site)))
