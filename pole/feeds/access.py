"""Which feeds a person may use, and who may make or revoke a feed's link."""

from __future__ import annotations

from dataclasses import dataclass

from pole import permissions
from pole.auth.models import User
from pole.db import db
from pole.feeds.links import active_tokens
from pole.feeds.models import FeedToken
from pole.organisations.models import Organisation
from pole.resources.models import Resource


@dataclass(frozen=True)
class FeedEntry:
    """A feed as the "Mes agendas" page lists it for one person."""

    kind: str
    subject_id: int
    title: str
    shows: str
    can_manage: bool
    token: FeedToken | None


def feeds_for(user: User) -> list[FeedEntry]:
    """Every feed this person may subscribe to, with its live link if one exists."""
    entries: list[FeedEntry] = []
    personal = active_tokens("personal", [user.id])
    entries.append(
        FeedEntry(
            "personal",
            user.id,
            "Mes réservations",
            "Ce que j'ai réservé, pour chacune de mes organisations.",
            permissions.can_manage_personal_feed(user, user),
            personal.get(user.id),
        )
    )
    if permissions.can_manage_social_worker_feed(user, user):
        mine = active_tokens("social_worker", [user.id])
        entries.append(
            FeedEntry(
                "social_worker",
                user.id,
                "Mes permanences et rendez-vous",
                "Mes permanences et les rendez-vous pris (objet et association, jamais "
                "l'identité des personnes reçues).",
                True,
                mine.get(user.id),
            )
        )
    if permissions.is_manager(user):
        organisations = list(
            db.session.scalars(db.select(Organisation).order_by(Organisation.name))
        )
    else:
        organisations = user.organisations()
    tokens = active_tokens("organisation", [o.id for o in organisations])
    for organisation in organisations:
        if permissions.can_use_organisation_feed(user, organisation):
            entries.append(
                FeedEntry(
                    "organisation",
                    organisation.id,
                    organisation.name,
                    "Toutes les réservations de l'association, confirmées et en attente, et les "
                    "rendez-vous qu'elle a pris aux permanences.",
                    permissions.can_manage_organisation_feed(user, organisation),
                    tokens.get(organisation.id),
                )
            )
    if permissions.is_manager(user):
        resources = list(
            db.session.scalars(
                db.select(Resource)
                .where(Resource.is_active)
                .order_by(Resource.position, Resource.id)
            )
        )
        tokens = active_tokens("resource", [r.id for r in resources])
        for resource in resources:
            entries.append(
                FeedEntry(
                    "resource",
                    resource.id,
                    resource.name,
                    "Tout ce qui est réservé ici, pour la gestion et l'écran à la porte : "
                    "les réservations privées des organisations y sont « Réservé — … ».",
                    permissions.can_manage_resource_feed(user, resource),
                    tokens.get(resource.id),
                )
            )
    return entries


def can_manage(user: User, kind: str, subject_id: int) -> bool | None:
    """Whether `user` may make or revoke this feed's link; None when the subject is unknown."""
    if kind == "organisation":
        organisation = db.session.get(Organisation, subject_id)
        if organisation is None:
            return None
        return permissions.can_manage_organisation_feed(user, organisation)
    if kind == "resource":
        resource = db.session.get(Resource, subject_id)
        return None if resource is None else permissions.can_manage_resource_feed(user, resource)
    if kind in ("personal", "social_worker"):
        owner = db.session.get(User, subject_id)
        if owner is None:
            return None
        if kind == "personal":
            return permissions.can_manage_personal_feed(user, owner)
        return permissions.can_manage_social_worker_feed(user, owner)
    return None
