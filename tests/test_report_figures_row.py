"""A row of the report's figures tables, written in Python, is the markup the Jinja macro it
replaced wrote, byte for byte, names with markup characters escaped."""

from __future__ import annotations

import jinja2
import pytest

from pole.formatting import format_hours
from pole.reports.rules import format_euros
from pole.reports.services.usage import Figures
from pole.reports.tables import figures_row

MACRO = """{% macro figures_row(name, f, hours, euros, first_label) %}
<tr>
  <th scope="row" data-label="{{ first_label }}">{{ name }}</th>
  <td class="num" data-label="Heures réservées">{{ hours(f.minutes_booked) }}</td>
  <td class="num" data-label="Heures utilisées">{{ hours(f.minutes_used) }}</td>
  <td class="num" data-label="Réservations">{{ f.bookings }}</td>
  <td class="num" data-label="Annulations">{{ f.cancellations }}</td>
  <td class="num" data-label="dont à moins de 48 h">{{ f.late_cancellations }}</td>
  <td class="num" data-label="Demandes refusées">{{ f.refused }}</td>
  <td class="num" data-label="Valeur">{{ euros(f.value_cents) }}</td>
</tr>
{% endmacro %}"""


@pytest.mark.parametrize(
    ("name", "label", "figures"),
    [
        ("Hall d'accueil", "Ressource", Figures(80040, 40380, 505, 13, 2, 1, 1766800)),
        ('<b>"Salle" & co</b>', "Organisation", Figures(90, 0, 1, 0, 0, 0, 1250)),
        ("Total", "Ressource", Figures()),
        ("Cuisine équipée", 'Ress<"ource">', Figures(47250, 23370, 377, 11, 0, 5, 1066000)),
    ],
)
def test_a_row_is_what_the_macro_wrote(name: str, label: str, figures: Figures) -> None:
    environment = jinja2.Environment(autoescape=True)
    macro = environment.from_string(MACRO).module.figures_row
    expected = str(macro(name, figures, format_hours, format_euros, label))
    assert str(figures_row(name, figures, format_hours, format_euros, label)) == expected
