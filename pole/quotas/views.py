"""Quota pages: the manager's quotas and groups, and the Partage page for coordinators too."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from pole import permissions
from pole.bookings.agenda import today
from pole.db import db, utcnow
from pole.formatting import format_hours
from pole.forms import parse_day
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.quotas import admin
from pole.quotas import services as quotas
from pole.quotas.forms import GroupForm, QuotaForm, SharingForm
from pole.quotas.models import Quota, ResourceGroup
from pole.quotas.sharing import sharing
from pole.resources.models import Resource, Site
from pole.resources.services import active_resources
from pole.sites.services import current_site

bp = Blueprint("quotas", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every quota page is for signed-in people."""


def _require_manager() -> None:
    if not permissions.can_manage_quotas(current_user):
        abort(403)


def _site() -> Site:
    site = current_site()
    if site is None:
        abort(404)
    return site


@bp.get("/quotas")
def index():
    """List the quotas and the groups of resources (manager)."""
    _require_manager()
    return render(
        "quotas/index.html",
        title="Quotas",
        quotas=admin.all_quotas(),
        groups=admin.all_groups(),
        describe=admin.describe,
    )


def _quota_form(quota: Quota | None) -> QuotaForm:
    form = QuotaForm(obj=quota)
    form.who.choices = [SelectChoice(v, label) for v, label in admin.who_choices()]
    form.what.choices = [
        SelectChoice(v, label) for v, label in admin.what_choices(active_resources(_site()))
    ]
    if quota is not None and not form.is_submitted():
        form.who.data, form.what.data = admin.who_of(quota), admin.what_of(quota)
    return form


def _save_quota(quota: Quota | None):
    form = _quota_form(quota)
    if form.validate_on_submit():
        data = admin.QuotaData(
            who=form.who.data,
            what=form.what.data,
            period=form.period.data,
            unit=form.unit.data,
            maximum=form.maximum.data,
            season_start=form.season_start.data,
            season_end=form.season_end.data,
        )
        admin.save_quota(data, quota.id if quota else None, current_user)
        flash("Le quota est enregistré.", "success")
        return redirect(url_for("quotas.index"), 303)
    return render(
        "quotas/quota_form.html",
        status=422 if form.is_submitted() else 200,
        title="Modifier le quota" if quota else "Nouveau quota",
        form=form,
        quota=quota,
    )


@bp.route("/quotas/nouveau", methods=["GET", "POST"])
def new_quota():
    """Set a quota (manager)."""
    _require_manager()
    return _save_quota(None)


@bp.route("/quotas/<int:quota_id>/modifier", methods=["GET", "POST"])
def edit_quota(quota_id: int):
    """Change a quota (manager)."""
    _require_manager()
    return _save_quota(db.get_or_404(Quota, quota_id))


@bp.post("/quotas/<int:quota_id>/supprimer")
def delete_quota(quota_id: int):
    """Remove a quota (manager)."""
    _require_manager()
    admin.delete_quota(db.get_or_404(Quota, quota_id).id, current_user)
    flash("Le quota est supprimé.", "success")
    return redirect(url_for("quotas.index"), 303)


def _save_group(group: ResourceGroup | None):
    form = GroupForm(obj=group)
    form.members.choices = [SelectChoice(r.id, r.name) for r in active_resources(_site())]
    if group is not None and not form.is_submitted():
        form.members.data = [r.id for r in group.members]
    valid = form.validate_on_submit()
    if valid and admin.group_name_taken(form.name.data, group.id if group else None):
        form.name.errors = [*form.name.errors, "Un groupe porte déjà ce nom."]
        valid = False
    if valid:
        admin.save_group(
            form.name.data, form.members.data, group.id if group else None, current_user
        )
        flash("Le groupe est enregistré.", "success")
        return redirect(url_for("quotas.index"), 303)
    return render(
        "quotas/group_form.html",
        status=422 if form.is_submitted() else 200,
        title="Modifier le groupe" if group else "Nouveau groupe de ressources",
        form=form,
        group=group,
    )


@bp.route("/quotas/groupes/nouveau", methods=["GET", "POST"])
def new_group():
    """Name a group of resources that quotas count together (manager)."""
    _require_manager()
    return _save_group(None)


@bp.route("/quotas/groupes/<int:group_id>/modifier", methods=["GET", "POST"])
def edit_group(group_id: int):
    """Rename a group or change its resources (manager)."""
    _require_manager()
    return _save_group(db.get_or_404(ResourceGroup, group_id))


@bp.post("/quotas/groupes/<int:group_id>/supprimer")
def delete_group(group_id: int):
    """Remove a group and its quotas (manager)."""
    _require_manager()
    admin.delete_group(db.get_or_404(ResourceGroup, group_id).id, current_user)
    flash("Le groupe et ses quotas sont supprimés.", "success")
    return redirect(url_for("quotas.index"), 303)


@bp.get("/quotas/situation")
def standing():
    """Say where the chosen organisation stands on the chosen resource's quotas that day."""
    resource = db.session.get(Resource, request.args.get("resource_id", type=int) or 0)
    organisation = db.session.get(Organisation, request.args.get("organisation_id", type=int) or 0)
    try:
        day = parse_day(request.args.get("date", ""))
    except ValueError:
        day = None
    lines: list[str] = []
    known = resource is not None and organisation is not None and day is not None
    if known and permissions.can_book_for(current_user, organisation):
        lines = quotas.standings(organisation, resource, day, utcnow())
    response = render("quotas/_standings.html", lines=lines)
    response.headers["Cache-Control"] = "no-store"
    return response


def _period(form: SharingForm, current: date) -> tuple[date, date]:
    """The days the page shows: the dates given, else the month chosen, else this month."""
    if form.first_day.data and form.last_day.data and form.first_day.data <= form.last_day.data:
        return form.first_day.data, min(
            form.last_day.data, form.first_day.data + timedelta(days=400)
        )
    month = current.replace(day=1)
    try:
        year, number = (int(part) for part in (form.month.data or "").split("-"))
        month = date(year, number, 1)
    except ValueError:
        if form.month.data:
            form.month.errors = ["Choisissez un mois comme 2026-12."]
    if not 2000 <= month.year <= 2099:
        month = current.replace(day=1)
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return month, last


@bp.get("/partage")
def share():
    """Show how each resource's hours went to each organisation over a period."""
    if not permissions.can_see_sharing(current_user):
        abort(403)
    site = _site()
    form = SharingForm(request.args)
    form.validate()
    first, last = _period(form, today(site))
    if not form.month.data:
        form.month.data = f"{first:%Y-%m}"
    status = 422 if any(f.errors for f in form) else 200
    return render(
        "quotas/sharing.html",
        status=status,
        title="Partage",
        form=form,
        first=first,
        last=last,
        tables=sharing(site, first, last, utcnow()),
        hours=format_hours,
    )
