"""The buildings of one Pôle: which one a page is about, and who works in which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, g, has_app_context, has_request_context, request, session
from flask_login import current_user

from pole.auth.models import User
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.resources.models import Resource, Site
from pole.sites.models import ManagerSite, OrganisationSite

# Where an anonymous visitor's choice of site is kept (a signed-in person's is on their row).
SESSION_KEY = "site_id"


@dataclass(frozen=True)
class SiteData:
    name: str
    address: str
    directions: str
    timezone: str


def all_sites(*, with_resources: bool = False) -> list[Site]:
    """Every site, the first one (the building Pôle began with) first.

    with_resources: their rooms and equipment come in the same query (the day view shows
    them all), if the request has not read the sites yet.
    """
    if has_request_context():
        if "pole_sites" not in g:
            g.pole_sites = _sites(with_resources)
        return g.pole_sites
    return _sites(with_resources)


# Built once per process: the statements, never their answers (read on every request).
_SITES = sa.select(Site).order_by(Site.id)
_SITES_WITH_RESOURCES = _SITES.options(so.joinedload(Site.resources))


def _sites(with_resources: bool) -> list[Site]:
    query = _SITES_WITH_RESOURCES if with_resources else _SITES
    return list(db.session.scalars(query).unique())


def first_site() -> Site | None:
    """The building Pôle began with: where everything goes when nobody says otherwise."""
    return db.session.scalar(db.select(Site).order_by(Site.id).limit(1))


def _path_site_id() -> int | None:
    return (request.view_args or {}).get("site_id")


def _asked_site_id() -> int | None:
    """The site the request names: `<site_id>` in its path, or `?site=<id>`."""
    in_path = _path_site_id()
    return in_path if in_path is not None else request.args.get("site", type=int)


def current_site() -> Site | None:
    """The site the page is about: the one the request names, else the person's last choice,
    else the first site. None only when there is no site at all; an unknown site named in
    the address is ignored here (addressed_site answers 404 for the pages it names)."""
    if not has_request_context():
        return first_site()
    if "pole_site" in g:
        return g.pole_site
    sites = all_sites()
    by_id = {site.id: site for site in sites}
    asked = _asked_site_id()
    # The person's choice is read only when the address names no site: a feed or a page of
    # one site never loads who is asking.
    chosen = by_id.get(asked) if asked in by_id else by_id.get(_remembered_site_id())
    g.pole_site = chosen or (sites[0] if sites else None)
    return g.pole_site


def site_of_resource(resource_id: int | None) -> Site | None:
    """The site of a resource the request names (the booking form's room), if it exists."""
    if resource_id is None:
        return None
    sites = all_sites()  # read once per request, and the picker shows them
    if len(sites) == 1:
        return sites[0]  # one building: every room is in it (or the form refuses the room)
    return db.session.scalar(
        sa.select(Site)
        .join(Resource, Resource.site_id == Site.id)
        .where(Resource.id == resource_id)
    )


def addressed_site() -> Site | None:
    """The site the address names, else the first site, whoever asks: for the pages and
    feeds that shared caches keep (the public page, the public agenda)."""
    sites = all_sites()
    asked = _asked_site_id()
    for site in sites:
        if site.id == asked:
            return site
    if _path_site_id() is not None:
        abort(404)  # the page of a site that does not exist
    return sites[0] if sites else None


def _remembered_site_id() -> int | None:
    if current_user.is_authenticated:
        return current_user.site_id
    return session.get(SESSION_KEY)


def has_several_sites() -> bool:
    return len(all_sites()) > 1


def site_query(site: Site | None = None) -> dict[str, int]:
    """`site` for url_for of a page that shows a site (?site=), only when there are several."""
    site = site or current_site()
    return {"site": site.id} if site is not None and has_several_sites() else {}


def site_argument(site: Site | None = None) -> dict[str, int]:
    """`site_id` for url_for of a per-site address, only when the Pôle has several sites: the
    single-site addresses stay as they always were."""
    site = site or current_site()
    return {"site_id": site.id} if site is not None and has_several_sites() else {}


def remember_site(user: object, site: Site) -> None:
    """Keep the person's choice: on their account (every device), or in a visitor's session."""
    if getattr(user, "is_authenticated", False):
        with write_transaction():
            db.session.execute(sa.update(User).where(User.id == user.id).values(site_id=site.id))
    else:
        session[SESSION_KEY] = site.id


def site_state(site: Site) -> dict:
    """What a site's event keeps of it: its name, address, time zone and directions."""
    return {
        "name": site.name,
        "address": site.address or "",
        "timezone": site.timezone,
        "directions": site.directions or "",
    }


def save_site(
    data: SiteData, site_id: int | None = None, actor: Any = None, now: datetime | None = None
) -> int:
    """Create a site or change its name, address, directions and time zone; the change is
    recorded (before and after) in the same transaction, nothing when nothing changed."""
    now = now or utcnow()
    with write_transaction(now=now):
        site = Site() if site_id is None else db.session.get(Site, site_id, with_for_update=True)
        before = None if site_id is None else site_state(site)
        if site_id is None:
            db.session.add(site)
        for name, value in data.__dict__.items():
            setattr(site, name, value)
        db.session.flush()
        after = site_state(site)
        if before is None:
            record("site.created", actor=actor, now=now, after=after, site=site.id)
        elif before != after:
            record("site.changed", actor=actor, now=now, before=before, after=after, site=site.id)
        return site.id


# Who works where -----------------------------------------------------------------------------


def _sites_state(site_ids: set[int]) -> dict:
    """Sites as an event keeps them: ids and names at the time (none: every site)."""
    names = {site.id: site.name for site in all_sites()}
    ids = sorted(site_ids)
    return {"site_ids": ids, "sites": [names.get(i, f"site {i}") for i in ids]}


def set_manager_sites(
    user_id: int, site_ids: set[int], actor: Any = None, now: datetime | None = None
) -> None:
    """Limit a manager to these sites; none lifts the limit (every site). Recorded."""
    now = now or utcnow()
    with write_transaction(now=now):
        before = set(
            db.session.scalars(db.select(ManagerSite.site_id).where(ManagerSite.user_id == user_id))
        )
        _replace(ManagerSite, ManagerSite.user_id, user_id, "user_id", site_ids)
        if before != site_ids:
            record(
                "site.managers_limited",
                actor=actor,
                now=now,
                before=_sites_state(before),
                after={**_sites_state(site_ids), "user_id": user_id},
                manager=user_id,
            )


def organisation_site_ids(organisation_id: int) -> set[int]:
    """The sites an organisation works in; empty means every site."""
    return set(
        db.session.scalars(
            db.select(OrganisationSite.site_id).where(
                OrganisationSite.organisation_id == organisation_id
            )
        )
    )


def set_organisation_sites(
    organisation_id: int, site_ids: set[int], actor: Any = None, now: datetime | None = None
) -> None:
    """Say where an organisation works; none, or every site, means every site. Recorded."""
    if site_ids >= {site.id for site in all_sites()}:
        site_ids = set()  # every site, today and those added later
    now = now or utcnow()
    with write_transaction(now=now):
        before = organisation_site_ids(organisation_id)
        _replace(OrganisationSite, OrganisationSite.organisation_id, organisation_id,
                 "organisation_id", site_ids)  # fmt: skip
        if before != site_ids:
            record(
                "site.organisation_sites",
                actor=actor,
                now=now,
                organisation=organisation_id,
                before=_sites_state(before),
                after=_sites_state(site_ids),
            )


def _replace(model: type, column: sa.Column, owner_id: int, owner: str, site_ids: set[int]) -> None:
    if has_request_context():
        g.pop("pole_organisation_sites", None)
    with write_transaction():
        db.session.execute(sa.delete(model).where(column == owner_id))
        if site_ids:
            db.session.execute(
                sa.insert(model), [{owner: owner_id, "site_id": i} for i in sorted(site_ids)]
            )


def organisation_works_in(organisation_id: int, site_id: int) -> bool:
    """An organisation works in every site unless it was given some."""
    if not has_app_context():
        return True  # objects made without a database (the permission tables): no sites given
    if has_request_context():
        if not has_several_sites():
            return True  # one site: none, or that one, was given (sites are never removed)
        # One small read per request, however many organisations the page weighs.
        if "pole_organisation_sites" not in g:
            given: dict[int, set[int]] = {}
            # Plain rows, not ORM objects: a city has one per organisation and site.
            pairs = sa.select(OrganisationSite.organisation_id, OrganisationSite.site_id)
            for owner, site in db.session.execute(pairs):
                given.setdefault(owner, set()).add(site)
            g.pole_organisation_sites = given
        sites = g.pole_organisation_sites.get(organisation_id, set())
    else:
        sites = organisation_site_ids(organisation_id)
    return not sites or site_id in sites


def works_in_site(organisation_id_column: sa.ColumnElement, site_id: int) -> sa.ColumnElement:
    """SQL twin of organisation_works_in, for lists of organisations."""
    given = sa.select(OrganisationSite.site_id).where(
        OrganisationSite.organisation_id == organisation_id_column
    )
    return sa.or_(~sa.exists(given), sa.exists(given.where(OrganisationSite.site_id == site_id)))


def site_reasons(
    organisation: Any, resource: Resource, field: str = "organisation"
) -> list[Reason]:
    """An organisation books or asks for a resource only in a site where it works."""
    if organisation_works_in(organisation.id, resource.site_id):
        return []
    message = f"{organisation.name} ne travaille pas sur le site « {resource.site.name} »."
    return [Reason("site", field, message)]
