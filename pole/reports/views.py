"""The usage report, its exports, the yearly attestation, and the resources' values."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from pole import permissions
from pole.core.forms import apply_reasons
from pole.core.refusals import Refused
from pole.db import db, utcnow
from pole.extensions import login_manager
from pole.formatting import WEEKDAYS, format_hours
from pole.htmx import render
from pole.organisations.models import Organisation
from pole.reports import access, charts, exports, rules, tables
from pole.reports.forms import PeriodForm, ValueForm
from pole.reports.services import values as value_services
from pole.reports.services.usage import usage_report
from pole.resources.models import Site
from pole.resources.services import site_resources
from pole.sites.services import current_site
from pole.timeutil import to_local

bp = Blueprint("reports", __name__, url_prefix="/rapports")
bp.add_app_template_global(tables.figures_row, "report_figures_row")


def _require(allowed: bool) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not allowed:
        abort(403)


def _site() -> Site:
    site = current_site()
    if site is None:
        abort(404)
    if permissions.is_manager(current_user):  # a manager limited to other sites: not theirs
        _require(permissions.can_manage_site(current_user, site.id))
    return site


def _report_for_request():  # noqa: ANN202
    """The period form from the query string and the report it asks for, as the reader sees it."""
    _require(access.can_see_report(current_user))
    site = _site()
    now = utcnow()
    form = PeriodForm(request.args)
    form.validate()
    period = form.period(to_local(now, site.tz).date())
    own = None
    if not access.sees_every_association(current_user):
        own = {o.id for o in access.own_associations(current_user)}
    return form, usage_report(site, period, own, now)


@bp.get("/")
def index():
    """Show what the building gave over a period: hours, value, occupancy, permanences."""
    form, report = _report_for_request()
    status = 422 if any(f.errors for f in form) else 200
    heat_hours, heat_rows = rules.heat_rows(report.heat)
    return render(
        "reports/index.html",
        status=status,
        title="Rapport d'utilisation",
        form=form,
        report=report,
        hours=format_hours,
        euros=rules.format_euros,
        percent=rules.format_percent,
        query=request.query_string.decode(),
        heat_map=charts.heat_map(heat_hours, heat_rows, WEEKDAYS) if heat_hours else None,
    )


@bp.get("/rapport.csv")
def export_csv():
    """Download the report's figures as CSV for a French spreadsheet."""
    form, report = _report_for_request()
    if any(f.errors for f in form):
        abort(422)
    return exports.download_csv(report)


@bp.get("/rapport.xlsx")
def export_xlsx():
    """Download the report's figures as an XLSX spreadsheet."""
    form, report = _report_for_request()
    if any(f.errors for f in form):
        abort(422)
    return exports.download_xlsx(report)


@bp.get("/attestation/<int:organisation_id>/<int:year>")
def attestation(organisation_id: int, year: int):
    """Print an association's yearly attestation of in-kind value, for the CCAS to sign."""
    organisation = db.get_or_404(Organisation, organisation_id)
    _require(access.can_see_association_figures(current_user, organisation))
    if not 2000 <= year <= 2099:
        abort(404)
    report = usage_report(_site(), rules.whole_year(year), {organisation.id}, utcnow())
    block = next(b for b in report.associations if b.organisation.id == organisation.id)
    return render(
        "reports/attestation.html",
        title=f"Attestation de mise à disposition {year} · {organisation.name}",
        report=report,
        figures=block,
        year=year,
        hours=format_hours,
        euros=rules.format_euros,
        today=to_local(report.now, report.site.tz).date(),
    )


def _values_page(form: ValueForm, site: Site, status: int = 200):  # noqa: ANN202
    resources = site_resources(site)
    return render(
        "reports/values.html",
        block="value_form",
        status=status,
        title="Valeur des mises à disposition",
        form=form,
        resources=resources,
        values=value_services.values_by_resource([r.id for r in resources]),
    )


@bp.route("/valeurs", methods=["GET", "POST"])
def values():
    """Set what each room and piece of equipment is worth, from a date on (manager)."""
    _require(access.can_set_values(current_user))
    site = _site()
    form = ValueForm()
    form.resource_id.choices = [SelectChoice(r.id, r.name) for r in site_resources(site)]
    if not form.is_submitted():
        form.valid_from.data = to_local(utcnow(), site.tz).date()
    elif form.validate():
        try:
            value_services.set_value(_value_data(form), current_user.id)
        except Refused as refused:
            apply_reasons(form, refused.reasons)
        else:
            flash("La valeur est enregistrée.", "success")
            return redirect(url_for("reports.values"))
    return _values_page(form, site, 422 if form.is_submitted() else 200)


def _value_data(form: ValueForm) -> value_services.ValueData:
    by_hour = form.pricing.data == "hour"
    return value_services.ValueData(
        resource_id=form.resource_id.data,
        valid_from=form.valid_from.data,
        per_hour=form.per_hour.data if by_hour else None,
        per_half_day=None if by_hour else form.per_half_day.data,
        per_day=None if by_hour else form.per_day.data,
    )


@bp.app_context_processor
def report_helpers() -> dict:
    return {"can_see_report": access.can_see_report, "can_set_values": access.can_set_values}
