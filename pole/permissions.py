"""Who may do what: every permission of Pôle, as can_* functions of (user, object)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from pole.bookings.models import Booking
    from pole.organisations.models import Organisation
    from pole.permanences.models import Appointment, Permanence
    from pole.resources.models import Closure, Resource


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def is_manager(user: Any) -> bool:
    return _active(user) and user.is_manager


def role_in(user: Any, organisation: Organisation) -> str | None:
    if not _active(user):
        return None
    return user.role_in(organisation.id)


def can_view_members(user: Any, organisation: Organisation) -> bool:
    """Members of an organisation see who else belongs to it; managers see everyone."""
    return is_manager(user) or role_in(user, organisation) is not None


def can_manage_members(user: Any, organisation: Organisation) -> bool:
    """A coordinator invites and removes the members of their own organisation."""
    return is_manager(user) or role_in(user, organisation) == "coordinator"


def can_appoint_coordinator(user: Any, organisation: Organisation) -> bool:
    """Only the building manager appoints an organisation's coordinators."""
    return is_manager(user)


def can_manage_organisations(user: Any) -> bool:
    return is_manager(user)


def can_manage_resources(user: Any) -> bool:
    return is_manager(user)


def can_manage_closures(user: Any) -> bool:
    return is_manager(user)


def can_approve_bookings(user: Any) -> bool:
    return is_manager(user)


# Sites -----------------------------------------------------------------------------------------


def can_manage_sites(user: Any) -> bool:
    """Creating sites and limiting managers is for managers of every site."""
    return is_manager(user) and not user.limited_to_sites


def can_manage_site(user: Any, site_id: int) -> bool:
    """A manager manages every site, unless limited to some."""
    if not is_manager(user):
        return False
    limits = user.limited_to_sites
    return not limits or site_id in limits


def can_manage_resource(user: Any, resource: Resource) -> bool:
    """A room or piece of equipment is managed by its site's managers."""
    return can_manage_site(user, resource.site_id)


def can_manage_closure(user: Any, closure: Closure) -> bool:
    return can_manage_site(user, closure.site_id)


def can_approve_booking(user: Any, booking: Booking) -> bool:
    """A request waits for a manager of the site of its room."""
    return can_manage_site(user, booking.resource.site_id)


def can_book_for(user: Any, organisation: Organisation) -> bool:
    """A person books for an organisation they belong to; a manager for any organisation."""
    if not organisation.is_active:
        return False
    return is_manager(user) or role_in(user, organisation) is not None


def can_book_resource(user: Any, organisation: Organisation, resource: Resource) -> bool:
    """The resource must be open to the organisation's kind (rooms open to partners...), in a
    site where the organisation works."""
    from pole.sites.services import organisation_works_in

    return (
        resource.is_active
        and organisation.kind in resource.allowed_kinds
        and can_book_for(user, organisation)
        and organisation_works_in(organisation.id, resource.site_id)
    )


def can_open_booking(user: Any, booking: Booking) -> bool:
    """A visitor opens only what the public agenda announces: public, confirmed bookings."""
    if _active(user):
        return True
    return booking.is_public and booking.status == "confirmed"


def can_see_booking_details(user: Any, booking: Booking) -> bool:
    """A private booking's title is for its organisation and the managers only."""
    return booking.is_public or is_manager(user) or role_in(user, booking.organisation) is not None


class BookingReading(NamedTuple):
    """can_open_booking and can_see_booking_details of one person, read once for a page that
    shows many bookings (the grids), then asked of each booking without a lookup of the person."""

    opens_all: bool
    sees_all: bool
    organisation_ids: frozenset[int]

    def may_open(self, booking: Any) -> bool:
        """can_open_booking(user, booking)."""
        return self.opens_all or (booking.is_public and booking.status == "confirmed")

    def sees_details(self, booking: Any) -> bool:
        """can_see_booking_details(user, booking)."""
        return (
            booking.is_public or self.sees_all or booking.organisation_id in self.organisation_ids
        )


def booking_reading(user: Any) -> BookingReading:
    """What this person may read of any booking (tests/test_permissions_reading.py compares)."""
    if not _active(user):
        return BookingReading(False, False, frozenset())
    return BookingReading(
        True,
        bool(user.is_manager),
        frozenset(m.organisation_id for m in user.memberships if m.role is not None),
    )


def can_change_booking(user: Any, booking: Booking) -> bool:
    """Members of the booking's organisation, and managers, may edit or cancel it."""
    if not booking.is_active:
        return False
    return is_manager(user) or role_in(user, booking.organisation) is not None


def can_publish_permanence(user: Any) -> bool:
    return _active(user) and (user.is_social_worker or user.is_manager)


# Calendar feeds ------------------------------------------------------------------------------


def can_use_organisation_feed(user: Any, organisation: Organisation) -> bool:
    """Members of an organisation subscribe to its calendar; managers to any."""
    return is_manager(user) or role_in(user, organisation) is not None


def can_manage_organisation_feed(user: Any, organisation: Organisation) -> bool:
    """The coordinator creates, regenerates and revokes the association's feed link."""
    return is_manager(user) or role_in(user, organisation) == "coordinator"


def can_manage_resource_feed(user: Any, resource: Resource) -> bool:
    """A room's feed (for the building manager and the screen at its door) is the manager's."""
    return is_manager(user)


def can_manage_personal_feed(user: Any, owner: Any) -> bool:
    """Only the person themself holds the link to what they booked."""
    return _active(user) and _active(owner) and user.id == owner.id


def can_manage_social_worker_feed(user: Any, owner: Any) -> bool:
    """A social worker holds the link to her own permanences and appointments."""
    return can_manage_personal_feed(user, owner) and bool(owner.is_social_worker)


def can_download_booking(user: Any, booking: Booking) -> bool:
    """A booking's .ics is for those who may read its details (public ones for anyone)."""
    return can_open_booking(user, booking) and can_see_booking_details(user, booking)


def can_manage_permanence(user: Any, permanence: Permanence) -> bool:
    """Its social worker, or the building manager (a sick day), cancels dates and blocks slots."""
    return _active(user) and (user.is_manager or user.id == permanence.social_worker_id)


def can_see_day_sheet(user: Any, permanence: Permanence) -> bool:
    """Only the permanence's social worker reads the appointments with their references."""
    return _active(user) and user.id == permanence.social_worker_id


def can_book_slot(user: Any, organisation: Organisation) -> bool:
    """Volunteers book a permanence slot for an association they belong to."""
    return (
        organisation.kind == "association"
        and organisation.is_active
        and role_in(user, organisation) is not None
    )


def can_see_appointment(user: Any, appointment: Appointment) -> bool:
    """An appointment's reference and note are for its association and the social worker."""
    return _active(user) and (
        user.id == appointment.permanence.social_worker_id
        or role_in(user, appointment.organisation) is not None
    )


def can_manage_quotas(user: Any) -> bool:
    """The building manager sets the quotas and the groups of resources they count."""
    return is_manager(user)


def can_see_sharing(user: Any) -> bool:
    """The Partage page is for the manager and every association's coordinator."""
    if is_manager(user):
        return True
    # One membership per organisation (uq_membership_user_organisation): coordinating any of
    # them is having a coordinator's membership. No sorting of the organisations by name, on
    # every page (the navigation asks).
    return _active(user) and any(m.role == "coordinator" for m in user.memberships)


def can_plan_seasons(user: Any) -> bool:
    """The manager opens a season's plan, resolves it on the board and publishes it."""
    return is_manager(user)


def can_request_slots(user: Any, organisation: Organisation) -> bool:
    """A coordinator enters the association's regular needs; a volunteer only sees them."""
    return organisation.is_active and (
        is_manager(user) or role_in(user, organisation) == "coordinator"
    )
