"""Booking screens: the building day view, a resource's week, the booking form and pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bookings", __name__)
