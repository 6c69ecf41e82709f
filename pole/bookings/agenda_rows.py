"""The grid's table as the template prints it: rows of cells, every label already written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup

from pole.bookings import grid
from pole.core.html import escape_html
from pole.formatting import HHMM, format_hhmm


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a grid has a
# view per booking it shows.
@dataclass(slots=True)
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

    @property
    def cells_html(self) -> Markup:
        """The row's <td>s, as the table prints them."""
        return Markup(_cells(self))  # noqa: S704 (written by _cell_html, which escapes)


def rows_html(rows: list[RowView]) -> Markup:
    """The table's body: every row with its time and its cells (a day has ~80 rows)."""
    return Markup(  # noqa: S704 (written by _cell_html, which escapes)
        "".join(
            [
                f'\n    <tr class="{row.css}">\n      <th scope="row" class="{row.time_css}">'
                f"{row.time}</th>{_cells(row)}\n    </tr>"
                for row in rows
            ]
        )
    )


def _cells(row: RowView) -> str:
    return "".join([_CELL_BREAK + _cell_html(cell) for cell in row.cells])


_ROW_LENGTHS = (5, 10, 15, 20, 30, 45, 60)  # the row heights the stylesheet knows

# The cells' HTML. A day has some 150 cells and a week more: written here, each is one string
# format, where the template's loop paid an escape call for every value it printed (about
# half of the page's rendering). What comes from people (titles, names, reasons) is escaped.
_CELL_BREAK = "\n      "  # what the template's loop put before each cell
_SIMPLE = {
    "locked": '<td rowspan="{}" class="cell locked"></td>',
    "buffer": '<td rowspan="{}" class="cell buffer"><span class="c-note">Rangement</span></td>',
    "full": '<td rowspan="{}" class="cell full"><span class="c-note">Complet</span></td>',
    "busy": '<td rowspan="{}" class="cell full"><span class="c-note">Occupé</span></td>',
    "missing": '<td rowspan="{}" class="cell closed">'
    '<span class="c-note">Heure sautée (heure d\'été)</span></td>',
    "shut": '<td rowspan="{}" class="cell closed"></td>',
}
_EMPTY = '<td rowspan="{}" class="cell empty"></td>'


def _booking_html(cell: CellView | grid.Cell) -> str:
    """A booking's cell, from its CellView or straight from the grid's cell (its payload)."""
    b = cell.block if cell.__class__ is CellView else cell.payload
    pending = " pending" if b.is_pending else ""
    if b.url:
        href = escape_html(b.url)
        opening, closing = f'<a class="block" href="{href}" hx-boost="false">', "</a>"
    else:
        opening, closing = '<span class="block">', "</span>"
    before = '<span aria-hidden="true">↑ </span>' if cell.starts_before else ""
    after = '<span aria-hidden="true"> ↓</span>' if cell.ends_after else ""
    status = ' <span class="b-status">en attente</span>' if b.is_pending else ""
    return (
        f'<td rowspan="{cell.rows}" class="cell booking org-{b.organisation_id}{pending}">'
        f'{opening}<span class="b-time">{before}{escape_html(b.when)}{after}</span> '
        f'<span class="b-label">{escape_html(b.label)}</span>{status}{closing}</td>'
    )


def _cell_html(cell: CellView) -> str:
    kind = cell.kind
    if kind == "free":
        available = cell.available
        if available is not None:
            available = f" · {available} libre{'s' if available > 1 else ''}"
        href, spoken = escape_html(cell.href), escape_html(cell.spoken)
        return (
            f'<td rowspan="{cell.rows}" class="cell free"><a class="slot" href="{href}">'
            f'<span class="slot-text"><span aria-hidden="true">+ </span>{cell.text}'
            f'{available or ""}</span><span class="visually-hidden"> : réserver {spoken}</span>'
            "</a></td>"
        )
    if kind == "booking":
        return _booking_html(cell)
    if kind == "closed":
        return _closed_html(cell.rows, cell.text)
    return _SIMPLE.get(kind, _EMPTY).format(cell.rows)


def _closed_html(rows: int, note: str) -> str:
    """A closed cell, with the closure's reason when it has one."""
    said = f" : {escape_html(note)}" if note else ""
    return f'<td rowspan="{rows}" class="cell closed"><span class="c-note">Fermé{said}</span></td>'


def rows_html_of(laid_out: grid.Grid, scroll_row: int | None = None) -> Markup:
    """The table's body straight from the grid laid out: what rows_html(row_views(...)) writes,
    without a RowView per row and a CellView per cell (tests/test_booking_grid.py compares).

    Free cells, most of a grid, are written here; the others by _grid_cell_html.
    """
    parts: list[str] = []
    for index, row in enumerate(laid_out.rows):
        start = row.start
        css = _ROW_CSS.get(row.end - start, "dx")
        if index == scroll_row:
            css += " scroll-start"
        parts += (
            f'\n    <tr class="{css}">\n      <th scope="row" class="'
            f'{"time minor" if start % 30 else "time"}">{HHMM[start]}</th>',
        )
        for cell in row.cells:
            if cell.kind == "free" and cell.bookable:
                head = cell.column
                available = cell.available
                if available is not None:
                    available = f" · {available} libre{'s' if available > 1 else ''}"
                parts += (
                    f'{_CELL_BREAK}<td rowspan="{cell.rows}" class="cell free"><a class="slot"'
                    f' href="{head.window_url(cell.start, cell.free_until, html=True)}">'
                    f'<span class="slot-text"><span aria-hidden="true">+ </span>{HHMM[cell.start]}'
                    f'{available or ""}</span><span class="visually-hidden"> : réserver '
                    f"{escape_html(head.spoken)}</span></a></td>",
                )
            else:
                parts += (_CELL_BREAK, _grid_cell_html(cell))
        parts += ("\n    </tr>",)
    return Markup("".join(parts))  # noqa: S704 (written as _cell_html writes, which escapes)


_ROW_CSS = {minutes: f"d{minutes}" for minutes in _ROW_LENGTHS}


def _grid_cell_html(cell: grid.Cell) -> str:
    """A grid cell other than a bookable free one, as _cell_html writes its CellView."""
    kind = cell.kind
    if kind == "booking":
        return _booking_html(cell)
    if kind == "free":  # not bookable (past, too short, beyond the horizon)
        return _SIMPLE["locked"].format(cell.rows)
    if kind == "closed":
        return _closed_html(cell.rows, cell.note)
    return _SIMPLE.get(kind, _EMPTY).format(cell.rows)


def _cell_view(cell: grid.Cell) -> CellView:
    kind = cell.kind
    if kind == "free":
        if not cell.bookable:
            return CellView("locked", cell.rows)
        head = cell.column
        return CellView(
            "free",
            cell.rows,
            head.window_url(cell.start, cell.free_until),
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


# The column headings, written here for the same reason as the cells: a Jinja `call` block per
# heading paid a macro call and a lookup for each value. `inner` is the heading's content.


def _head_html(head: Any, inner: str) -> str:
    today = " is-today" if head.is_today else ""
    return f'<th scope="col" colspan="{head.lanes}" class="col-head{today}">\n  {inner}\n  </th>'


def day_heads_html(heads: list, week_url: str) -> Markup:
    """The day grid's headings: each resource, a link to its week, and its units if pooled."""
    written = []
    for head in heads:
        resource = head.resource
        href = escape_html(week_url.format(resource.id))
        inner = f'<a href="{href}">{escape_html(resource.name)}</a>'
        if not resource.is_room and resource.quantity > 1:
            units = escape_html(resource.quantity_label(resource.quantity))
            inner += f' <span class="col-sub">{units}</span>'
        written.append(_head_html(head, inner))
    return Markup("".join(written))  # noqa: S704 (names and links escaped above)


def week_heads_html(heads: list, day_url: str) -> Markup:
    """The week grid's headings: each day, a link to the building's day."""
    written = []
    for head in heads:
        href = escape_html(day_url.format(head.day.isoformat()))
        inner = f'<a href="{href}">{escape_html(head.title)}</a>'
        if head.is_today:
            inner += ' <span class="col-sub">aujourd\'hui</span>'
        written.append(_head_html(head, inner))
    return Markup("".join(written))  # noqa: S704 (titles and links escaped above)
