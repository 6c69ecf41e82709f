"""The noticeboard's screens: write a notice, see and withdraw one's notices; the home board,
where each person hides the notices she has read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from pole import permissions
from pole.core.forms import apply_reasons
from pole.db import utcnow
from pole.htmx import render, wants_fragment
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


# At most this many notices hidden at once ("Tout masquer" sends those it showed).
HIDE_AT_ONCE = 100


def _home_board(said: str):
    """The home page's board again (htmx), with what was done said and focused; without
    script, back to the home page at the board, the words in a flash."""
    if wants_fragment():
        return render("home.html", block="noticeboard", board_said=said)
    flash(said, "success")
    return redirect(url_for("main.home", _anchor="noticeboard"), 303)


def _hide(notice_ids: list[int]):
    try:
        hidden = services.hide(current_user, notice_ids)
    except services.NotYours:
        abort(404)  # not a notice written for this person: as if it did not exist
    if len(hidden) == 1:
        return _home_board(f"Annonce « {hidden[0].title} » masquée de votre page d'accueil.")
    if hidden:
        return _home_board(f"{len(hidden)} annonces masquées de votre page d'accueil.")
    return _home_board("Aucune annonce à masquer.")


@bp.post("/annonces/<int:notice_id>/masquer")
@login_required
def hide(notice_id: int):
    """Hide one notice from my home page."""
    return _hide([notice_id])


@bp.post("/annonces/masquer")
@login_required
def hide_all():
    """Hide from my home page every notice it showed me."""
    return _hide(request.form.getlist("notice_id", type=int)[:HIDE_AT_ONCE])


@bp.post("/annonces/reafficher")
@login_required
def show_again():
    """Put back on my home page the notices I hid."""
    back = services.show_again(current_user)
    if back == 0:
        return _home_board("Aucune annonce masquée à réafficher.")
    s = "s" if back > 1 else ""
    return _home_board(f"{back} annonce{s} de nouveau affichée{s} sur votre page d'accueil.")


@bp.get("/annonces/masquees")
@login_required
def hidden():
    """List the notices I hid that still show, each with its own button to put it back."""
    notices = services.hidden_for(current_user, utcnow())
    return render("notices/hidden.html", title="Annonces masquées", notices=notices)


@bp.post("/annonces/<int:notice_id>/reafficher")
@login_required
def show_one_again(notice_id: int):
    """Put back on my home page one notice I hid; back to those still hidden, if any."""
    try:
        title = services.show_one_again(current_user, notice_id)
    except services.NotYours:
        abort(404)  # not a notice written for this person: as if it did not exist
    if title is None:
        flash("Cette annonce n'était pas masquée.", "info")
    else:
        flash(f"Annonce « {title} » de nouveau affichée sur votre page d'accueil.", "success")
    if services.hidden_for(current_user, utcnow()):
        return redirect(url_for("notices.hidden"), 303)
    return redirect(url_for("main.home", _anchor="noticeboard"), 303)


@bp.app_context_processor
def board_helpers() -> dict:
    return {"noticeboard": _board, "can_post_notices": services.can_post}


def _board() -> services.Board:
    """The notices on the home page of the person viewing it."""
    if not current_user.is_authenticated:
        return services.Board([])
    return services.board(current_user, utcnow())
