"""The social worker: publish a permanence, change its pattern, call a date off, her week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from pole import permissions
from pole.bookings import services as bookings
from pole.core.forms import apply_reasons
from pole.db import utcnow
from pole.htmx import render
from pole.permanences import rules, services
from pole.permanences.forms import CancelDateForm, ChangeForm, PatternForm, PublishForm, choices_of
from pole.permanences.models import Permanence
from pole.permanences.views import bp
from pole.permanences.views.loaders import get_permanence, monday_of, parse_day
from pole.timeutil import to_local

# The social worker ----------------------------------------------------------------------------


def _publish_form() -> PublishForm:
    form = PublishForm()
    form.resource_id.choices = choices_of(services.publishable_rooms())
    form.organisation_id.choices = choices_of(services.ccas_of(current_user))
    return form


def _skip_days(form: PatternForm) -> list[date]:
    """The clashing dates the person saw and agreed to leave out."""
    if not form.skip_conflicts.data:
        return []
    days = []
    for value in request.form.getlist("skip"):
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            continue
    return days


def _conflicts_text(conflicts: list[bookings.SeriesConflict]) -> list[tuple[date, str]]:
    return [(c.day, " ".join(r.message for r in c.reasons)) for c in conflicts]


# The room is booked as a series: its dates may clash, or the race for the room be lost.
ROOM_REFUSALS = (bookings.SeriesRefused, bookings.BookingRefused)


def _show_refusal(form: PatternForm, refused: Exception, no_dates: str) -> list:
    """Put a refusal on the form; the clashing dates, if any, come back to be listed."""
    if isinstance(refused, bookings.SeriesRefused):
        conflicts = _conflicts_text(refused.conflicts)
        if not conflicts:
            form.form_errors.append(no_dates)
        return conflicts
    if isinstance(refused, services.PermanenceRefused):
        apply_reasons(form, refused.reasons)
    else:
        form.form_errors.extend(r.message for r in refused.reasons)
    return []


@bp.route("/publier", methods=["GET", "POST"])
def publish():
    """Publish a permanence: its room is booked for those hours, its slots open to volunteers."""
    if not permissions.can_publish_permanence(current_user):
        abort(403)
    form = _publish_form()
    conflicts: list = []
    if form.validate_on_submit():
        try:
            permanence = services.publish_permanence(form.to_data(), current_user, _skip_days(form))
        except (services.PermanenceRefused, *ROOM_REFUSALS) as refused:
            conflicts = _show_refusal(form, refused, "Aucune date à publier entre ces deux jours.")
        else:
            flash(
                "Permanence publiée : la salle est réservée et les créneaux sont ouverts.",
                "success",
            )
            return redirect(url_for("permanences.show", permanence_id=permanence.id))
    return render(
        "permanences/publish.html",
        status=422 if form.is_submitted() else 200,
        title="Publier une permanence",
        form=form,
        conflicts=conflicts,
    )


@bp.get("/<int:permanence_id>")
def show(permanence_id: int):
    """Show a permanence to its social worker: pattern, coming dates and their filling."""
    permanence = get_permanence(permanence_id, manage=True)
    now = utcnow()
    today = to_local(now, services.tz_of(permanence)).date()
    sessions = services.sessions_of(
        permanence, today, today + timedelta(weeks=8), current_user, now
    )
    return render(
        "permanences/show.html",
        title=permanence.title,
        permanence=permanence,
        sessions=rules.still_to_come(sessions, now),
        cancel_form=CancelDateForm(formdata=None),
        describe=rules.describe,
        now=now,
    )


@bp.route("/<int:permanence_id>/modifier", methods=["GET", "POST"])
def change(permanence_id: int):
    """Change the pattern from a date on; earlier dates keep their appointments."""
    permanence = get_permanence(permanence_id, manage=True)
    now = utcnow()
    form = ChangeForm()
    if not form.is_submitted():
        _fill_from_current(form, permanence, now)
    conflicts: list = []
    if form.validate_on_submit():
        try:
            outcome = services.change_pattern(
                permanence.id, form.to_data(), current_user, _skip_days(form)
            )
        except (services.PermanenceRefused, *ROOM_REFUSALS) as refused:
            conflicts = _show_refusal(
                form, refused, "Aucune date de permanence entre ces deux jours."
            )
        else:
            flash(_outcome_text("Nouveaux horaires enregistrés.", outcome), "success")
            return redirect(url_for("permanences.show", permanence_id=permanence.id))
    return render(
        "permanences/change.html",
        status=422 if form.is_submitted() else 200,
        title=f"Modifier — {permanence.title}",
        permanence=permanence,
        form=form,
        conflicts=conflicts,
    )


def _fill_from_current(form: ChangeForm, permanence: Permanence, now: datetime) -> None:
    today = to_local(now, services.tz_of(permanence)).date()
    patterns = permanence.rule_patterns()
    current = rules.pattern_on(patterns, today) or (patterns[-1] if patterns else None)
    if current is None:
        return
    form.weekdays.data = sorted(current.weekdays)
    form.start_time.data, form.end_time.data = current.start, current.end
    form.slot_minutes.data = current.slot_minutes
    form.pause_start.data, form.pause_end.data = current.pause_start, current.pause_end
    form.first_day.data = max(today, current.valid_from)
    form.until.data = current.until


def _outcome_text(done: str, outcome: services.Outcome) -> str:
    if not outcome.cancelled:
        return done + " Aucun rendez-vous n'était pris."
    text = f"{done} {outcome.cancelled} rendez-vous annulé(s) ; prévenu(s) : "
    text += ", ".join(outcome.notified) + "."
    return text


@bp.post("/<int:permanence_id>/jour/<day>/annuler")
def cancel_date(permanence_id: int, day: str):
    """Call one date off: slots cancelled, room released, associations told."""
    permanence = get_permanence(permanence_id, manage=True)
    the_day = parse_day(day)
    form = CancelDateForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors), "error")
        return redirect(url_for("permanences.show", permanence_id=permanence.id))
    try:
        outcome = services.cancel_date(permanence.id, the_day, current_user, form.reason.data or "")
    except (services.PermanenceRefused, bookings.BookingRefused) as refused:
        flash(str(refused), "error")
    else:
        flash(_outcome_text("Date annulée, salle libérée.", outcome), "success")
    return redirect(url_for("permanences.show", permanence_id=permanence.id))


@bp.get("/semaine")
def week():
    """Show a week of permanences and how full they are."""
    if not permissions.can_publish_permanence(current_user):
        abort(403)
    now = utcnow()
    first = monday_of(now)
    if request.args.get("du"):
        chosen = parse_day(request.args["du"])
        first = chosen - timedelta(days=chosen.weekday())
    return render(
        "permanences/week.html",
        title="Semaine des permanences",
        monday=first,
        previous=first - timedelta(days=7),
        following=first + timedelta(days=7),
        sessions=services.week_sessions(current_user, first, now),
        now=now,
    )
