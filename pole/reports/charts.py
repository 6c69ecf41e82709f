"""The heat map as server-rendered SVG beside its table, written in Python: it has a cell per
weekday and hour, twice, and a Jinja macro call per cell cost more than the report's sums."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pole.reports.rules import HeatRow, format_percent

CELL_WIDTH, CELL_HEIGHT, LEFT, TOP = 30, 26, 44, 22
_LEGEND = """  <figcaption class="heat-legend">
    <span><span class="heat-key heat-0" aria-hidden="true"></span> fermé</span>
    <span><span class="heat-key heat-1" aria-hidden="true"></span> vide</span>
    <span><span class="heat-key heat-2" aria-hidden="true"></span> moins d'un quart</span>
    <span><span class="heat-key heat-3" aria-hidden="true"></span> un quart à la moitié</span>
    <span><span class="heat-key heat-4" aria-hidden="true"></span> la moitié aux trois quarts</span>
    <span><span class="heat-key heat-5" aria-hidden="true"></span> plus des trois quarts</span>
  </figcaption>
"""


def heat_map(hours: Sequence[int], rows: Sequence[HeatRow], weekdays: Sequence[str]) -> Markup:
    """The share of the rooms' opening hours booked, by weekday and hour: an SVG chart (a
    shaded square per cell, its figure in its title) and the table that says the same."""
    cw, ch = CELL_WIDTH, CELL_HEIGHT
    width = LEFT + cw * len(hours)
    height = TOP + ch * len(rows)
    svg = [
        '<figure class="chart heat-map">\n'
        f'  <svg viewBox="0 0 {width} {height + 4}" width="{width}" role="img"'
        ' aria-labelledby="heat-title" aria-describedby="heat-table-caption" class="heat-svg">\n'
        '    <title id="heat-title">Carte de chaleur : part des heures d\'ouverture réservées,'
        " par jour et par heure</title>\n    "
    ]
    svg.extend(
        f'<text x="{LEFT + cw * i + cw / 2}" y="15" text-anchor="middle"'
        f' class="heat-label">{hour}h</text>'
        for i, hour in enumerate(hours)
    )
    table = []
    for n, row in enumerate(rows):
        y = TOP + ch * n
        day = str(escape(weekdays[row.weekday]))
        svg.append(
            f'\n    <text x="0" y="{y + ch / 2 + 5}" class="heat-label">'
            f"{escape(weekdays[row.weekday][:3])}.</text>\n"
        )
        cells = []
        for i, (hour, cell, shade) in enumerate(row.cells):
            figure = format_percent(cell.ratio) if shade else ""
            svg.append(
                f'    <rect x="{LEFT + cw * i + 1}" y="{y + 1}" width="{cw - 2}"'
                f' height="{ch - 2}" rx="3" class="heat-{shade}"><title>{day} {hour}h : '
                f"{figure or 'fermé'}</title></rect>\n"
            )
            cells.append(
                f'<td class="num">{figure}</td>'
                if shade
                else '<td class="num"><span class="muted">fermé</span></td>'
            )
        table.append(f'      <tr><th scope="row">{day}</th>{"".join(cells)}</tr>\n')
    header = "".join(f'<th scope="col" class="num">{hour}h</th>' for hour in hours)
    return Markup(  # noqa: S704 (ints, computed percentages and escaped weekday names)
        "".join(svg) + "  </svg>\n" + _LEGEND + "</figure>\n"
        '<div class="table-wrap heat-table" tabindex="0" role="region"'
        ' aria-label="Tableau de la carte de chaleur">\n'
        "  <table>\n"
        '    <caption id="heat-table-caption">Part des heures d\'ouverture des salles réservées,'
        " par jour et par heure</caption>\n"
        f'    <thead><tr><th scope="col">Jour</th>{header}</tr></thead>\n'
        "    <tbody>\n" + "".join(table) + "    </tbody>\n  </table>\n</div>\n"
    )
