"""The grid's table as the template prints it: rows of cells, every label already written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pole.bookings import grid
from pole.formatting import format_hhmm


@dataclass(frozen=True, slots=True)
class BlockView:
    """What a booking block shows: the label this viewer may read, and its page."""

    organisation_id: int
    is_pending: bool
    label: str
    when: str
    url: str


class CellView(NamedTuple):
    """One cell of the table, ready to print.

    kind is a grid.Cell kind, except that a free cell that cannot be booked is "locked".
    """

    kind: str
    rows: int
    href: str = ""  # free: the booking form for this slot
    text: str = ""  # free: its start ("10:30"); closed: why
    spoken: str = ""  # free: what it books, for screen readers ("Hall, mardi 3 mars")
    available: int | None = None  # free, pooled equipment: units left
    block: BlockView | None = None  # booking
    starts_before: bool = False  # booking: began before the first row
    ends_after: bool = False  # booking: goes on after the last row


class RowView(NamedTuple):
    """One row of the table: its time, its classes and the cells that start in it."""

    css: str  # "d15" (its length in minutes, for the stylesheet), "d15 scroll-start"
    time_css: str  # "time", "time minor" off the half-hours
    time: str
    cells: list[CellView]


_ROW_LENGTHS = (5, 10, 15, 20, 30, 45, 60)  # the row heights the stylesheet knows


def _cell_view(cell: grid.Cell) -> CellView:
    kind = cell.kind
    if kind == "free":
        if not cell.bookable:
            return CellView("locked", cell.rows)
        head = cell.column
        return CellView(
            "free",
            cell.rows,
            head.slot_url(cell),
            format_hhmm(cell.start),
            head.spoken,
            cell.available,
        )
    if kind == "booking":
        return CellView(
            "booking",
            cell.rows,
            block=cell.payload,
            starts_before=cell.starts_before,
            ends_after=cell.ends_after,
        )
    if kind == "closed":
        return CellView("closed", cell.rows, text=cell.note)
    return CellView(kind, cell.rows)


def row_views(laid_out: grid.Grid, scroll_row: int | None = None) -> list[RowView]:
    """The table's rows as the template prints them, from the grid laid out."""
    rows = []
    for index, row in enumerate(laid_out.rows):
        minutes = row.end - row.start
        css = f"d{minutes}" if minutes in _ROW_LENGTHS else "dx"
        if index == scroll_row:
            css += " scroll-start"
        rows.append(
            RowView(
                css,
                "time minor" if row.start % 30 else "time",
                format_hhmm(row.start),
                [_cell_view(cell) for cell in row.cells],
            )
        )
    return rows
