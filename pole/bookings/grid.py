"""Lay bookings out on a time grid, as pure functions over wall-clock minutes (no web, no database).

A grid has columns (a resource on a day) and rows (wall-clock times shared by every column).
Each column is split into lanes: a room has one, where bookings and free cells alternate; pooled
equipment has one lane per overlapping booking plus an "availability" lane that says how many
units are left. Every lane is covered from the first row to the last by cells, each spanning a
whole number of rows, so the table that shows them always lines up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import gcd
from typing import Any

MINUTES_PER_DAY = 1440
# Row steps that keep a readable, proportional grid; finer boundaries just add rows.
_MIN_STEP = 5
_FALLBACK_STEP = 15


# Block and Column are not frozen: a frozen dataclass sets each field through
# object.__setattr__, and a month of the building makes some 250 columns and their blocks.


@dataclass(slots=True)
class Block:
    """A booking as its column sees it, in wall minutes of the column's day (0 to 1440)."""

    start: int
    end: int
    busy_until: int  # end plus the resource's buffer (tidying, cleaning)
    quantity: int = 1
    payload: Any = None


@dataclass(slots=True)
class Column:
    """One resource on one day: when it opens, what is booked, what may be booked."""

    key: Any
    opening: Sequence[tuple[int, int]]
    blocks: Sequence[Block] = ()
    closures: Sequence[tuple[int, int, str]] = ()
    missing: Sequence[tuple[int, int]] = ()  # wall times skipped by the spring clock change
    capacity: int = 1  # 1: one booking at a time (a room); more: pooled units
    cut: int = 30  # free time is offered in cells that break at multiples of this
    bookable_from: int = 0  # free cells starting earlier cannot be booked (past)
    buffer: int = 0  # a booking must end this long before the next one starts
    min_length: int = 0  # free stretches shorter than this cannot be booked


@dataclass(slots=True)
class Cell:
    """A rectangle of the grid: a booking, its buffer, free time, or time that cannot be booked.

    kind is one of "booking", "buffer", "free", "full", "busy", "closed", "missing", and in the
    extra lanes of pooled equipment "empty" (open, nothing there) or "shut" (closed).
    """

    kind: str
    start: int
    end: int
    column: Any = None
    lane: int = 0
    rows: int = 1
    payload: Any = None
    bookable: bool = False
    free_until: int | None = None  # end of the free stretch a free cell starts
    available: int | None = None  # units left, in the availability lane of pooled equipment
    note: str = ""  # why it is closed
    starts_before: bool = False  # the booking began before the first row
    ends_after: bool = False  # the booking goes on after the last row


@dataclass(slots=True)
class Row:
    start: int
    end: int
    cells: list[Cell] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass
class Grid:
    start: int
    end: int
    rows: list[Row]
    lanes: list[int]  # lanes of each column, in column order

    @property
    def is_empty(self) -> bool:
        return not self.rows


def assign_lanes(blocks: Iterable[Block]) -> list[list[Block]]:
    """Put blocks in as few lanes as possible, each lane holding blocks that do not overlap."""
    lanes: list[list[Block]] = []
    for block in sorted(blocks, key=lambda b: (b.start, -b.busy_until)):
        for lane in lanes:
            if lane[-1].busy_until <= block.start:
                lane.append(block)
                break
        else:
            lanes.append([block])
    return lanes


def time_range(columns: Sequence[Column]) -> tuple[int, int] | None:
    """From the earliest opening or booking to the latest, widened to whole hours."""
    starts: list[int] = []
    ends: list[int] = []
    for column in columns:
        for open_min, close_min in column.opening:
            starts.append(open_min)
            ends.append(close_min)
        for block in column.blocks:
            starts.append(block.start)
            ends.append(max(block.end, block.busy_until))
    if not starts:
        return None
    start = max(0, min(starts) // 60 * 60)
    end = min(MINUTES_PER_DAY, -(-max(ends) // 60) * 60)
    return (start, end) if start < end else None


def _inside(minute: int, intervals: Iterable[tuple[int, int]]) -> bool:
    # A loop, not any(): it runs for every piece of every column, and a generator costs more.
    for a, b in intervals:  # noqa: SIM110
        if a <= minute < b:
            return True
    return False


def _multiples(step: int, start: int, end: int) -> range:
    first = -(-start // step) * step
    return range(first, end, step)


def _clip(blocks: Iterable[Block], start: int, end: int) -> list[tuple[Block, int, int, int]]:
    """Each block with its start, end and busy end clipped to the grid (empty ones dropped)."""
    clipped = []
    for block in blocks:
        a = max(block.start, start)
        b = min(max(block.end, block.start), end)
        busy = min(max(block.busy_until, block.end), end)
        if max(b, busy) > a:
            clipped.append((block, a, max(b, a), max(busy, b, a)))
    return clipped


class _ColumnLayout:
    """The cells of one column, lane by lane."""

    def __init__(self, column: Column, start: int, end: int) -> None:
        self.column = column
        self.start, self.end = start, end
        self.clipped = _clip(column.blocks, start, end)
        self.pooled = column.capacity > 1
        by_block = {id(b): (a, e, busy) for b, a, e, busy in self.clipped}
        lanes = assign_lanes(b for b, *_ in self.clipped)
        self.booking_lanes = [[(b, *by_block[id(b)]) for b in lane] for lane in lanes]
        self.overlapping = len(self.booking_lanes) > 1  # asked for every piece of free time

    @property
    def lane_count(self) -> int:
        if self.pooled:
            return len(self.booking_lanes) + 1
        return max(1, len(self.booking_lanes))

    def cells(self) -> list[list[Cell]]:
        lanes: list[list[Cell]] = []
        if self.pooled:
            # Availability first: what is left matters more than who took the rest.
            lanes.append(self._open_cells(self.start, self.end, 0))
            for index, lane in enumerate(self.booking_lanes, start=1):
                lanes.append(self._booking_lane(lane, index, filler="empty"))
        else:
            first = self.booking_lanes[0] if self.booking_lanes else []
            lanes.append(self._booking_lane(first, 0, filler=None))
            for index, lane in enumerate(self.booking_lanes[1:], start=1):
                lanes.append(self._booking_lane(lane, index, filler="empty"))
        return lanes

    def _booking_lane(self, lane: list, index: int, filler: str | None) -> list[Cell]:
        """Bookings and their buffers; the gaps between are empty, or free time in a room."""
        cells: list[Cell] = []
        cursor = self.start
        for block, a, b, busy in lane:
            if a > cursor:
                cells.extend(self._gap(cursor, a, index, filler))
            if b > a:
                cells.append(
                    Cell(
                        "booking",
                        a,
                        b,
                        self.column.key,
                        index,
                        payload=block.payload,
                        starts_before=block.start < self.start,
                        ends_after=block.end > self.end,
                    )
                )
            if busy > b:
                cells.append(Cell("buffer", b, busy, self.column.key, index))
            cursor = max(cursor, busy)
        if cursor < self.end:
            cells.extend(self._gap(cursor, self.end, index, filler))
        return cells

    def _gap(self, a: int, b: int, lane: int, filler: str | None) -> list[Cell]:
        """Between bookings: free time in a room's lane, blank (open or "shut") in other lanes."""
        if filler is None:
            return self._open_cells(a, b, lane)
        edges = {a, b}
        for x, y in self.column.opening:
            if a < x < b:
                edges.add(x)
            if a < y < b:
                edges.add(y)
        points = sorted(edges)
        cells: list[Cell] = []
        for x, y in zip(points, points[1:], strict=False):
            kind = filler if _inside(x, self.column.opening) else "shut"
            if cells and cells[-1].kind == kind:
                cells[-1].end = y
            else:
                cells.append(Cell(kind, x, y, self.column.key, lane))
        return cells

    def _used(self, minute: int) -> int:
        used = 0
        for blk, a, _b, busy in self.clipped:
            if a <= minute < busy:
                used += blk.quantity
        return used

    def _busy_elsewhere(self, minute: int) -> bool:
        # Only when bookings of a room overlap (which the rules never allow): stay truthful.
        return any(
            a <= minute < busy for lane in self.booking_lanes[1:] for _blk, a, _b, busy in lane
        )

    def _open_cells(self, a: int, b: int, lane: int) -> list[Cell]:
        """Split time without bookings into free, full, closed and missing cells."""
        column = self.column
        cut = max(column.cut, 1)
        edges = {a, b, column.bookable_from}
        for x, y in column.opening:
            edges.update((x, y))
            # Slots only where it opens: the night is one closed cell, not 16 to join again.
            edges.update(_multiples(cut, max(a, x), min(b, y)))
        for x, y, _ in column.closures:
            edges.update((x, y))
        for x, y in column.missing:
            edges.update((x, y))
        if self.pooled or self.overlapping:
            for _blk, x, _e, busy in self.clipped:
                edges.update((x, busy))
        points = sorted([e for e in edges if a <= e <= b])
        # Join neighbours that say the same thing; bookable free cells stay one per slot.
        key = column.key
        missing, closures, opening = column.missing, column.closures, column.opening
        pooled, overlapping = self.pooled, self.overlapping
        merged: list[Cell] = []
        last = None
        for x, y in zip(points, points[1:], strict=False):
            # What the time from minute x says, written out (no call): it runs for every piece
            # of every column. Missing, closed (with the closure's reason, or outside the
            # opening hours), full (pooled, no unit left), busy (a room's overlap), or free.
            kind, note, available, bookable = "closed", "", None, False
            if missing and _inside(x, missing):
                kind = "missing"
            else:
                for c_start, c_end, reason in closures:
                    if c_start <= x < c_end:
                        note = reason
                        break
                else:
                    for o_start, o_end in opening:
                        if o_start <= x < o_end:
                            kind = "free"
                            break
            if kind == "free":
                if pooled:
                    available = column.capacity - self._used(x)
                    if available <= 0:
                        kind, available = "full", 0
                elif overlapping and self._busy_elsewhere(x):
                    kind = "busy"
                bookable = kind == "free" and x >= column.bookable_from
            if (
                last is not None
                and not bookable
                and not last.bookable
                and last.kind == kind
                and last.note == note
                and last.available == available
            ):
                last.end = y
            else:
                last = Cell(
                    kind, x, y, key, lane, bookable=bookable, available=available, note=note
                )
                merged.append(last)
        self._set_free_until(merged)
        return merged

    def _set_free_until(self, cells: list[Cell]) -> None:
        """Tell each free cell how far its free stretch goes; too short a stretch is not offered."""
        booking_starts = {start for _block, start, _end, _busy in self.clipped}
        run_end = None
        for cell in reversed(cells):
            if cell.kind != "free":
                run_end = None
                continue
            if run_end is None:
                run_end = cell.end
                if not self.pooled and cell.end in booking_starts:
                    # The next booking needs its buffer free before it, too.
                    run_end = max(cell.end - self.column.buffer, cell.start)
            if cell.bookable:
                cell.free_until = run_end
                if run_end - cell.start < self.column.min_length:
                    cell.bookable = False


def _row_edges(lanes: Iterable[list[Cell]], start: int, end: int) -> list[int]:
    # One comprehension, not an update per cell: a day has some 150 cells, a week more.
    edges = {edge for lane in lanes for cell in lane for edge in (cell.start, cell.end)}
    edges.update((start, end))
    step = 60
    for edge in edges:
        step = gcd(step, edge - start)
        if step < _MIN_STEP:
            break
    if step < _MIN_STEP:
        step = _FALLBACK_STEP
    edges.update(range(start, end, step))
    return sorted(edges)


def lay_out(columns: Sequence[Column], span: tuple[int, int] | None = None) -> Grid:
    """Lay columns out over shared rows; `span` defaults to time_range(columns)."""
    span = span or time_range(columns)
    if span is None:
        return Grid(0, 0, [], [1] * len(columns))
    start, end = span
    layouts = [_ColumnLayout(column, start, end) for column in columns]
    per_column = [layout.cells() for layout in layouts]
    all_lanes = [lane for lanes in per_column for lane in lanes]
    edges = _row_edges(all_lanes, start, end)
    rows = [Row(a, b) for a, b in zip(edges, edges[1:], strict=False)]
    # Every cell starts and ends on an edge: an index by edge, not two bisections per cell.
    index = {edge: i for i, edge in enumerate(edges)}
    for lane in all_lanes:
        for cell in lane:
            first = index[cell.start]
            cell.rows = index[cell.end] - first
            rows[first].cells += (cell,)  # no append call per cell
    return Grid(start, end, rows, [layout.lane_count for layout in layouts])


__all__ = ["Block", "Cell", "Column", "Grid", "Row", "assign_lanes", "lay_out", "time_range"]
