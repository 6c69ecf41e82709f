"""The grid layout: bookings laid into rows and lanes, free time offered in tappable cells."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import escape

from pole.bookings.agenda import Head
from pole.bookings.agenda_rows import BlockView, CellView, row_views, rows_html, rows_html_of
from pole.bookings.grid import Block, Column, assign_lanes, lay_out, time_range
from pole.core.html import HTML_ESCAPES, escape_by_replace, escape_html
from pole.resources.models import Resource

H = 60  # minutes in an hour: 10 * H is 10:00


def cells_of(grid, column_key, lane=0):
    return [c for row in grid.rows for c in row.cells if c.column == column_key and c.lane == lane]


def kinds(cells):
    return [(c.kind, c.start // H * 100 + c.start % H, c.end // H * 100 + c.end % H) for c in cells]


def test_every_lane_is_covered_once_from_first_to_last_row():
    room = Column("room", [(8 * H, 12 * H)], [Block(9 * H, 10 * H, 10 * H)])
    pool = Column(
        "pool",
        [(8 * H, 18 * H)],
        [Block(8 * H, 11 * H, 11 * H, 3), Block(9 * H, 12 * H, 12 * H, 2)],
        capacity=5,
    )
    grid = lay_out([room, pool])
    assert (grid.start, grid.end) == (8 * H, 18 * H)
    assert grid.lanes == [1, 3]
    edges = [r.start for r in grid.rows] + [grid.rows[-1].end]
    for key, lanes in (("room", 1), ("pool", 3)):
        for lane in range(lanes):
            cells = cells_of(grid, key, lane)
            assert cells[0].start == grid.start and cells[-1].end == grid.end
            assert all(a.end == b.start for a, b in zip(cells, cells[1:], strict=False))
            for cell in cells:
                # A cell spans exactly the rows between its edges.
                assert edges.index(cell.end) - edges.index(cell.start) == cell.rows


def test_a_room_shows_its_booking_between_free_half_hours_and_closed_time():
    room = Column("room", [(8 * H, 12 * H)], [Block(9 * H, 10 * H + 30, 10 * H + 30, 1, "B")])
    grid = lay_out([room], span=(7 * H, 12 * H))
    assert kinds(cells_of(grid, "room")) == [
        ("closed", 700, 800),
        ("free", 800, 830),
        ("free", 830, 900),
        ("booking", 900, 1030),
        ("free", 1030, 1100),
        ("free", 1100, 1130),
        ("free", 1130, 1200),
    ]
    booking = cells_of(grid, "room")[3]
    assert booking.payload == "B" and booking.rows == 3  # half-hour rows


def test_the_buffer_after_a_booking_is_shown_and_cannot_be_booked():
    kitchen = Column("k", [(8 * H, 12 * H)], [Block(9 * H, 10 * H, 10 * H + 30)], buffer=30)
    cells = cells_of(lay_out([kitchen]), "k")
    assert ("buffer", 1000, 1030) in kinds(cells)
    assert [c for c in cells if c.kind == "free"][0].free_until == 9 * H - 30


def test_free_cells_know_how_far_the_free_time_goes_for_the_prefilled_end():
    room = Column("room", [(8 * H, 12 * H)], [Block(10 * H, 11 * H, 11 * H)])
    free = [c for c in cells_of(lay_out([room]), "room") if c.kind == "free"]
    assert [(c.start, c.free_until) for c in free] == [
        (8 * H, 10 * H),
        (8 * H + 30, 10 * H),
        (9 * H, 10 * H),
        (9 * H + 30, 10 * H),
        (11 * H, 12 * H),
        (11 * H + 30, 12 * H),
    ]


def test_past_time_is_not_offered_and_stays_one_quiet_cell():
    room = Column("room", [(8 * H, 12 * H)], bookable_from=10 * H + 15, cut=30)
    cells = cells_of(lay_out([room]), "room")
    assert kinds(cells)[:3] == [("free", 800, 1015), ("free", 1015, 1030), ("free", 1030, 1100)]
    assert [c.bookable for c in cells] == [False, True, True, True, True]


def test_the_night_is_one_closed_cell_however_long():
    room = Column("room", [(8 * H, 9 * H)], cut=30)
    cells = cells_of(lay_out([room], span=(0, 24 * H)), "room")
    assert kinds(cells) == [
        ("closed", 0, 800),
        ("free", 800, 830),
        ("free", 830, 900),
        ("closed", 900, 2400),
    ]


def test_a_stretch_shorter_than_the_minimum_duration_is_not_offered():
    room = Column(
        "room",
        [(8 * H, 12 * H)],
        [Block(8 * H + 30, 9 * H, 9 * H)],
        min_length=60,
    )
    free = [c for c in cells_of(lay_out([room]), "room") if c.kind == "free"]
    offered = [c.start // H * 100 + c.start % H for c in free if c.bookable]
    # 08:00–08:30 is too short; so is 11:30 before closing at noon.
    assert offered == [900, 930, 1000, 1030, 1100]


def test_pooled_equipment_says_how_many_units_are_left_and_when_it_is_full():
    tables = Column(
        "tables",
        [(8 * H, 12 * H)],
        [Block(8 * H, 10 * H, 10 * H, 6), Block(9 * H, 11 * H, 11 * H, 4)],
        capacity=10,
        cut=60,
    )
    grid = lay_out([tables])
    availability = cells_of(grid, "tables", lane=0)
    assert [(c.kind, c.start // H, c.available) for c in availability] == [
        ("free", 8, 4),
        ("full", 9, 0),
        ("free", 10, 6),
        ("free", 11, 10),
    ]
    # Each booking has its own lane beside the availability lane.
    assert [c.kind for c in cells_of(grid, "tables", 1)] == ["booking", "empty"]
    assert [c.kind for c in cells_of(grid, "tables", 2)] == ["empty", "booking", "empty"]


def test_closures_say_why_and_the_spring_gap_is_marked():
    column = Column(
        "cold-room",
        [(0, 24 * H)],
        closures=[(14 * H, 24 * H, "Travaux")],
        missing=[(2 * H, 3 * H)],
        cut=60,
    )
    cells = cells_of(lay_out([column]), "cold-room")
    assert ("missing", 200, 300) in kinds(cells)
    closed = [c for c in cells if c.kind == "closed"]
    assert [(c.start // H, c.end // H, c.note) for c in closed] == [(14, 24, "Travaux")]


def test_a_loan_over_several_days_is_clipped_and_says_it_goes_on():
    shelves = Column("shelves", [(0, 24 * H)], [Block(0, 24 * H, 24 * H, 1, "loan")], capacity=6)
    grid = lay_out([shelves], span=(8 * H, 18 * H))
    (loan,) = [c for c in cells_of(grid, "shelves", 1) if c.kind == "booking"]
    assert (loan.start, loan.end, loan.starts_before, loan.ends_after) == (8 * H, 18 * H, 1, 1)


def test_rows_follow_the_finest_edge_so_a_quarter_hour_booking_lines_up():
    grid = lay_out([Column("room", [(8 * H, 10 * H)], [Block(8 * H + 15, 9 * H, 9 * H)])])
    assert {r.minutes for r in grid.rows} == {15}
    assert len(grid.rows) == 8


def test_odd_edges_add_rows_without_making_hundreds_of_one_minute_rows():
    grid = lay_out([Column("room", [(8 * H, 10 * H)], [Block(8 * H + 7, 9 * H, 9 * H)])])
    assert len(grid.rows) < 20
    assert 8 * H + 7 in [r.start for r in grid.rows]


@pytest.mark.parametrize(
    ("blocks", "lanes"),
    [
        ([], 0),
        ([Block(0, 10, 10), Block(10, 20, 20)], 1),  # touching: one lane
        ([Block(0, 10, 10), Block(5, 20, 20)], 2),
        ([Block(0, 10, 15), Block(12, 20, 20)], 2),  # the buffer counts
        ([Block(0, 30, 30), Block(5, 10, 10), Block(10, 20, 20)], 2),
    ],
    ids=["none", "touching", "overlapping", "buffer", "nested"],
)
def test_lanes_hold_bookings_that_do_not_overlap(blocks, lanes):
    assert len(assign_lanes(blocks)) == lanes


def test_the_range_runs_from_the_earliest_opening_to_the_latest_closing_in_whole_hours():
    columns = [
        Column("a", [(8 * H + 30, 12 * H)]),
        Column("b", [(14 * H, 18 * H + 30)]),
        Column("closed today", []),
    ]
    assert time_range(columns) == (8 * H, 19 * H)
    assert time_range([Column("closed", [])]) is None
    assert lay_out([Column("closed", [])]).is_empty


def hall_head(min_duration=30):
    hall = Resource(id=7, name="Hall", granularity_minutes=15, min_duration_minutes=min_duration)
    return Head(
        hall, date(2026, 3, 3), "Hall", "Hall, mardi 3 mars", False, "/reservations/nouvelle"
    )


def test_the_table_rows_come_ready_to_print():
    head = hall_head()
    room = Column(
        head,
        [(8 * H, 10 * H)],
        [Block(9 * H, 9 * H + 30, 9 * H + 30, 1, "B")],
        closures=[(9 * H + 30, 10 * H, "Travaux")],
        bookable_from=8 * H + 30,
    )
    rows = row_views(lay_out([room]), scroll_row=2)
    assert [(r.css, r.time_css, r.time) for r in rows] == [
        ("d30", "time", "08:00"),
        ("d30", "time", "08:30"),
        ("d30 scroll-start", "time", "09:00"),
        ("d30", "time", "09:30"),
    ]
    assert [r.cells for r in rows] == [
        [CellView("locked", 1)],  # already past
        [
            CellView(
                "free",
                1,
                "/reservations/nouvelle?resource_id=7&date=2026-03-03&start=08:30&end=09:00",
                "08:30",
                "Hall, mardi 3 mars",
            )
        ],
        [CellView("booking", 1, block="B")],
        [CellView("closed", 1, text="Travaux")],
    ]


def test_rows_off_the_half_hour_are_minor_and_odd_lengths_have_no_height_class():
    room = Column(hall_head(), [(8 * H, 9 * H)], [Block(8 * H + 7, 8 * H + 30, 8 * H + 30)])
    rows = row_views(lay_out([room]))
    assert [(r.css, r.time_css, r.time) for r in rows[:3]] == [
        ("dx", "time", "08:00"),
        ("dx", "time minor", "08:07"),
        ("d15", "time minor", "08:15"),
    ]


@pytest.mark.parametrize(
    ("free_from", "free_until", "minimum", "end"),
    [
        (10 * H, 12 * H, 30, "11:00"),  # an hour by default
        (10 * H, 10 * H + 30, 30, "10:30"),  # no further than the free time
        (10 * H, 12 * H, 70, "11:15"),  # the minimum when longer, on the 15-minute step
        (23 * H + 30, 24 * H, 30, "00:00"),  # midnight, read as the end of the day
    ],
    ids=["hour", "until-free-end", "long-minimum", "midnight"],
)
def test_a_free_cell_links_to_the_form_prefilled_with_a_sensible_end(
    free_from, free_until, minimum, end
):
    head = hall_head(min_duration=minimum)
    room = Column(head, [(free_from, free_until)], cut=30)
    first = next(c for c in cells_of(lay_out([room]), head) if c.kind == "free")
    start = f"{free_from // H:02d}:{free_from % H:02d}"
    assert head.slot_url(first) == (
        f"/reservations/nouvelle?resource_id=7&date=2026-03-03&start={start}&end={end}"
    )


def test_the_cells_html_escapes_what_people_wrote():
    head = hall_head()
    block = BlockView(3, True, 'Atelier <script>alert("x")</script> & co', "09:00–09:30", "/r/1")
    room = Column(
        head,
        [(8 * H, 10 * H)],
        [Block(9 * H, 9 * H + 30, 9 * H + 30, 1, block)],
        closures=[(9 * H + 30, 10 * H, "Travaux <b>urgents</b>")],
    )
    html = "".join(row.cells_html for row in row_views(lay_out([room])))
    assert "<script>" not in html and "<b>" not in html
    assert "Atelier &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html
    assert "Fermé : Travaux &lt;b&gt;urgents&lt;/b&gt;" in html
    assert 'class="cell booking org-3 pending"><a class="block" href="/r/1"' in html
    # The free cells' links keep their parameters, the ampersands written as HTML wants them.
    assert 'href="/reservations/nouvelle?resource_id=7&amp;date=2026-03-03&amp;start=08:00' in html


def test_the_pages_write_the_rows_straight_from_the_grid_as_the_row_views_say():
    """rows_html_of (what the pages print) writes what rows_html writes of row_views, byte for
    byte: rooms and pooled equipment, free, locked, booked, buffered, full, closed, missing."""
    hall = hall_head()
    tables = Head(
        Resource(id=8, name="Tables & <chaises>", granularity_minutes=30, min_duration_minutes=60),
        date(2026, 3, 3),
        "Tables",
        'Tables & <chaises>, "mardi"',
        True,
        "/reservations/nouvelle",
    )
    late = BlockView(3, False, "Distribution <Restos>", "du 02/03 20:00 au 03/03 09:00", "")
    pending = BlockView(4, True, "Atelier", "09:00–09:30", "/reservations/12")
    room = Column(
        hall,
        [(2 * H, 12 * H), (14 * H, 22 * H)],
        [
            Block(6 * H, 9 * H, 9 * H + 15, 1, late),
            Block(10 * H, 10 * H + 30, 11 * H, 1, pending),
            Block(10 * H + 15, 11 * H + 30, 11 * H + 30, 1, pending),  # never allowed: shown
            Block(21 * H, 24 * H, 24 * H, 1, late),
        ],
        closures=[(15 * H, 16 * H, "Travaux <b>urgents</b>"), (17 * H, 18 * H, "")],
        missing=[(2 * H, 3 * H)],
        bookable_from=8 * H + 30,
        buffer=15,
        min_length=30,
    )
    pool = Column(
        tables,
        [(8 * H, 20 * H)],
        [Block(8 * H, 11 * H, 11 * H, 6, late), Block(9 * H, 12 * H, 12 * H, 4, pending)],
        capacity=10,
        cut=30,
    )
    for columns in ([room], [pool], [room, pool], [pool, room]):
        laid_out = lay_out(columns)
        for scroll in (None, 0, 3):
            assert rows_html_of(laid_out, scroll) == rows_html(row_views(laid_out, scroll))
    kinds_seen = {cell.kind for row in lay_out([room, pool]).rows for cell in row.cells}
    assert {"free", "booking", "buffer", "closed", "missing", "full", "busy", "empty"} <= kinds_seen


@pytest.mark.parametrize(
    "text", ["Hall d'accueil", 'a & b <c> "d"', "é\x00ü", "", "&&<<>>\"\"''", "\U0001f600 <€>"]
)
def test_the_grids_escape_as_markupsafe_does(text):
    expected = str(escape(text))
    assert escape_html(text) == escape_by_replace(text) == text.translate(HTML_ESCAPES) == expected
    assert type(escape_html(text)) is str  # not a Markup: the caller writes it into its HTML
