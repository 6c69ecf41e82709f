"""The day, week and month views read in a few statements, however busy the building."""

from __future__ import annotations

import pytest

from pole.db import db
from pole.organisations.models import Organisation
from pole.resources.models import Resource
from tests.factories import make_booking, make_resource
from tests.test_booking_statements import Tally, tally
from tests.test_booking_views import DAYTIME, TUESDAY, at, pole  # noqa: F401

# The sites with their resources, the person, the bookings with their organisations, the
# closures: four queries (on SQLite a BEGIN more), for the building and for one resource.
PAGES = {
    "day": (lambda building: f"/agenda?date={TUESDAY}", 4),
    "week": (lambda building: f"/salles/{building.hall.id}/semaine?date={TUESDAY}", 4),
    "building month": (lambda building: f"/agenda/mois?mois={TUESDAY:%Y-%m}", 4),
    "resource month": (lambda building: f"/salles/{building.hall.id}/mois?mois={TUESDAY:%Y-%m}", 4),
}


def read_page(client, path: str) -> Tally:  # noqa: ANN001
    # Requests share the test's session: start the page afresh, with nothing already loaded,
    # as a request in production does.
    db.session.commit()
    db.session.expunge_all()
    with tally() as seen:
        assert client.get(path).status_code == 200
    return seen


@pytest.mark.parametrize("page", PAGES, ids=list(PAGES))
def test_a_grid_page_reads_in_a_few_statements_however_many_bookings_and_rooms(
    backend,  # noqa: ANN001
    client,  # noqa: ANN001
    login_as,  # noqa: ANN001
    pole,  # noqa: F811
    page: str,
):
    path, most = PAGES[page][0](pole), PAGES[page][1]
    login_as(pole.marie)
    hall_id, restos_id, caf_id = pole.hall.id, pole.restos.id, pole.caf.id
    few = read_page(client, path)
    hall = db.session.get(Resource, hall_id)
    restos, caf = db.session.get(Organisation, restos_id), db.session.get(Organisation, caf_id)
    for n in range(3):
        room = make_resource(hall.site, name=f"Salle {n}", opening_hours=DAYTIME)
        make_booking(room, restos, at(TUESDAY, "10:00"))
        make_booking(hall, caf, at(TUESDAY, f"{14 + n}:00"))
    more = read_page(client, path)
    assert len(more.queries) == len(few.queries) <= most
    # SQLite reads the page in one read transaction; PostgreSQL without one (READ COMMITTED
    # gives each statement its snapshot anyway), saving the BEGIN and ROLLBACK round trips.
    if backend == "sqlite":
        assert (more.plain_begins, more.commits) == (1, 0)
    else:
        assert set(more.isolation) == {"AUTOCOMMIT"}


def test_a_pure_read_leaves_the_session_as_it_found_it(backend, client, login_as, pole):  # noqa: ANN001, F811
    login_as(pole.marie)
    read_page(client, f"/agenda?date={TUESDAY}")
    # What the session does next (here, the test's own reads) is in a transaction again.
    assert "isolation_level" not in db.session.connection().get_execution_options()
