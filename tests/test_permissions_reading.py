"""permissions.booking_reading, read once for a page of bookings, says what can_open_booking and
can_see_booking_details say of each booking, for every kind of person."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import AnonymousUserMixin

from pole import permissions
from pole.bookings import agenda, services
from tests.factories import make_booking, make_organisation, make_resource, make_user


def test_the_reading_of_a_page_agrees_with_the_permissions_booking_by_booking(app):  # noqa: ANN001
    ours, theirs = make_organisation(), make_organisation()
    room = make_resource()
    bookings = [
        make_booking(
            room,
            organisation,
            datetime(2027, 3, 2, 8 + n, tzinfo=UTC),
            is_public=public,
            status=status,
        )
        for n, (organisation, public, status) in enumerate(
            (o, p, s)
            for o in (ours, theirs)
            for p in (True, False)
            for s in ("confirmed", "pending")
        )
    ]
    manager = make_user(is_manager=True)
    people = [
        AnonymousUserMixin(),
        make_user(ours),
        make_user(ours, role="coordinator"),
        make_user(theirs),
        make_user(),  # a member of nothing
        manager,
        make_user(ours, is_active=False),
        make_user(is_manager=True, is_active=False),
    ]
    for person in people:
        reading = permissions.booking_reading(person)
        for booking in bookings:
            assert reading.may_open(booking) == permissions.can_open_booking(person, booking)
            assert reading.sees_details(booking) == permissions.can_see_booking_details(
                person, booking
            )
    # The grids' labels are booking_label's, read through the reading of the page.
    tz = room.site.tz
    show = "/reservations/{}"
    rows = services.active_rows([room.id], bookings[0].start, bookings[-1].end)
    assert len(rows) == len(bookings)
    for person in people:
        reading = permissions.booking_reading(person)
        for row in rows:
            view = agenda._block_view(row, reading, tz, show)
            assert view.label == services.booking_label(row, person)
            assert view.url == (
                show.format(row.id) if permissions.can_open_booking(person, row) else ""
            )
