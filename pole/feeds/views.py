"""Calendar feeds: the secret-link feeds, the public agenda, one booking's .ics, "Mes agendas"."""

from __future__ import annotations

import segno
from flask import Blueprint, Response, abort, request, url_for
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from pole import permissions
from pole.bookings.models import Booking
from pole.db import db
from pole.feeds import access, cache, links, ratelimit
from pole.feeds.bookings import booking_ics
from pole.feeds.models import LINK_KINDS, FeedToken
from pole.htmx import render
from pole.sites.services import addressed_site, site_argument

bp = Blueprint("feeds", __name__)

CALENDAR_TYPE = "text/calendar; charset=utf-8"
FEED_CACHE_CONTROL = "private, max-age=300"
# What each calendar app needs, step by step (shown under every fresh link and at the bottom).
CLIENT_HELP = [
    (
        "iPhone, iPad et Mac (Apple Calendrier)",
        [
            "Sur le téléphone, touchez « Ouvrir dans mon agenda » (ou, depuis un ordinateur, "
            "scannez le code QR avec l'appareil photo et touchez la bannière).",
            "Répondez « S'abonner », puis « Ajouter » : l'agenda apparaît dans Calendrier.",
            "Sur Mac : « Fichier » › « Nouvel abonnement », collez le lien https.",
        ],
    ),
    (
        "Android (Google Agenda)",
        [
            "Sur un ordinateur, ouvrez calendar.google.com avec le compte Google du téléphone.",
            "À gauche, « Autres agendas » › « + » › « À partir de l'URL » ; collez le lien "
            "https et choisissez « Ajouter l'agenda ».",
            "Il apparaît dans l'application Agenda du téléphone (dans ses paramètres, cochez-le "
            "s'il est masqué). Google peut mettre jusqu'à 24 heures à montrer un changement.",
            "Sans ordinateur : installez ICSx⁵ (Play Store ou F-Droid), touchez « + » et "
            "collez le lien, ou scannez le code QR.",
        ],
    ),
    (
        "Outlook",
        [
            "Dans Outlook (outlook.com ou l'application), « Ajouter un calendrier » › "
            "« S'abonner à partir du web ».",
            "Collez le lien https, donnez un nom à l'agenda, puis « Importer ».",
        ],
    ),
    (
        "Thunderbird",
        ["« Nouvel agenda » › « Sur le réseau », collez le lien https."],
    ),
]


@bp.after_request
def keep_links_out_of_referrers(response: Response) -> Response:
    # A page showing a secret link, or a feed reached through one, never names it elsewhere.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Feeds ------------------------------------------------------------------------------------------


def _calendar(built: cache.BuiltFeed, cache_control: str) -> Response:
    """The feed, or 304 when the client's copy (ETag, or date) is still the right one."""
    if is_resource_modified(request.environ, etag=built.etag, last_modified=built.last_modified):
        response = Response(built.body, content_type=CALENDAR_TYPE)
    else:
        response = Response(status=304)
    response.set_etag(built.etag)
    response.last_modified = built.last_modified
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/calendrier/<token>.ics")
def fetch_feed(token: str):
    """Serve the calendar that a secret link opens (404 for an unknown or revoked link)."""
    with links.opened(token, ratelimit.configured()) as (feed, wait):
        # The version is read with the link (SQLite: in the take's transaction); a feed
        # that changed is built after, without the write lock.
        stamp = cache.stamp(feed) if feed is not None and not wait else None
    if feed is None:
        abort(404)
    if stamp is None:
        response = Response("Trop de demandes pour ce lien.\n", 429, content_type="text/plain")
        response.headers["Retry-After"] = str(wait)
        return response
    return _calendar(cache.built(stamp), FEED_CACHE_CONTROL)


@bp.get("/agenda.ics")
@bp.get("/agenda/<int:site_id>.ics")
def fetch_public_agenda(site_id: int | None = None):
    """Serve the public agenda of a site: public bookings only, no link needed."""
    return _calendar(cache.get(links.public_feed(addressed_site())), "public, max-age=300")


@bp.get("/reservations/<int:booking_id>.ics")
def download_booking(booking_id: int):
    """Hand over one booking as an .ics file to add to my calendar."""
    booking = db.get_or_404(Booking, booking_id)
    if not permissions.can_download_booking(current_user, booking):
        abort(404)
    response = Response(booking_ics(booking, current_user), content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="reservation-{booking.id}.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# "Mes agendas" ----------------------------------------------------------------------------------


def _links(token: str) -> dict[str, str]:
    url = url_for("feeds.fetch_feed", token=token, _external=True)
    webcal = "webcal://" + url.partition("://")[2]
    # The QR code carries the webcal link: an iPhone's camera opens it in Calendar as a
    # subscription (the https link would only import today's events once).
    qr = segno.make(webcal, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return {"https": url, "webcal": webcal, "qr": qr}


def _page(fresh: tuple[str, int, str] | None = None, status: int = 200) -> Response:
    public = url_for("feeds.fetch_public_agenda", _external=True, **site_argument())
    fresh_links = None
    if fresh is not None:
        kind, subject_id, token = fresh
        fresh_links = {"kind": kind, "subject_id": subject_id, **_links(token)}
    response = render(
        "feeds/index.html",
        block="feed_list" if request.method == "POST" else None,
        status=status,
        title="Mes agendas",
        entries=access.feeds_for(current_user),
        fresh=fresh_links,
        public={"https": public, "webcal": "webcal://" + public.partition("://")[2]},
        client_help=CLIENT_HELP,
    )
    # A freshly made link is in this page: no copy of it anywhere else.
    response.headers["Cache-Control"] = "no-store"
    return response


def _managed(kind: str, subject_id: int) -> None:
    """404 for an unknown feed, 403 unless I may make or revoke its link."""
    if kind not in LINK_KINDS:
        abort(404)
    allowed = access.can_manage(current_user, kind, subject_id)
    if allowed is None:
        abort(404)
    if not allowed:
        abort(403)


@bp.get("/agendas")
@login_required
def index():
    """List the calendars I may subscribe to, with their links and how to add them."""
    return _page()


@bp.post("/agendas/<kind>/<int:subject_id>/lien")
@login_required
def issue_link(kind: str, subject_id: int):
    """Make a feed's secret link (a new one replaces the old) and show it this once."""
    _managed(kind, subject_id)
    token = links.issue_link(kind, subject_id, current_user)
    return _page(fresh=(kind, subject_id, token))


@bp.post("/agendas/<kind>/<int:subject_id>/revoquer")
@login_required
def revoke_link(kind: str, subject_id: int):
    """Stop a feed's secret link from working."""
    _managed(kind, subject_id)
    links.revoke_link(kind, subject_id, by=current_user)
    return _page()


@bp.post("/agendas/liens/<int:token_id>/revoquer")
@login_required
def revoke_member_link(token_id: int):
    """Stop one member's own link from working: hers, or one of her coordinator's members."""
    token = db.get_or_404(FeedToken, token_id)
    if token.kind != "member":
        abort(404)
    if not access.can_revoke_member_link(current_user, token):
        abort(403)
    links.revoke_member_link(token, current_user)
    return _page()
