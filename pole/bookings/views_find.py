"""Trouver un créneau: the search page (same blueprint)."""

from __future__ import annotations

from itertools import groupby

from flask import request

from pole.bookings import agenda, finder
from pole.bookings.find_forms import FindForm
from pole.bookings.views import _viewer, bp, site_or_404
from pole.htmx import render


@bp.get("/agenda/trouver", endpoint="find")
def find_slot():
    """Find the free resources and times for a day or a few, a moment, a duration, a group."""
    site = site_or_404()
    asked = bool(request.args)
    form = FindForm(request.args if asked else None)
    if not asked:
        form.date.data = agenda.today(site)
    answers = None
    status = 200
    if asked:
        if form.validate():
            answers = finder.find(site, form.query(), _viewer())
        else:
            status = 422
    return render(
        "bookings/find.html",
        block="find_results",
        status=status,
        title="Trouver un créneau",
        form=form,
        days=[(day, list(found)) for day, found in groupby(answers or [], lambda a: a.day)],
        searched=answers is not None,
    )
