"""The usage report on real databases: figures, who sees what, values, exports, attestation,
and permanence figures that outlive the retention purge."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from pole.auth.models import User
from pole.db import db, utcnow, write_transaction
from pole.events.models import Event
from pole.events.record import record
from pole.organisations.models import Organisation
from pole.permanences import rules as permanence_rules
from pole.permanences.models import Appointment
from pole.permanences.services import purge
from pole.reports import rules
from pole.reports.models import AppointmentCount, ResourceValue
from pole.reports.services.usage import bounds, usage_report
from pole.resources.models import Resource, Site
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_permanence,
    make_resource,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Building:
    site: Site
    hall: Resource
    restos: Organisation
    epicerie: Organisation
    manager: User
    coordinator: User  # of the Restos
    volunteer: User  # of the Restos
    social_worker: User
    year: int  # last year: every booking of it is past


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(date(year, month, day), time(hour, minute), PARIS)


@pytest.fixture()
def building(app) -> Building:
    hall = make_resource(name="Grand hall")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    epicerie = make_organisation(name="Épicerie solidaire", short_name="Épicerie")
    ccas = make_organisation(kind="ccas", name="CCAS", short_name="CCAS")
    year = to_local(utcnow(), PARIS).year - 1
    with write_transaction():
        db.session.add_all(
            [
                ResourceValue(
                    resource_id=hall.id, valid_from=date(year, 1, 1), per_hour_cents=2500
                ),
                ResourceValue(
                    resource_id=hall.id, valid_from=date(year, 7, 1), per_hour_cents=3000
                ),
            ]
        )
    return Building(
        site=hall.site,
        hall=hall,
        restos=restos,
        epicerie=epicerie,
        manager=make_user(is_manager=True),
        coordinator=make_user(restos, role="coordinator"),
        volunteer=make_user(restos),
        social_worker=make_user(ccas, is_social_worker=True),
        year=year,
    )


def cancelled(building: Building, start: datetime, hours_before: int):
    booking = make_booking(building.hall, building.restos, start, 2, status="cancelled")
    with write_transaction():
        record(
            "booking.cancelled",
            actor=None,
            now=start - timedelta(hours=hours_before),
            booking=db.session.get(type(booking), booking.id),
        )
    return booking


@pytest.fixture()
def used_year(building: Building) -> Building:
    """The Restos' year in the hall: 2 h at 25 €/h, 3 h at 30 €/h, one pending hour, two
    cancellations (one late) and one refusal; the Épicerie used it 1 h."""
    y, hall, restos = building.year, building.hall, building.restos
    make_booking(hall, restos, at(y, 3, 2, 10), 2)
    make_booking(hall, restos, at(y, 8, 3, 9), 3)
    make_booking(hall, restos, at(y, 9, 1, 9), 1, status="pending")
    cancelled(building, at(y, 4, 1, 10), hours_before=24)
    cancelled(building, at(y, 4, 8, 10), hours_before=24 * 7)
    make_booking(hall, restos, at(y, 5, 5, 10), 2, status="rejected")
    make_booking(hall, building.epicerie, at(y, 5, 6, 10), 1)
    return building


def test_the_report_counts_an_associations_hours_value_cancellations_and_refusals(used_year):
    b = used_year
    report = usage_report(b.site, rules.whole_year(b.year))
    restos = next(x for x in report.associations if x.organisation.id == b.restos.id)
    f = restos.total
    assert (f.minutes_booked, f.minutes_used) == (6 * 60, 5 * 60)
    assert (f.bookings, f.cancellations, f.late_cancellations, f.refused) == (3, 2, 1, 1)
    assert f.value_cents == 2 * 2500 + 3 * 3000  # the July price from July on only
    assert report.building_total.minutes_used == 6 * 60
    assert report.building_total.value_cents == 2 * 2500 + 3 * 3000 + 2500


def test_a_month_counts_only_its_own_bookings(used_year):
    b = used_year
    report = usage_report(b.site, rules.month(b.year, 3))
    assert report.building_total.minutes_used == 120
    assert report.building_total.value_cents == 5000
    lo, hi = bounds(rules.month(b.year, 3), b.site)
    assert to_local(lo, PARIS).day == 1 and to_local(hi, PARIS).month == 4


def test_the_manager_and_the_ccas_see_every_association(used_year, login_as, client):
    for reader in (used_year.manager, used_year.social_worker):
        page = page_text(login_as(reader).get(f"/rapports/?kind=year&year={used_year.year}"))
        assert "Restos du cœur" in page and "Épicerie solidaire" in page
        assert "140\u00a0€" in page and "165\u00a0€" in page  # the Restos', the building's


def test_a_coordinator_sees_her_association_and_the_buildings_totals(used_year, login_as):
    response = login_as(used_year.coordinator).get(f"/rapports/?kind=year&year={used_year.year}")
    page = page_text(response)
    assert response.status_code == 200
    assert "Restos du cœur" in page and "Épicerie solidaire" not in page
    assert "165\u00a0€" in page  # the building's total


def test_a_volunteer_and_a_visitor_do_not_read_the_report(used_year, login_as, client):
    assert client.get("/rapports/").status_code in (302, 401)
    assert login_as(used_year.volunteer).get("/rapports/").status_code == 403


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "kind=dates&first_day=2026-03-10&last_day=2026-03-01",
            "last_day",
            "La fin vient avant le début.",
        ),
        ("kind=dates&first_day=2026-03-10", "last_day", "Indiquez une date comme 14/03/2026."),
        ("kind=dates&first_day=2020-01-01&last_day=2026-01-01", "last_day", "Trois ans au plus."),
        ("kind=year&year=1999", "year", "Choisissez une année entre 2000 et 2099."),
        ("kind=year&year=abc", "year", "N'est pas un entier valide."),
        ("kind=quarter&quarter=9", "quarter", "N'est pas un choix valide."),
    ],
    ids=[
        "end before start",
        "no end",
        "more than three years",
        "old year",
        "not a year",
        "no such quarter",
    ],
)
def test_a_wrong_period_comes_back_with_its_error(building, login_as, query, field, message):
    response = login_as(building.manager).get(f"/rapports/?{query}")
    assert response.status_code == 422
    assert errors_beside(response, field) == [message]
    assert login_as(building.manager).get(f"/rapports/rapport.csv?{query}").status_code == 422


def test_the_csv_is_what_a_french_spreadsheet_reads(used_year, login_as):
    response = login_as(used_year.manager).get(f"/rapports/rapport.csv?year={used_year.year}")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Organisation", "Ressource", "Heures réservées", "Heures utilisées"]
    assert ["Restos du cœur", "Grand hall", "6", "5", "3", "2", "1", "1", "140"] in rows
    assert ["Tout le bâtiment", "Total", "7", "6", "4", "2", "1", "1", "165"] in rows


def test_a_coordinators_csv_holds_only_her_association(used_year, login_as):
    response = login_as(used_year.coordinator).get(f"/rapports/rapport.csv?year={used_year.year}")
    text = response.data.decode("utf-8-sig")
    assert "Restos du cœur" in text and "Épicerie" not in text


def test_the_xlsx_holds_numbers_under_french_headers(used_year, login_as):
    response = login_as(used_year.manager).get(f"/rapports/rapport.xlsx?year={used_year.year}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Utilisation"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][-1] == "Valeur (€)"
    restos = next(r for r in rows if r[:2] == ["Restos du cœur", "Grand hall"])
    assert restos[2:] == [6, 5, 3, 2, 1, 1, 140]
    assert isinstance(restos[-1], float | int)


def test_the_attestation_gives_hours_and_value_for_the_ccas_to_sign(used_year, login_as):
    b = used_year
    page = page_text(login_as(b.coordinator).get(f"/rapports/attestation/{b.restos.id}/{b.year}"))
    assert "Restos du cœur" in page and f"Année {b.year}" in page
    assert "Grand hall" in page and "5 h" in page and "140\u00a0€" in page
    assert "Pour le CCAS" in page


def test_an_attestation_is_for_its_own_association(used_year, login_as):
    b = used_year
    response = login_as(b.coordinator).get(f"/rapports/attestation/{b.epicerie.id}/{b.year}")
    assert response.status_code == 403
    assert login_as(b.manager).get(f"/rapports/attestation/999999/{b.year}").status_code == 404


def test_the_manager_sets_a_value_from_today(building, login_as):
    today = to_local(utcnow(), PARIS).date()
    office = make_resource(name="Bureau 1")
    client = login_as(building.manager)
    response = client.post(
        "/rapports/valeurs",
        data={
            "resource_id": office.id,
            "valid_from": today.isoformat(),
            "pricing": "hour",
            "per_hour": "8",
        },
    )
    assert response.status_code == 302
    value = db.session.scalar(
        db.select(ResourceValue).where(ResourceValue.resource_id == office.id)
    )
    assert (value.valid_from, value.per_hour_cents, value.per_day_cents) == (today, 800, None)
    event = db.session.scalar(db.select(Event).where(Event.kind == "resource_value.set"))
    assert (event.actor_id, event.resource_id, event.after["per_hour"]) == (
        building.manager.id,
        office.id,
        800,
    )
    assert "8\u00a0€/h" in page_text(client.get("/rapports/valeurs"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"per_hour": "abc"}, "per_hour", "Indiquez un montant en euros, par exemple 25 ou 12,50."),
        ({"per_hour": ""}, "per_hour", "Indiquez la valeur d'une heure."),
        ({"valid_from": ""}, "valid_from", "Indiquez une date comme 14/03/2026."),
        (
            {"pricing": "day", "per_hour": ""},
            "per_day",
            "Indiquez la valeur d'une demi-journée, d'une journée, ou des deux.",
        ),
        (
            {"valid_from": "yesterday"},
            "valid_from",
            "Un changement de valeur s'applique à partir d'aujourd'hui au plus tôt : "
            "les périodes passées gardent leur valeur.",
        ),
    ],
    ids=["not an amount", "no hourly value", "no date", "no day value", "retroactive"],
)
def test_a_wrong_value_comes_back_with_its_error_and_changes_nothing(
    building, login_as, data, field, message
):
    yesterday = to_local(utcnow(), PARIS).date() - timedelta(days=1)
    form = {
        "resource_id": building.hall.id,
        "valid_from": to_local(utcnow(), PARIS).date().isoformat(),
        "pricing": "hour",
        "per_hour": "40",
        **data,
    }
    if form["valid_from"] == "yesterday":
        form["valid_from"] = yesterday.isoformat()
    before = db.session.scalars(db.select(ResourceValue.id).order_by(ResourceValue.id)).all()
    response = login_as(building.manager).post("/rapports/valeurs", data=form)
    assert response.status_code == 422
    assert errors_beside(response, field) == [message]
    db.session.rollback()
    assert (
        db.session.scalars(db.select(ResourceValue.id).order_by(ResourceValue.id)).all() == before
    )


def test_only_the_manager_sets_values(building, login_as):
    assert login_as(building.coordinator).get("/rapports/valeurs").status_code == 403
    assert login_as(building.social_worker).get("/rapports/valeurs").status_code == 403


def _book_appointments(permanence, restos: Organisation) -> list[Appointment]:
    tz = PARIS
    first = min(p.valid_from for p in permanence.patterns)
    last = max(p.until for p in permanence.patterns)
    slots = permanence_rules.slots_between(permanence.rule_patterns(), first, last, tz)
    outcomes = ["seen", "no_show", "seen", "booked", "cancelled", "seen"]
    purposes = ["logement", "budget", "logement", "droits", "sante", "logement"]
    with write_transaction():
        for slot, status, purpose in zip(slots[::3], outcomes, purposes, strict=False):
            db.session.add(
                Appointment(
                    permanence_id=permanence.id,
                    day=slot.day,
                    start=slot.start,
                    end=slot.end,
                    organisation_id=restos.id,
                    purpose=purpose,
                    status=status,
                    beneficiary_ref="M.D.",
                )
            )
    return slots


def test_the_years_permanence_figures_are_the_same_after_the_purge(building):
    permanence = make_permanence(social_worker=building.social_worker)
    slots = _book_appointments(permanence, building.restos)
    period = rules.Period(
        rules.month(slots[0].day.year, slots[0].day.month).first,
        rules.month(slots[-1].day.year, slots[-1].day.month).last,
    )
    before = usage_report(building.site, period).permanences

    purged = purge(0, now=slots[-1].end + timedelta(days=1))

    assert purged.appointments == 6
    assert db.session.scalar(db.select(db.func.count()).select_from(Appointment)) == 0
    assert db.session.scalar(db.select(db.func.sum(AppointmentCount.count))) == 6
    after = usage_report(building.site, period).permanences
    assert after.offered == before.offered == len(slots)
    assert after.total == before.total
    assert (after.total.seen, after.total.no_show, after.total.taken) == (3, 1, 5)
    assert [(x.purpose, x.outcomes) for x in after.lines] == [
        (x.purpose, x.outcomes) for x in before.lines
    ]


def test_the_report_draws_its_charts_without_script_each_beside_its_table(used_year, login_as):
    response = login_as(used_year.manager).get(
        f"/rapports/?kind=month&month=3&year={used_year.year}"
    )
    page = page_text(response)
    assert response.status_code == 200
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert 'aria-describedby="heat-table-caption"' in page
    assert "Part des heures d'ouverture des salles réservées" in page
    # 2 March 10:00–11:00 is one of March's four or five such hours of that weekday.
    weekday = date(used_year.year, 3, 2).weekday()
    n = sum(1 for d in range(1, 32) if date(used_year.year, 3, d).weekday() == weekday)
    assert f'<td class="num">{rules.format_percent(Fraction(1, n))}</td>' in page


def test_the_demo_building_has_a_meaningful_half_year_and_public_page(app, client):
    from pole.demo import load

    load("demo-password-for-tests", past=True)
    site = db.session.scalar(db.select(Site))
    today = to_local(utcnow(), PARIS).date()
    report = usage_report(site, rules.Period(today - timedelta(weeks=26), today))
    names = {b.organisation.short_name: b.total for b in report.associations}
    for short in ("Restos", "Épicerie", "Secours cath.", "Secours pop.", "CAF"):
        assert names[short].minutes_used > 0 and names[short].value_cents > 0, short
    assert report.building_total.cancellations > 0
    assert report.building_total.late_cancellations > 0
    page = page_text(client.get("/le-pole/"))
    assert "Épicerie ouverte mercredi et vendredi 14:00–18:00" in page
