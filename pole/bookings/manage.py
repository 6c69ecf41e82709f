"""The building manager's booking screens: approval queue and closures."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/gestion")
