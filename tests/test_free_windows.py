"""Free windows of a day ("libre 12:00–20:00") and the free times a search keeps."""

from __future__ import annotations

import pytest

from pole.bookings.rules.windows import Window, enough, fitting, free_windows

H = 60
DAY = [(8 * H, 20 * H)]


def spans(windows):
    return [(w.start / H, w.end / H) for w in windows]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, [(8, 20)], id="nothing-booked"),
        pytest.param({"busy": [(10 * H, 12 * H, 1)]}, [(8, 10), (12, 20)], id="one-booking"),
        pytest.param(
            {"busy": [(8 * H, 12 * H, 1), (12 * H, 20 * H, 1)]}, [], id="touching-bookings-fill"
        ),
        pytest.param(
            {"busy": [(10 * H, 12 * H + 30, 1)], "buffer": 30},
            [(8, 9.5), (12.5, 20)],
            id="buffer-after-and-before",
        ),
        pytest.param(
            {"closures": [(14 * H, 16 * H, "Travaux")]}, [(8, 14), (16, 20)], id="closure"
        ),
        pytest.param({"closures": [(0, 1440, "Férié")]}, [], id="closed-all-day"),
        pytest.param({"bookable_from": 13 * H}, [(13, 20)], id="past-is-not-free"),
        pytest.param(
            {"busy": [(9 * H, 10 * H + 30, 1)], "min_length": 90}, [(10.5, 20)], id="too-short"
        ),
        pytest.param({"busy": [(7 * H, 9 * H, 1)]}, [(9, 20)], id="booking-from-before-opening"),
        pytest.param({"missing": [(2 * H, 3 * H)]}, [(8, 20)], id="spring-hour-outside-opening"),
    ],
)
def test_a_rooms_free_windows_are_opening_minus_bookings_buffers_and_closures(kwargs, expected):
    assert spans(free_windows(DAY, **kwargs)) == expected


def test_two_opening_spans_stay_two_windows():
    assert spans(free_windows([(8 * H, 12 * H), (14 * H, 18 * H)])) == [(8, 12), (14, 18)]


def test_pooled_equipment_is_free_while_a_unit_is_left_and_says_how_many():
    windows = free_windows(DAY, [(10 * H, 12 * H, 4), (11 * H, 13 * H, 6)], capacity=10, buffer=30)
    assert windows == [
        Window(8 * H, 10 * H, 10),
        Window(10 * H, 11 * H, 6),
        Window(12 * H, 13 * H, 4),
        Window(13 * H, 20 * H, 10),
    ]


def test_enough_joins_pooled_windows_that_leave_the_units_needed():
    windows = [Window(8 * H, 10 * H, 10), Window(10 * H, 11 * H, 6), Window(13 * H, 20 * H, 10)]
    assert enough(windows, 5) == [Window(8 * H, 11 * H, 6), Window(13 * H, 20 * H, 10)]
    assert enough(windows, 8) == [Window(8 * H, 10 * H, 10), Window(13 * H, 20 * H, 10)]


@pytest.mark.parametrize(
    ("earliest", "latest", "duration", "step", "expected"),
    [
        pytest.param(14 * H, 18 * H, 120, 30, [(14, 17)], id="afternoon"),
        pytest.param(8 * H, 20 * H, 600, 30, [], id="nothing-long-enough"),
        pytest.param(9 * H + 10, 12 * H, 60, 30, [(9.5, 12)], id="starts-on-the-grid"),
    ],
)
def test_fitting_keeps_the_parts_of_windows_that_hold_the_duration(
    earliest, latest, duration, step, expected
):
    windows = [Window(8 * H, 17 * H), Window(17 * H + 30, 18 * H + 30)]
    assert spans(fitting(windows, earliest, latest, duration, step)) == expected
