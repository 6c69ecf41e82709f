"""The grids read a resource's bookings on an index range that also holds the end of each
occupation: a month of starts is looked at in the index, only what meets the window fetched.

The range of starts reaches back LONGEST_OCCUPATION (a month: equipment may be lent that
long), so the index entries of a month are read for a day. With `occupied_until` in the
index, the test `occupied_until > window start` is made on those entries (PostgreSQL: an
index condition; SQLite: before the row is looked up), and a day's grid fetches the day's
rows alone. The statements are caught as the real pages run them, then explained with the
same parameters (PostgreSQL's sequential scans off: a test database has no statistics).
"""

from __future__ import annotations

import pytest

from tests.test_feed_plans import booking_plans
from tests.test_feeds import PASSWORD, building, next_weekday  # noqa: F401

INDEX = "ix_booking_resource_start_until"


def _grid_urls(hall: int) -> dict[str, str]:
    day = next_weekday(0).isoformat()  # the Monday of the building's bookings
    return {
        "day": f"/agenda?date={day}",
        "week": f"/salles/{hall}/semaine?date={day}",
        "month": f"/salles/{hall}/mois?mois={day[:7]}",
    }


@pytest.mark.parametrize("page", ["day", "week", "month"])
def test_a_grid_tests_the_end_of_each_occupation_in_the_index(
    client,
    auth,
    building,  # noqa: F811  (the fixture imported above)
    backend,
    page,
):
    auth.login(building.volunteer.email, PASSWORD)
    plans = booking_plans(client, _grid_urls(building.hall.id)[page], backend)
    ranged = [plan for plan in plans if any(INDEX in step for step in plan)]
    assert ranged, "\n\n".join("\n".join(plan) for plan in plans)
    if backend == "postgresql":
        for plan in ranged:
            steps = [i for i, step in enumerate(plan) if INDEX in step]
            conditions = [plan[i + 1] for i in steps if plan[i + 1].startswith("Index Cond")]
            assert conditions and all("occupied_until" in c for c in conditions), "\n".join(plan)
