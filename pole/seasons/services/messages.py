"""« Écrire aux associations concernées »: the manager's message about the plan, by mail to
their coordinators and kept on the season's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pole import permissions
from pole.auth.models import User
from pole.core.refusals import Reason
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.notifications import tell
from pole.notifications.rules import SEASON
from pole.organisations.models import Membership, Organisation
from pole.outbox.links import mail_url
from pole.resources.models import Resource
from pole.seasons.models import Season, SeasonMessage, SeasonRequest
from pole.seasons.services.board import board
from pole.seasons.services.plan import NotAllowed, SeasonRefused, lock_season

MESSAGE_MAX = 5000


@dataclass(frozen=True)
class MessageData:
    organisation_ids: frozenset[int]
    body: str
    resource_id: int | None = None  # the resource the message is about, if one


def with_requests(season: Season) -> list[Organisation]:
    """The organisations that asked something in the season (whom a message may go to)."""
    seen: dict[int, Organisation] = {}
    for r in season.requests:
        seen.setdefault(r.organisation_id, r.organisation)
    return sorted(seen.values(), key=lambda o: o.sort_key)


def concerned(
    season: Season, request_id: int | None = None, resource_id: int | None = None
) -> set[int]:
    """Whom a message is about: the associations of a request and of those it clashes with,
    or every association with a live request on a resource."""
    if request_id is not None:
        for resource_board in board(season, utcnow()):
            for line in resource_board.lines:
                if line.request.id == request_id:
                    ids = {request_id, *line.clashes_with}
                    return {r.organisation_id for r in season.requests if r.id in ids}
        return set()
    if resource_id is not None:
        return {
            r.organisation_id for r in season.requests if r.resource_id == resource_id and r.is_live
        }
    return set()


def write_to_associations(
    season: Season, data: MessageData, user: User, now: datetime | None = None
) -> SeasonMessage:
    """The manager writes to some associations of the plan: one mail to each of their
    coordinators, the message kept for the season's page, one event per association; all in
    one transaction."""
    if not permissions.can_plan_seasons(user):
        raise NotAllowed
    now = now or utcnow()
    reasons = []
    body = data.body.strip()
    if not body:
        reasons.append(Reason("body", "body", "Écrivez le message."))
    elif len(body) > MESSAGE_MAX:
        reasons.append(Reason("body", "body", f"{MESSAGE_MAX} caractères au plus."))
    with write_transaction(now=now):
        season = lock_season(season.id)
        asking = db.session.scalars(
            db.select(SeasonRequest.organisation_id).where(SeasonRequest.season_id == season.id)
        ).all()
        chosen = data.organisation_ids & set(asking)
        if not chosen or chosen != data.organisation_ids:
            reasons.append(
                Reason(
                    "recipients",
                    "organisation_ids",
                    "Choisissez au moins une association, parmi celles qui ont des demandes.",
                )
            )
        resource = db.session.get(Resource, data.resource_id) if data.resource_id else None
        if reasons:
            raise SeasonRefused(reasons)
        message = SeasonMessage(
            season_id=season.id,
            author_id=user.id,
            resource_id=resource.id if resource is not None else None,
            organisation_ids=sorted(chosen),
            body=body,
            sent_at=now,
        )
        db.session.add(message)
        db.session.flush()
        organisations = db.session.scalars(
            db.select(Organisation).where(Organisation.id.in_(chosen))
        ).all()
        about = f" ({resource.name})" if resource is not None else ""
        link = mail_url("seasons.show", season_id=season.id)
        for organisation in sorted(organisations, key=lambda o: o.sort_key):
            record(
                "season.message",
                actor=user,
                now=now,
                organisation=organisation.id,
                resource=resource,
                after={"season": season.name},
                season_message=message.id,
            )
            _mail_coordinators(organisation, season, about, body, link, now)
    return message


def _mail_coordinators(
    organisation: Organisation, season: Season, about: str, body: str, link: str, now: datetime
) -> None:
    coordinators = db.session.scalars(
        db.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.role == "coordinator",
            User.is_active,
        )
        .order_by(User.id)
    )
    text = (
        f"La gestion du bâtiment écrit à {organisation.name} au sujet du plan de la "
        f"saison « {season.name} »{about} :\n\n{body}\n\n"
        f"Ce message est aussi sur la page de la saison : {link}\n"
    )
    subject = f"Saison « {season.name} » : message de la gestion"
    for person in coordinators:
        tell(person, SEASON, subject, text, now=now)
