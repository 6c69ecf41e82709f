"""Organisations and their members."""

from __future__ import annotations

from dataclasses import dataclass

from pole.db import db, utcnow, write_transaction
from pole.events.states import record_membership
from pole.organisations.models import Invitation, Membership, Organisation


@dataclass(frozen=True)
class OrganisationData:
    name: str
    short_name: str
    kind: str
    colour: str
    email: str = ""


class MemberError(Exception):
    """A change to the members that would leave the organisation in a bad state."""


def name_taken(name: str, exclude_id: int | None = None) -> bool:
    """Whether another organisation has this name, whatever its case or accents' case."""
    # Compared in Python: SQLite's lower() leaves "É" as it is. A building has few organisations.
    wanted = name.strip().casefold()
    rows = db.session.execute(db.select(Organisation.id, Organisation.name)).all()
    return any(other.casefold() == wanted for oid, other in rows if oid != exclude_id)


def save_organisation(data: OrganisationData, organisation_id: int | None = None) -> int:
    with write_transaction():
        if organisation_id is None:
            organisation = Organisation()
            db.session.add(organisation)
        else:
            organisation = db.session.get(Organisation, organisation_id)
        organisation.name = data.name.strip()
        organisation.short_name = data.short_name.strip()
        organisation.kind = data.kind
        organisation.colour = data.colour.lower()
        organisation.email = data.email
        db.session.flush()
        return organisation.id


def open_invitations(organisation: Organisation) -> list[Invitation]:
    return db.session.scalars(
        db.select(Invitation)
        .where(
            Invitation.organisation_id == organisation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    ).all()


def members(organisation: Organisation) -> list[Membership]:
    return sorted(organisation.memberships, key=lambda m: (m.role != "coordinator", m.user.name))


def is_member_email(organisation: Organisation, email: str) -> bool:
    return any(m.user.email == email for m in organisation.memberships)


def revoke_invitation(invitation: Invitation) -> None:
    with write_transaction():
        db.session.get(Invitation, invitation.id).revoked_at = utcnow()


def _coordinator_count(organisation_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(Membership.id)).where(
            Membership.organisation_id == organisation_id, Membership.role == "coordinator"
        )
    )


def remove_member(membership: Membership, actor: object = None) -> None:
    """Remove someone from an organisation, keeping at least one coordinator."""
    with write_transaction():
        membership = db.session.get(Membership, membership.id)
        if membership.role == "coordinator" and _coordinator_count(membership.organisation_id) <= 1:
            raise MemberError(
                "C'est le dernier coordinateur ou la dernière coordinatrice : "
                "nommez-en un autre avant de le retirer."
            )
        record_membership("membership.removed", membership, actor, utcnow(), membership.role)
        db.session.delete(membership)


def set_role(membership: Membership, role: str, actor: object = None) -> None:
    with write_transaction():
        membership = db.session.get(Membership, membership.id)
        if (
            membership.role == "coordinator"
            and role != "coordinator"
            and _coordinator_count(membership.organisation_id) <= 1
        ):
            raise MemberError(
                "Il faut au moins un coordinateur ou une coordinatrice dans l'organisation."
            )
        before, membership.role = membership.role, role
        record_membership("membership.changed", membership, actor, utcnow(), before)
