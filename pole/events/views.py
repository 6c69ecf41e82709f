"""The journal of what happened, and the manager's answer to a closure over bookings."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from pole.bookings import manage
from pole.bookings.services import BookingRefused
from pole.db import db, utcnow
from pole.events import closures, services
from pole.events.forms import answer_form, journal_form
from pole.htmx import render, wants_fragment
from pole.organisations.models import Organisation
from pole.sites.services import site_query

bp = Blueprint("events", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """The journal and the closure answers are for logged-in people."""


def _journal_organisations() -> list[Organisation]:
    scope = services.journal_organisations(current_user)
    query = db.select(Organisation).order_by(Organisation.name)
    if scope is not None:
        query = query.where(Organisation.id.in_(scope))
    return list(db.session.scalars(query))


@bp.get("/journal")
def journal():
    """Show what happened in the building (or in the coordinator's associations), newest first."""
    if not services.can_read_journal(current_user):
        abort(403)
    form = journal_form(
        request.args,
        _journal_organisations(),
        services.journal_resources(),
        services.journal_people(current_user),
    )
    entries, more = [], False
    valid = form.validate()
    if valid:
        since, until = form.bounds(services.site_tz())
        filters = services.JournalFilters(
            organisation_id=form.chosen(form.organisation_id),
            resource_id=form.chosen(form.resource_id),
            actor_id=form.chosen(form.actor_id),
            since=since,
            until=until,
            page=form.page.data or 1,
        )
        entries, more = services.journal(current_user, filters)
    args = request.args.to_dict()
    page = form.page.data or 1 if valid else 1
    return render(
        "events/journal.html",
        status=200 if valid else 422,
        title="Journal",
        form=form,
        entries=entries,
        page=page,
        previous_url=url_for("events.journal", **{**args, "page": page - 1}) if page > 1 else None,
        next_url=url_for("events.journal", **{**args, "page": page + 1}) if more else None,
    )


@bp.post("/gestion/fermetures/<int:closure_id>/reservations")
def settle_closure(closure_id: int):
    """Cancel, with a message, or keep the bookings a closure hits; their associations are told."""
    closure = manage.get_closure(closure_id)
    site = closure.site
    form = answer_form(closure.id, blank=False)
    decision = request.form.get("decision")
    valid = form.validate_on_submit()
    if decision not in ("cancel", "keep"):
        form.message.errors = [*form.message.errors, "Choisissez : annuler ou maintenir."]
        valid = False
    if not valid:
        return manage.closures_page(site, manage.closure_form(site), 422, {closure.id: form})
    try:
        count = closures.settle_closure(
            closure.id, current_user, decision == "cancel", form.message.data or ""
        )
    except BookingRefused as refused:
        flash(str(refused), "error")
    else:
        flash(closures.settled_text(count, decision == "cancel"), "success")
    return redirect(url_for("manage.closures", _anchor=f"closure-{closure.id}", **site_query(site)))


@bp.app_context_processor
def history_helper() -> dict:
    return {"booking_history": services.history_of, "can_read_journal": _can_read_journal}


def _can_read_journal(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and services.can_read_journal(user)


@bp.post("/nouvelles/vues")
def seen():
    """Remember that the person saw the notices the home page showed at `shown_at`."""
    try:
        shown_at = datetime.fromisoformat(request.form.get("shown_at", ""))
    except ValueError:
        shown_at = None
    if shown_at is None or shown_at.tzinfo is None:
        return Response("Heure d'affichage illisible.", status=422, mimetype="text/plain")
    if not services.mark_seen(current_user, shown_at, utcnow()):
        return Response("Heure d'affichage hors limites.", status=422, mimetype="text/plain")
    if wants_fragment():
        return Response(status=204)
    return redirect(url_for("main.home"), 303)
