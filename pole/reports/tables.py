"""The figures tables' rows, written in Python: a row per resource and a total, in every
table of the report, and a Jinja macro call with nine escapes per row cost more than the
row's figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape


def figures_row(
    name: str,
    f: Any,  # noqa: ANN401 (the report's Figures)
    hours: Callable[[int], str],
    euros: Callable[[int], str],
    first_label: str,
) -> Markup:
    """One line of figures, the markup the former `figures_row` macro wrote, byte for byte:
    the name and the first column's label are escaped (people wrote them), the rest are
    numbers and the formatters' text (escaped too, as the template did)."""
    return Markup(  # noqa: S704 (every piece is escaped or an int)
        f'\n<tr>\n  <th scope="row" data-label="{escape(first_label)}">{escape(name)}</th>\n'
        f'  <td class="num" data-label="Heures réservées">{escape(hours(f.minutes_booked))}</td>\n'
        f'  <td class="num" data-label="Heures utilisées">{escape(hours(f.minutes_used))}</td>\n'
        f'  <td class="num" data-label="Réservations">{int(f.bookings)}</td>\n'
        f'  <td class="num" data-label="Annulations">{int(f.cancellations)}</td>\n'
        f'  <td class="num" data-label="dont à moins de 48 h">{int(f.late_cancellations)}</td>\n'
        f'  <td class="num" data-label="Demandes refusées">{int(f.refused)}</td>\n'
        f'  <td class="num" data-label="Valeur">{escape(euros(f.value_cents))}</td>\n'
        "</tr>\n"
    )
