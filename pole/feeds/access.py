"""Which feeds a person may use, and who may make or revoke a feed's link."""

from __future__ import annotations

from dataclasses import dataclass

from pole import permissions
from pole.auth.models import User
from pole.db import db
from pole.feeds.links import active_tokens, member_links
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
    # For a coordinator (or the manager): the members' own links to this organisation's feed.
    member_links: tuple[FeedToken, ...] = ()


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
    ids = [o.id for o in organisations]
    tokens = active_tokens("organisation", ids)
    mine = active_tokens("member", ids, holder_id=user.id)
    shows = (
        "Toutes les réservations de l'association, confirmées et en attente, et les "
        "rendez-vous qu'elle a pris aux permanences."
    )
    for organisation in organisations:
        if permissions.role_in(user, organisation) is not None:
            entries.insert(
                len([e for e in entries if e.kind == "member"]),
                FeedEntry(
                    "member",
                    organisation.id,
                    organisation.name,
                    shows + " Ce lien est le vôtre : il cesse de marcher si vous quittez "
                    "l'association.",
                    True,
                    mine.get(organisation.id),
                ),
            )
        if permissions.can_manage_organisation_feed(user, organisation):
            entries.append(
                FeedEntry(
                    "organisation",
                    organisation.id,
                    f"{organisation.name} : lien partagé et liens des membres",
                    shows + " Le lien partagé sert à un agenda commun (ordinateur du local) ; "
                    "chaque membre peut aussi avoir le sien.",
                    True,
                    tokens.get(organisation.id),
                    tuple(member_links(organisation.id)),
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
    if kind in ("organisation", "member"):
        organisation = db.session.get(Organisation, subject_id)
        if organisation is None:
            return None
        if kind == "member":  # her own link to her organisation's calendar
            return bool(user.is_active) and permissions.role_in(user, organisation) is not None
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


def can_revoke_member_link(user: User, token: FeedToken) -> bool:
    """A member's own link is revoked by her, or by her organisation's coordinator."""
    if token.kind != "member" or token.organisation is None:
        return False
    return token.user_id == user.id or permissions.can_manage_organisation_feed(
        user, token.organisation
    )
