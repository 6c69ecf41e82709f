"""URL converters: an id in a URL is a number the database can hold, or the page is not found."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# Ids are INTEGER columns: PostgreSQL refuses anything above 2**31 - 1 with an error, SQLite
# anything above 2**63 - 1. Such an id names nothing, so the route answers 404 before any query.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` limited to what an INTEGER column holds; beyond it, 404."""

    def __init__(
        self,
        map: Map,  # noqa: A002 (werkzeug's name)
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def register(app: Flask) -> None:
    """Replace Flask's `int` converter app-wide; call before the blueprints add their routes."""
    app.url_map.converters["int"] = IdConverter
