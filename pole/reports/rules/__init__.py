"""The report's arithmetic, pure: hours booked and used, occupancy, in-kind value, periods."""

from pole.reports.rules.heat import Cell, HeatRow, heat_level, heat_rows, weekly_heat
from pole.reports.rules.money import decimal_comma, format_euros, format_percent, parse_euros
from pole.reports.rules.periods import Period, month, quarter, whole_year
from pole.reports.rules.usage import (
    HALF_DAY_MINUTES,
    LATE_CANCELLATION,
    Value,
    check_value,
    closed_hours,
    closed_minutes,
    daily_minutes,
    day_value,
    in_kind_value,
    is_late_cancellation,
    minutes_booked,
    minutes_used,
    occupancy,
    opening_minutes,
    value_in_force,
)

__all__ = [
    "Cell",
    "HeatRow",
    "heat_level",
    "heat_rows",
    "weekly_heat",
    "HALF_DAY_MINUTES",
    "LATE_CANCELLATION",
    "Period",
    "Value",
    "check_value",
    "closed_hours",
    "closed_minutes",
    "daily_minutes",
    "day_value",
    "decimal_comma",
    "format_euros",
    "format_percent",
    "in_kind_value",
    "is_late_cancellation",
    "minutes_booked",
    "minutes_used",
    "month",
    "occupancy",
    "opening_minutes",
    "parse_euros",
    "quarter",
    "value_in_force",
    "whole_year",
]
