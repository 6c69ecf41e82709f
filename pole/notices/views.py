"""The noticeboard's screens: write a notice, see and withdraw one's notices; the home board."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from pole import permissions
from pole.core.forms import apply_reasons
from pole.db import utcnow
from pole.htmx import render
from pole.notices import services
from pole.notices.forms import NoticeForm, notice_form

bp = Blueprint("notices", __name__)


def _may_post() -> None:
    if not services.can_post(current_user):
        abort(403)


def _page(form: NoticeForm, status: int = 200):
    return render(
        "notices/index.html",
        block="notice_form",
        status=status,
        title="Annonces",
        form=form,
        notices=services.written_by(current_user, utcnow()),
    )


def _form() -> NoticeForm:
    return notice_form(services.coordinated(current_user), permissions.is_manager(current_user))


@bp.get("/annonces")
@login_required
def index():
    """Show the notice form and the notices this person posted."""
    _may_post()
    return _page(_form())


@bp.post("/annonces")
@login_required
def post():
    """Post a notice to the organisations chosen; they see it at home and get a mail."""
    _may_post()
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        services.post(form.notice_data(), current_user)
    except services.NotYours:
        abort(403)
    except services.NoticeRefused as refused:
        apply_reasons(form, refused.reasons)
        return _page(form, 422)
    flash(
        "Annonce publiée : les personnes concernées la voient et la reçoivent par courriel.",
        "success",
    )
    return redirect(url_for("notices.index"), 303)


@bp.post("/annonces/<int:notice_id>/retirer")
@login_required
def withdraw(notice_id: int):
    """Take one's notice off the board."""
    if services.notice_of(notice_id) is None:
        abort(404)
    try:
        services.withdraw(notice_id, current_user)
    except services.NotYours:
        abort(403)
    flash("Annonce retirée.", "success")
    return redirect(url_for("notices.index"), 303)


@bp.app_context_processor
def board_helpers() -> dict:
    return {"noticeboard": _board, "can_post_notices": services.can_post}


def _board() -> list:
    """The notices on the home page of the person viewing it."""
    if not current_user.is_authenticated:
        return []
    return services.board_for(current_user, utcnow())
