"""The waiting list's screens: ask to be told, see one's wishes, withdraw one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from pole.db import utcnow
from pole.formatting import format_when
from pole.htmx import render, wants_fragment
from pole.waitlist import services
from pole.waitlist.forms import WishForm, WithdrawForm

bp = Blueprint("waitlist", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """The waiting list is for logged-in people."""


def _list_page(status: int = 200, errors: list[str] | None = None):
    return render(
        "waitlist/index.html",
        status=status,
        title="Mes demandes d'attente",
        wishes=[
            (w, format_when(w.start, w.end, w.resource.site.tz))
            for w in services.open_wishes(current_user, utcnow())
        ],
        errors=errors or [],
        withdraw_form=WithdrawForm(),
    )


@bp.get("/attente")
def index():
    """Show the times this person waits for, and let her withdraw them."""
    return _list_page()


@bp.post("/attente")
def ask():
    """Ask to be told when this taken time frees up."""
    form = WishForm()
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _ask_answer(None, 422, errors)
    data = form.data_of()
    try:
        wish = services.ask(
            current_user, data.resource_id, data.organisation_id, data.start, data.end,
            data.quantity,
        )  # fmt: skip
    except services.WishRefused as refused:
        return _ask_answer(None, 422, [r.message for r in refused.reasons])
    return _ask_answer(wish)


def _ask_answer(wish, status: int = 200, errors: list[str] | None = None):
    """In place for htmx (the button becomes the answer), else the list of wishes."""
    if wants_fragment():
        return render("waitlist/_asked.html", status=status, wish=wish, errors=errors or [])
    if wish is None:
        return _list_page(status, errors)
    flash("C'est noté : nous vous écrirons si ce créneau se libère.", "success")
    return redirect(url_for("waitlist.index"), 303)


@bp.post("/attente/<int:wish_id>/retirer")
def withdraw(wish_id: int):
    """Stop waiting for this time; the next person waiting may be told."""
    if services.wish_of(wish_id, current_user) is None:
        abort(404)
    if not WithdrawForm().validate_on_submit():
        return _list_page(422, ["Le formulaire a expiré : réessayez."])
    try:
        services.withdraw(wish_id, current_user)
    except services.WishRefused as refused:
        flash(str(refused), "error")
    else:
        flash("Demande d'attente retirée.", "success")
    return redirect(url_for("waitlist.index"), 303)
