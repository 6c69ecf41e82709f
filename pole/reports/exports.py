"""The report as files: CSV for French spreadsheets (';', decimal comma, UTF-8 with BOM) and
XLSX through openpyxl (numbers as numbers, French headers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from pole.permanences.rules import APPOINTMENT_STATUS_LABELS
from pole.reports import rules
from pole.reports.services.usage import Figures, Report

HEADERS = [
    "Organisation",
    "Ressource",
    "Heures réservées",
    "Heures utilisées",
    "Réservations",
    "Annulations",
    "Annulations à moins de 48 h",
    "Demandes refusées",
    "Valeur (€)",
]
BUILDING = "Tout le bâtiment"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _numbers(f: Figures) -> list:
    return [
        round(f.minutes_booked / 60, 2),
        round(f.minutes_used / 60, 2),
        f.bookings,
        f.cancellations,
        f.late_cancellations,
        f.refused,
        f.value_cents / 100,
    ]


def usage_rows(report: Report) -> Iterator[list]:
    """One row per organisation and resource the reader may see, then the building's."""
    for block in report.associations:
        for line in block.lines:
            yield [block.organisation.name, line.resource.name, *_numbers(line.figures)]
        yield [block.organisation.name, "Total", *_numbers(block.total)]
    for line in report.building:
        yield [BUILDING, line.resource.name, *_numbers(line.figures)]
    yield [BUILDING, "Total", *_numbers(report.building_total)]


def _filename(report: Report, ext: str) -> str:
    p = report.period
    return f"rapport-pole-{p.first.isoformat()}-{p.last.isoformat()}.{ext}"


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in usage_rows(report):
        writer.writerow(
            [rules.decimal_comma(cell) if isinstance(cell, float) else cell for cell in row]
        )
    return out.getvalue()


def download_csv(report: Report) -> Response:
    body = ("\ufeff" + csv_text(report)).encode("utf-8")
    return _attachment(body, "text/csv; charset=utf-8", _filename(report, "csv"))


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list], first=False):  # noqa: ANN001, ANN202
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, header in zip(sheet.columns, headers, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = max(12, len(header) + 2)
    return sheet


def workbook(report: Report) -> Workbook:
    book = Workbook()
    usage = _sheet(book, "Utilisation", HEADERS, list(usage_rows(report)), first=True)
    for row in usage.iter_rows(min_row=2, min_col=3, max_col=4):
        for cell in row:
            cell.number_format = "0.00"
    for (cell,) in usage.iter_rows(min_row=2, min_col=9, max_col=9):
        cell.number_format = '#,##0.00 "€"'
    _sheet(
        book,
        "Occupation",
        ["Salle", "Heures réservées", "Heures d'ouverture", "Occupation"],
        [
            [
                o.resource.name,
                round(o.minutes_booked / 60, 2),
                round(o.minutes_open / 60, 2),
                float(o.ratio) if o.ratio is not None else None,
            ]
            for o in report.occupancy
        ],
    )
    for (cell,) in book["Occupation"].iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "0%"
    statuses = ["booked", "seen", "no_show", "cancelled"]
    _sheet(
        book,
        "Permanences",
        ["Association", "Motif", *(APPOINTMENT_STATUS_LABELS[s] for s in statuses)],
        [
            [
                line.organisation.name if line.organisation else "—",
                line.purpose_label,
                *(getattr(line.outcomes, s) for s in statuses),
            ]
            for line in report.permanences.lines
        ]
        + [["Total", "", *(getattr(report.permanences.total, s) for s in statuses)]]
        + [["Créneaux proposés", "", report.permanences.offered]],
    )
    return book


def download_xlsx(report: Report) -> Response:
    out = io.BytesIO()
    workbook(report).save(out)
    return _attachment(out.getvalue(), XLSX, _filename(report, "xlsx"))
