"""Season pages: the list, one season's requests, the manager's board, publish, carry over."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from pole import permissions
from pole.core.forms import apply_reasons
from pole.core.refusals import Refused
from pole.db import db, utcnow
from pole.formatting import weekday_names
from pole.htmx import render
from pole.resources.services import active_resources
from pole.seasons.forms import DeclineForm, MessageForm, RequestForm, SeasonForm
from pole.seasons.models import Season, SeasonRequest
from pole.seasons.services import board as boards
from pole.seasons.services import messages, plan
from pole.seasons.services.publish import publish
from pole.seasons.services.queries import (
    changeable_ids,
    messages_seen_by,
    organisations_of,
    requests_seen_by,
    seasons,
)
from pole.sites.services import current_site, organisation_works_in

bp = Blueprint("seasons", __name__)
bp.add_app_template_global(weekday_names, "weekday_names")


@bp.before_request
@login_required
def require_login() -> None:
    """Season pages are for signed-in people."""


def _require_planner() -> None:
    if not permissions.can_plan_seasons(current_user):
        abort(403)


def _season(season_id: int) -> Season:
    return db.get_or_404(Season, season_id)


def _request_form(season: Season, request: SeasonRequest | None = None) -> RequestForm:
    form = RequestForm(obj=request)
    form.organisation_id.choices = [
        SelectChoice(o.id, o.name)
        for o in organisations_of(current_user)
        if permissions.can_request_slots(current_user, o)
        and organisation_works_in(o.id, season.site_id)
    ]
    form.resource_id.choices = [SelectChoice(r.id, r.name) for r in active_resources(season.site)]
    if not form.is_submitted():
        form.from_day.data = request.from_day if request else season.first_day
        form.until.data = request.until if request else season.last_day
        if request is not None:
            form.start_time.data = time.fromisoformat(request.start_time)
            form.end_time.data = time.fromisoformat(request.end_time)
    return form


@bp.get("/saisons")
def index():
    """The seasons of the building; the manager opens one."""
    return render("seasons/index.html", title="Saisons", seasons=seasons())


@bp.route("/saisons/nouvelle", methods=["GET", "POST"])
def new():
    """Open a season's plan (manager)."""
    _require_planner()
    form, site = SeasonForm(), current_site() or abort(404)
    if form.validate_on_submit():
        try:
            season = plan.open_season(site, form.season_data(site.tz), current_user)
            return redirect(url_for("seasons.show", season_id=season.id), 303)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
    status = 422 if form.is_submitted() else 200
    return render("seasons/new.html", status=status, title="Ouvrir une saison", form=form)


def _show(season: Season, form: RequestForm, status: int = 200, **extra):
    return render(
        "seasons/show.html",
        block="requests",
        status=status,
        title=season.name,
        season=season,
        form=form,
        requests=requests_seen_by(season, current_user),
        changeable=changeable_ids(season, current_user, utcnow()),
        messages=messages_seen_by(season, current_user),
        may_ask=bool(form.organisation_id.choices) and season.status == "open",
        **extra,
    )


def _request_of(season: Season, request_id: int) -> SeasonRequest:
    """A request of this season that the person may change: 404 elsewhere, 403 if not theirs."""
    found = db.get_or_404(SeasonRequest, request_id)
    if found.season_id != season.id:
        abort(404)
    if not permissions.can_request_slots(current_user, found.organisation):
        abort(403)
    return found


@bp.get("/saisons/<int:season_id>")
def show(season_id: int):
    """A season: the requests of one's associations and, for coordinators, the form."""
    season = _season(season_id)
    return _show(season, _request_form(season))


@bp.post("/saisons/<int:season_id>/demandes")
def ask(season_id: int):
    """A coordinator enters a regular need; 403 for a volunteer, 422 after the deadline."""
    season = _season(season_id)
    form = _request_form(season)
    if not form.organisation_id.choices:
        abort(403)
    if form.validate_on_submit():
        try:
            plan.submit_request(season, form.request_data(), current_user)
            flash("La demande est enregistrée.", "success")
            return redirect(url_for("seasons.show", season_id=season.id), 303)
        except plan.NotAllowed:
            abort(403)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
    return _show(season, form, 422)


@bp.route("/saisons/<int:season_id>/demandes/<int:request_id>/modifier", methods=["GET", "POST"])
def change(season_id: int, request_id: int):
    """A coordinator changes one of the association's requests, before the deadline."""
    season = _season(season_id)
    asked = _request_of(season, request_id)
    form = _request_form(season, asked)
    if form.validate_on_submit():
        try:
            plan.edit_request(asked, form.request_data(), current_user)
            flash("La demande est modifiée.", "success")
            return redirect(url_for("seasons.show", season_id=season.id), 303)
        except plan.NotAllowed:
            abort(403)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
    return _show(season, form, 422 if form.is_submitted() else 200, edited=asked)


@bp.post("/saisons/<int:season_id>/demandes/<int:request_id>/retirer")
def withdraw(season_id: int, request_id: int):
    """A coordinator withdraws a request: it stays listed, marked « retirée »."""
    season = _season(season_id)
    asked = _request_of(season, request_id)
    try:
        plan.withdraw_request(asked, current_user)
    except plan.NotAllowed:
        abort(403)
    except Refused as refused:
        problems = [r.message for r in refused.reasons]
        return _show(season, _request_form(season), 422, problems=problems)
    flash("La demande est retirée.", "success")
    return redirect(url_for("seasons.show", season_id=season.id), 303)


def _board(season: Season, status: int = 200, problems=None, edited=None, form=None):  # noqa: ANN001
    return render(
        "seasons/board.html",
        status=status,
        title=f"Tableau — {season.name}",
        season=season,
        boards=boards.board(season, utcnow()),
        problems=problems or [],
        edited=edited,
        form=form,
        decline=DeclineForm(),
    )


@bp.get("/saisons/<int:season_id>/tableau")
def board(season_id: int):
    """The manager's board: every request per resource, clashes, quotas, bookings in the way."""
    _require_planner()
    return _board(_season(season_id))


@bp.route("/saisons/<int:season_id>/demandes/<int:request_id>", methods=["GET", "POST"])
def edit(season_id: int, request_id: int):
    """The manager moves or trims a request (which accepts it)."""
    _require_planner()
    season = _season(season_id)
    request = db.get_or_404(SeasonRequest, request_id)
    if request.season_id != season.id:
        abort(404)
    form = _request_form(season, request)
    if form.validate_on_submit():
        try:
            plan.edit_request(request, form.request_data(), current_user)
            return redirect(url_for("seasons.board", season_id=season.id), 303)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
    return _board(season, 422 if form.is_submitted() else 200, edited=request, form=form)


@bp.post("/saisons/<int:season_id>/demandes/<int:request_id>/<any(accepter, refuser):what>")
def decide(season_id: int, request_id: int, what: str):
    """The manager accepts a request, or declines it with a note for the association."""
    _require_planner()
    season = _season(season_id)
    request = db.get_or_404(SeasonRequest, request_id)
    if request.season_id != season.id:
        abort(404)
    form = DeclineForm()
    status = "accepted" if what == "accepter" else "declined"
    try:
        plan.set_status(request, status, form.manager_note.data or "", current_user)
    except Refused as refused:
        return _board(season, 422, problems=[r.message for r in refused.reasons])
    return redirect(url_for("seasons.board", season_id=season.id), 303)


@bp.post("/saisons/<int:season_id>/publier")
def publish_season(season_id: int):
    """Every accepted request becomes a series, all or nothing; 422 says which and why."""
    _require_planner()
    season = _season(season_id)
    try:
        publish(season, current_user)
    except Refused as refused:  # PublishRefused lists each request and why
        return _board(season, 422, problems=[r.message for r in refused.reasons])
    flash(
        "La saison est publiée : les séries sont créées et les associations prévenues.", "success"
    )
    return redirect(url_for("seasons.show", season_id=season.id), 303)


@bp.post("/saisons/<int:season_id>/reconduire")
def carry_over(season_id: int):
    """« Reconduire »: a copy of the season a year later, requests as asked."""
    _require_planner()
    copy = plan.carry_over(_season(season_id), current_user)
    flash("La saison est reconduite : vérifiez ses dates.", "success")
    return redirect(url_for("seasons.show", season_id=copy.id), 303)


@bp.route("/saisons/<int:season_id>/message", methods=["GET", "POST"])
def write(season_id: int):
    """« Écrire aux associations concernées » by a clash or a resource (manager)."""
    _require_planner()
    season = _season(season_id)
    form = MessageForm()
    form.organisation_ids.choices = [
        SelectChoice(o.id, o.name) for o in messages.with_requests(season)
    ]
    if not form.is_submitted():
        about_request = request.args.get("demande", type=int)
        form.resource_id.data = request.args.get("ressource", type=int) or ""
        form.organisation_ids.data = sorted(
            messages.concerned(season, about_request, form.resource_id.data or None)
        )
    if form.validate_on_submit():
        try:
            sent = messages.write_to_associations(season, form.message_data(), current_user)
            count = len(sent.organisation_ids)
            flash(f"Message envoyé à {count} association{'s' if count > 1 else ''}.", "success")
            return redirect(url_for("seasons.board", season_id=season.id), 303)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
    status = 422 if form.is_submitted() else 200
    title = "Écrire aux associations concernées"
    return render("seasons/message.html", status=status, title=title, season=season, form=form)
