"""Who may do what: every can_* of pole.permissions, as a table of people × actions."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from pole import permissions as can
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.organisations.models import Membership, Organisation
from pole.resources.models import Resource


def organisation(id: int, kind: str, name: str, is_active: bool = True) -> Organisation:
    return Organisation(id=id, kind=kind, name=name, short_name=name, is_active=is_active)


A = organisation(1, "association", "Restos du cœur")
B = organisation(2, "association", "Secours populaire")
CAF = organisation(3, "partner", "CAF de la Loire")
CCAS = organisation(4, "ccas", "CCAS")
DORMANT = organisation(5, "association", "Association en sommeil", is_active=False)


def person(*roles: tuple[Organisation, str], active: bool = True, **flags: bool) -> User:
    user = User(is_active=active, is_manager=False, is_social_worker=False)
    for key, value in flags.items():
        setattr(user, key, value)
    user.memberships = [Membership(organisation_id=org.id, role=role) for org, role in roles]
    return user


PEOPLE = {
    "visitor": AnonymousUserMixin(),
    "volunteer-of-A": person((A, "volunteer"), (DORMANT, "volunteer")),
    "coordinator-of-A": person((A, "coordinator")),
    "volunteer-of-B": person((B, "volunteer")),
    "partner": person((CAF, "coordinator")),
    "social-worker": person((CCAS, "volunteer"), is_social_worker=True),
    "manager": person((CCAS, "coordinator"), is_manager=True),
    # Deactivated: once manager, social worker and coordinator of A, now nothing.
    "inactive": person((A, "coordinator"), active=False, is_manager=True, is_social_worker=True),
}

HALL = Resource(kind="room", is_active=True, allowed_kinds=["association", "ccas"])
OFFICE = Resource(kind="room", is_active=True, allowed_kinds=["association", "partner", "ccas"])
RETIRED = Resource(kind="room", is_active=False, allowed_kinds=["association", "ccas"])


def booking_of_a(**fields: object) -> Booking:
    return Booking(**{"organisation": A, "is_public": False, "status": "confirmed", **fields})


PRIVATE = booking_of_a()
PUBLIC = booking_of_a(is_public=True)
PENDING = booking_of_a(status="pending")
CANCELLED = booking_of_a(status="cancelled")

MANAGER = {"manager"}
MEMBERS_OF_A = {"volunteer-of-A", "coordinator-of-A"}
EVERYONE = set(PEOPLE)

# action: (what it checks, who may do it)
ACTIONS = {
    "see-members-of-A": (lambda u: can.can_view_members(u, A), MEMBERS_OF_A | MANAGER),
    "manage-members-of-A": (
        lambda u: can.can_manage_members(u, A),
        {"coordinator-of-A"} | MANAGER,
    ),
    "appoint-coordinators-of-A": (lambda u: can.can_appoint_coordinator(u, A), MANAGER),
    "manage-organisations": (can.can_manage_organisations, MANAGER),
    "manage-resources": (can.can_manage_resources, MANAGER),
    "manage-closures": (can.can_manage_closures, MANAGER),
    "approve-bookings": (can.can_approve_bookings, MANAGER),
    "publish-permanences": (can.can_publish_permanence, {"social-worker"} | MANAGER),
    "book-for-A": (lambda u: can.can_book_for(u, A), MEMBERS_OF_A | MANAGER),
    "book-for-CAF": (lambda u: can.can_book_for(u, CAF), {"partner"} | MANAGER),
    "book-for-CCAS": (lambda u: can.can_book_for(u, CCAS), {"social-worker"} | MANAGER),
    "book-for-a-dormant-association": (lambda u: can.can_book_for(u, DORMANT), set()),
    "book-the-hall-for-A": (lambda u: can.can_book_resource(u, A, HALL), MEMBERS_OF_A | MANAGER),
    "book-the-hall-for-CAF": (lambda u: can.can_book_resource(u, CAF, HALL), set()),
    "book-the-office-for-CAF": (
        lambda u: can.can_book_resource(u, CAF, OFFICE),
        {"partner"} | MANAGER,
    ),
    "book-a-retired-room-for-A": (lambda u: can.can_book_resource(u, A, RETIRED), set()),
    "read-a-private-booking-of-A": (
        lambda u: can.can_see_booking_details(u, PRIVATE),
        MEMBERS_OF_A | MANAGER,
    ),
    "read-a-public-booking-of-A": (lambda u: can.can_see_booking_details(u, PUBLIC), EVERYONE),
    "change-a-booking-of-A": (
        lambda u: can.can_change_booking(u, PRIVATE),
        MEMBERS_OF_A | MANAGER,
    ),
    "change-a-pending-booking-of-A": (
        lambda u: can.can_change_booking(u, PENDING),
        MEMBERS_OF_A | MANAGER,
    ),
    "change-a-cancelled-booking-of-A": (lambda u: can.can_change_booking(u, CANCELLED), set()),
}


@pytest.mark.parametrize(
    "who, action, allowed",
    [
        pytest.param(
            who,
            action,
            who in allowed,
            id=f"{who}-{'may' if who in allowed else 'cannot'}-{action}",
        )
        for action, (_, allowed) in ACTIONS.items()
        for who in PEOPLE
    ],
)
def test_who_may_do_what(who, action, allowed):
    check, _ = ACTIONS[action]
    assert check(PEOPLE[who]) is allowed
