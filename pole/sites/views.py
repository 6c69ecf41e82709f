"""The buildings of the Pôle: the manager's list and forms, and the site picker."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from pole import permissions
from pole.auth.models import User
from pole.db import db
from pole.extensions import login_manager
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.resources.models import Site
from pole.sites import services
from pole.sites.forms import PickSiteForm, SiteForm, SitesChoiceForm
from pole.urls import safe_next

bp = Blueprint("sites", __name__, url_prefix="/sites")


def _require(allowed: bool) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not allowed:
        abort(403)


def get_site(site_id: int) -> Site:
    """Load a site to change, or 404; 403 for anyone but a manager of that site."""
    _require(permissions.is_manager(current_user))
    site = db.get_or_404(Site, site_id)
    _require(permissions.can_manage_site(current_user, site.id))
    return site


def _site_choices() -> list[SelectChoice]:
    return [SelectChoice(site.id, site.name) for site in services.all_sites()]


@bp.get("/")
def index():
    """List the sites, who manages which, and where each organisation works (manager)."""
    _require(permissions.is_manager(current_user))
    sites = [s for s in services.all_sites() if permissions.can_manage_site(current_user, s.id)]
    managers, organisations = [], []
    if permissions.can_manage_sites(current_user):
        managers = db.session.scalars(
            db.select(User).where(User.is_manager, User.is_active).order_by(User.name)
        ).all()
        organisations = sorted(
            db.session.scalars(db.select(Organisation).where(Organisation.is_active)),
            key=lambda o: o.sort_key,
        )
    names = {site.id: site.name for site in services.all_sites()}
    return render(
        "sites/index.html",
        title="Sites",
        sites=sites,
        managers=managers,
        organisations=organisations,
        manager_sites={m.id: sorted(names[i] for i in m.limited_to_sites) for m in managers},
        organisation_sites={
            o.id: sorted(names[i] for i in services.organisation_site_ids(o.id))
            for o in organisations
        },
    )


def _form_data(form: SiteForm) -> services.SiteData:
    return services.SiteData(
        name=form.name.data,
        address=form.address.data,
        directions=(form.directions.data or "").strip(),
        timezone=form.timezone.data,
    )


def _edit_page(form: SiteForm, site: Site | None):
    return render(
        "sites/form.html",
        status=422 if form.is_submitted() else 200,
        title=f"Modifier {site.name}" if site else "Nouveau site",
        form=form,
        site=site,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
def new():
    """Add a building to the Pôle (manager of every site)."""
    _require(permissions.can_manage_sites(current_user))
    form = SiteForm()
    if form.validate_on_submit():
        services.save_site(_form_data(form), actor=current_user)
        flash("Le site est ajouté.", "success")
        return redirect(url_for("sites.index"))
    return _edit_page(form, None)


@bp.route("/<int:site_id>/modifier", methods=["GET", "POST"])
def edit(site_id: int):
    """Change a site's name, address, directions and time zone (its manager)."""
    site = get_site(site_id)
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        services.save_site(_form_data(form), site.id, actor=current_user)
        flash("Modifications enregistrées.", "success")
        return redirect(url_for("sites.index"))
    return _edit_page(form, site)


def _choose_sites(chosen: set[int], save: Callable[[set[int]], None], title: str, help_text: str):
    """The checkboxes of every site, `chosen` ticked; saved through `save` when valid."""
    form = SitesChoiceForm(data={"site_ids": sorted(chosen)})
    form.site_ids.choices = _site_choices()
    if form.validate_on_submit():
        save(set(form.site_ids.data))
        flash("Les sites sont enregistrés.", "success")
        return redirect(url_for("sites.index"))
    return render(
        "sites/choice.html",
        status=422 if form.is_submitted() else 200,
        title=title,
        form=form,
        help_text=help_text,
    )


@bp.route("/responsables/<int:user_id>", methods=["GET", "POST"])
def manager(user_id: int):
    """Limit a manager to some sites, or to none: every site (manager of every site)."""
    _require(permissions.can_manage_sites(current_user))
    person = db.get_or_404(User, user_id)
    if not person.is_manager:
        abort(404)
    return _choose_sites(
        set(person.limited_to_sites),
        lambda site_ids: services.set_manager_sites(person.id, site_ids, current_user),
        f"Sites gérés par {person.name}",
        "Aucun site coché : cette personne gère tous les sites, y compris ceux à venir.",
    )


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation(organisation_id: int):
    """Say in which sites an organisation works (manager of every site)."""
    _require(permissions.can_manage_sites(current_user))
    org = db.get_or_404(Organisation, organisation_id)
    return _choose_sites(
        services.organisation_site_ids(org.id),
        lambda site_ids: services.set_organisation_sites(org.id, site_ids, current_user),
        f"Sites où travaille {org.name}",
        "Aucun site coché, ou tous : l'organisation réserve dans tous les sites.",
    )


# The site picker ---------------------------------------------------------------------------------


def _back_to(target: str) -> str:
    """The page the picker was on (a path of this application only), without its own ?site=:
    the new choice applies."""
    path, _, query = safe_next(target, url_for("main.home")).partition("?")
    kept = urlencode([(k, v) for k, v in parse_qsl(query) if k != "site"])
    return f"{path}?{kept}" if kept else path


@bp.post("/choisir")
def choose():
    """Show another site from now on, on every page and every device (the site picker)."""
    form = PickSiteForm()
    form.site.choices = _site_choices()
    if not form.validate_on_submit():
        return render("sites/pick.html", status=422, title="Choisir un site", form=form)
    site = db.session.get(Site, form.site.data)
    services.remember_site(current_user, site)
    return redirect(_back_to(form.next.data), 303)


@bp.app_context_processor
def site_picker() -> dict:
    """The picker's form, for base.html: only when there are several sites."""

    def picker() -> PickSiteForm | None:
        if not services.has_several_sites():
            return None
        site = services.current_site()
        form = PickSiteForm(
            formdata=None, data={"site": site.id, "next": request.full_path.rstrip("?")}
        )
        form.site.choices = _site_choices()
        return form

    return {
        "site_picker": picker,
        "current_site": services.current_site,
        "site_argument": services.site_argument,
        "site_query": services.site_query,
    }
