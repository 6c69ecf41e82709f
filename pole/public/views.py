"""The pôle's public page and its printable sheet (no login, cacheable), and the forms that
feed them: an organisation's presentation, the way to the building."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from pole import permissions
from pole.db import db, utcnow
from pole.extensions import login_manager
from pole.formatting import format_when
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.public import rules, services
from pole.public.forms import DirectionsForm, PresentationForm
from pole.sites.services import addressed_site, current_site

bp = Blueprint("public", __name__, url_prefix="/le-pole")
CACHE_CONTROL = "public, max-age=300"


_INCLUDED = ("public/_layout.html", "public/_organisation.html")
_RENDERED_MAX = 16
_lock = threading.Lock()


class _Rendered:
    """This app's rendered public pages, by ETag. The ETag digests every row the page shows,
    read from the database on each request, and the templates' text: a change is a new key,
    so an entry is never stale, only unused (and soon dropped)."""

    def __init__(self) -> None:
        self.code_keys: dict[str, str] = {}
        self.pages: OrderedDict[str, str] = OrderedDict()

    def code_key(self, template: str) -> str:
        if template not in self.code_keys:
            env = current_app.jinja_env
            sources = [env.loader.get_source(env, name)[0] for name in (template, *_INCLUDED)]
            self.code_keys[template] = hashlib.sha256("".join(sources).encode()).hexdigest()[:16]
        return self.code_keys[template]

    def get(self, etag: str) -> str | None:
        with _lock:
            return self.pages.get(etag)

    def keep(self, etag: str, html: str) -> None:
        with _lock:
            self.pages[etag] = html
            while len(self.pages) > _RENDERED_MAX:
                self.pages.popitem(last=False)


def _rendered() -> _Rendered:
    return current_app.extensions.setdefault("pole.public_pages", _Rendered())


def _page(template: str) -> Response:
    """The same page for everyone: an ETag of what it shows, 304 when the copy held is
    current (nothing rendered), the page rendered once per version of its rows."""
    site = addressed_site()
    if site is None:
        abort(404)
    page = services.public_page(site, utcnow())
    rendered = _rendered()
    etag = f"{rendered.code_key(template)}-{page.digest}"
    response = Response(mimetype="text/html")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    if request.if_none_match.contains(etag):
        return response.make_conditional(request)
    html = rendered.get(etag)
    if html is None:

        def when(start, end) -> str:  # noqa: ANN001
            return format_when(start, end, site.tz)

        html = render_template(template, page=page, when=when)
        rendered.keep(etag, html)
    response.set_data(html)
    return response


@bp.get("/")
@bp.get("/<int:site_id>/")
def index(site_id: int | None = None):
    """Show the building, who does what and when, and the public events to come."""
    return _page("public/index.html")


@bp.get("/qui-fait-quoi")
@bp.get("/<int:site_id>/qui-fait-quoi")
def sheet(site_id: int | None = None):
    """Print the one-page sheet "qui fait quoi, quand" for partners who orient people."""
    return _page("public/sheet.html")


def _require(allowed: bool) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not allowed:
        abort(403)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def presentation(organisation_id: int):
    """Edit an organisation's public presentation (its coordinator, the manager)."""
    organisation = db.get_or_404(Organisation, organisation_id)
    _require(rules.can_edit_presentation(current_user, organisation))
    chooses = rules.can_choose_who_appears(current_user)
    form = PresentationForm(obj=organisation)
    if not chooses:
        del form.public_shown
    if form.validate_on_submit():
        services.save_presentation(
            organisation.id,
            services.PresentationData(
                presentation=form.public_presentation.data.strip(),
                offer=form.public_offer.data.strip(),
                audience=form.public_audience.data.strip(),
                hours=form.public_hours.data.strip(),
                contact=form.public_contact.data.strip(),
                shown=form.public_shown.data if chooses else None,
            ),
            current_user,
        )
        flash("La présentation publique est enregistrée.", "success")
        return redirect(url_for("public.presentation", organisation_id=organisation.id))
    return render(
        "public/presentation.html",
        status=422 if form.is_submitted() else 200,
        title=f"Présentation publique · {organisation.name}",
        form=form,
        organisation=organisation,
    )


@bp.route("/acces", methods=["GET", "POST"])
def directions():
    """Say how to get to the building, for the public page (manager)."""
    _require(rules.can_choose_who_appears(current_user))
    site = current_site()
    if site is None:
        abort(404)
    if not permissions.can_manage_site(current_user, site.id):
        abort(403)
    form = DirectionsForm(obj=site)
    if form.validate_on_submit():
        services.save_directions(site.id, form.directions.data.strip(), current_user)
        flash("L'accès au bâtiment est enregistré.", "success")
        return redirect(url_for("public.index"))
    return render(
        "public/directions.html",
        status=422 if form.is_submitted() else 200,
        title="Comment venir au bâtiment",
        form=form,
    )


@bp.app_context_processor
def public_helpers() -> dict:
    return {"can_edit_presentation": rules.can_edit_presentation}
