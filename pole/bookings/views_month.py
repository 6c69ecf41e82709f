"""The month views: the building's month and one resource's month (same blueprint)."""

from __future__ import annotations

from datetime import date

from flask import request

from pole.bookings import agenda, grid_links, month
from pole.bookings.views import _viewer, bp, site_or_404
from pole.db import reads_only
from pole.formatting import format_date
from pole.htmx import render
from pole.resources.models import Site
from pole.resources.views import get_resource
from pole.sites.services import all_sites


def _asked_month(site: Site) -> tuple[date, str]:
    """The ?mois= of the page (AAAA-MM, this month by default), and what is wrong with it."""
    this_month = agenda.today(site).replace(day=1)
    text = request.args.get("mois", "").strip()
    if not text:
        return this_month, ""
    try:
        year, number = (int(part) for part in text.split("-"))
        first = date(year, number, 1)
    except ValueError:
        return this_month, "Indiquez un mois sous la forme 2027-03."
    if not 2000 <= first.year <= 2099:
        return this_month, "Choisissez un mois entre 2000 et 2099."
    return first, ""


def _month_nav(endpoint: str, first: date, **params) -> dict:
    before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)

    link = grid_links.link_pattern(endpoint, "mois", **params).format
    return {
        "previous": link(f"{before:%Y-%m}") if before.year >= 2000 else None,
        "next": link(f"{after:%Y-%m}") if after.year <= 2099 else None,
        "today": grid_links.fixed_url(endpoint, **params),
        "previous_name": format_date(before, "LLLL y"),
        "next_name": format_date(after, "LLLL y"),
    }


def _render(site: Site, resource=None):  # noqa: ANN001, ANN202
    first, error = _asked_month(site)
    name = format_date(first, "LLLL y")
    params = {"resource_id": resource.id} if resource else {}
    endpoint = "bookings.resource_month" if resource else "bookings.month"
    return render(
        "bookings/month.html",
        status=400 if error else 200,
        title=f"{resource.name if resource else 'Agenda du pôle'} — {name}",
        heading=resource.name if resource else "Agenda du pôle",
        resource=resource,
        month_name=name,
        error=error,
        weeks_html=month.weeks_html(
            month.month_days(site, first.year, first.month, _viewer(), resource)
        ),
        nav=_month_nav(endpoint, first, **params),
    )


@bp.get("/agenda/mois", endpoint="month")
@reads_only
def building_month():
    """Show the building's month: how busy each day is, each day opening to the day view."""
    all_sites(with_resources=True)  # the sites and their resources in one query
    return _render(site_or_404())


@bp.get("/salles/<int:resource_id>/mois")
@reads_only
def resource_month(resource_id: int):
    """Show one resource's month: how busy each day is."""
    all_sites(with_resources=True)  # the site picker's sites: the resource comes with them
    resource = get_resource(resource_id)
    return _render(resource.site, resource)
