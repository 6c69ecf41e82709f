"""The grids' links: each column's head, which writes its free cells' links to the booking form,
and the patterns of a page's many links that differ by one value (url_for once, not per link)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import has_request_context, request, url_for

from pole.bookings import grid
from pole.core.html import escape_html
from pole.formatting import HHMM, format_hhmm
from pole.resources.models import Resource
from pole.timeutil import MINUTES_PER_DAY

DEFAULT_LENGTH = 60  # a free cell proposes an hour, or the resource's minimum if longer


class Head:
    """A column: one resource on one day, and how its free cells link to the booking form."""

    def __init__(  # noqa: PLR0913
        self,
        resource: Resource,
        day: date,
        title: str,
        spoken: str,
        is_today: bool,
        form_url: str,
        form_html: str | None = None,  # form_url escaped, when the caller has it for all heads
    ) -> None:
        self.resource, self.day, self.title, self.spoken = resource, day, title, spoken
        self.is_today = is_today
        self.lanes = 1
        # Read once: the grid asks for every free cell, and ORM attributes are not free.
        step = max(resource.granularity_minutes, 1)
        self._min_length = resource.min_duration_minutes
        self._length = -(-max(self._min_length, DEFAULT_LENGTH) // step) * step
        resource_id, iso = resource.id, day.isoformat()
        self._base = f"{form_url}?resource_id={resource_id}&date={iso}"
        form_html = escape_html(form_url) if form_html is None else form_html
        self._base_html = f"{form_html}?resource_id={resource_id}&amp;date={iso}"

    def slot_url(self, cell: grid.Cell) -> str:
        """The booking form, prefilled with this free cell's start and a sensible end."""
        return self.window_url(cell.start, cell.free_until)

    def window_url(self, start: int, free_until: int | None, html: bool = False) -> str:
        """The booking form from `start`, for an hour or up to `free_until` if that is sooner.

        `html`: escaped for an attribute, as escape_html(window_url(...)) writes it.
        """
        # Written out (no min, max or helper): the grids ask it for every free cell and start.
        end = start + self._length
        if free_until is not None and end > free_until:
            least = start + self._min_length
            end = free_until if free_until > least else least
        if end > MINUTES_PER_DAY:
            end = MINUTES_PER_DAY
        if 0 <= start <= end:
            # 00:00 as an end means the following midnight (the form reads it so).
            if html:
                return (
                    f"{self._base_html}&amp;start={HHMM[start]}"
                    f"&amp;end={HHMM[end % MINUTES_PER_DAY]}"
                )
            return f"{self._base}&start={HHMM[start]}&end={HHMM[end % MINUTES_PER_DAY]}"
        url = self.booking_url(start, end)
        return escape_html(url) if html else url

    def booking_url(self, start: int, end: int) -> str:
        """The booking form for this resource and day, from start to end (wall minutes)."""
        # 00:00 as an end means the following midnight (the form reads it so).
        return f"{self._base}&start={format_hhmm(start)}&end={format_hhmm(end % MINUTES_PER_DAY)}"


_HOLE = 987654321  # stands for what a page's links differ by, in link_pattern
# Stands for a value that changes with each request (a day) in a pattern kept per process:
# link_pattern(..., date=VALUE_HOLE).replace(VALUE_HOLE, day.isoformat()).
VALUE_HOLE = "987654320"

# The patterns and addresses link_pattern and fixed_url built, per script root: they depend on
# the routes and the values asked alone (an endpoint, an id), never on the database. Bounded:
# a week's resource id is a value, and a building has tens of resources, not thousands.
_PATTERNS: dict[tuple, str] = {}
_MOST_PATTERNS = 1000


def _remembered_url(key: tuple, build: Callable[[], str]) -> str:
    if not has_request_context():
        return build()  # url_for as it stands (a command, a test): nothing kept
    key = (request.script_root, *key)
    found = _PATTERNS.get(key)
    if found is None:
        found = build()
        if len(_PATTERNS) < _MOST_PATTERNS:
            _PATTERNS[key] = found
    return found


def link_pattern(endpoint: str, varying: str, **params: int | str) -> str:
    """One url_for for a page's many links that differ by one value: a pattern for str.format.

    The value (an id, an ISO date) must need no quoting, as ids and dates do not. Built once
    per process for each endpoint, value's name and other values.
    """
    return _remembered_url(
        (endpoint, varying, *params.items()),
        lambda: url_for(endpoint, **{varying: _HOLE}, **params).replace(str(_HOLE), "{}"),
    )


def fixed_url(endpoint: str, **params: int | str) -> str:
    """url_for(endpoint, **params), built once per process for these values."""
    return _remembered_url((endpoint, None, *params.items()), lambda: url_for(endpoint, **params))
