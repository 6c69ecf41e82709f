"""Who reads which figures: the manager and the CCAS every association's, a coordinator
her own association's and the building's totals."""

from __future__ import annotations

from typing import Any


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def sees_every_association(user: Any) -> bool:
    """The building manager and the CCAS social worker read every association's figures."""
    return _active(user) and bool(user.is_manager or user.is_social_worker)


def own_associations(user: Any) -> list[Any]:
    """The associations a person coordinates: their figures are hers to read."""
    if not _active(user):
        return []
    return [
        o
        for o in user.organisations()
        if o.kind == "association" and user.role_in(o.id) == "coordinator"
    ]


def can_see_report(user: Any) -> bool:
    """The navigation asks it on every page: the memberships as they are, no sorted copy."""
    return sees_every_association(user) or (
        _active(user)
        and any(
            m.role == "coordinator" and m.organisation.kind == "association"
            for m in user.memberships
        )
    )


def can_see_association_figures(user: Any, organisation: Any) -> bool:
    """An association's figures and its attestation: the manager, the CCAS, its coordinator."""
    return sees_every_association(user) or any(
        o.id == organisation.id for o in own_associations(user)
    )


def can_set_values(user: Any) -> bool:
    """Only the building manager sets what the rooms are worth."""
    return _active(user) and bool(user.is_manager)
