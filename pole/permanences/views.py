"""Permanence screens: free slots for volunteers, publishing, the social worker's week and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_blocks

from pole import permissions
from pole.bookings import services as bookings
from pole.core.forms import apply_reasons
from pole.db import db, utcnow
from pole.forms import FIRST_DAY, LAST_DAY
from pole.htmx import render, wants_fragment
from pole.permanences import rules, services
from pole.permanences.forms import (
    CancelDateForm,
    ChangeForm,
    PatternForm,
    PublishForm,
    book_form,
    choices_of,
)
from pole.permanences.models import Appointment, Permanence
from pole.timeutil import format_day, to_local
from pole.urls import safe_next

bp = Blueprint("permanences", __name__, url_prefix="/permanences")

SLOT_KEY = "%Y%m%dT%H%MZ"

# Templates ask the rules (can_cancel(appointment, now)...) instead of restating them.
for _rule in (rules.can_cancel, rules.can_call_off, rules.can_mark_absent):
    bp.add_app_template_global(_rule)


@bp.before_request
@login_required
def require_login() -> None:
    """Permanences are for logged-in people: they name associations and their appointments."""


@bp.app_template_filter("slot_key")
def slot_key(start: datetime) -> str:
    """A slot in URLs and element ids: its UTC start, '20260312T1330Z'."""
    return start.astimezone(UTC).strftime(SLOT_KEY)


@bp.app_context_processor
def home_helpers() -> dict:
    return {"permanences_home": _home_summary}


def _home_summary() -> dict:
    """What the home page shows of permanences: notices, and the social worker's week."""
    if not current_user.is_authenticated:
        return {}
    if "permanences_home" not in g:
        now = utcnow()
        summary: dict = {"notices": services.notices_for(current_user, now)}
        if current_user.is_social_worker:
            today = to_local(now, _site_tz()).date()
            summary["week"] = services.week_sessions(current_user, today, now)
        g.permanences_home = summary
    return g.permanences_home


# Loaders --------------------------------------------------------------------------------------


def parse_slot_key(key: str) -> datetime:
    """A slot's UTC start from its key, or 404 for a key that names no slot we could hold."""
    try:
        start = datetime.strptime(key, SLOT_KEY).replace(tzinfo=UTC)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= start.date() <= LAST_DAY:
        abort(404)  # and local times near year 1 or 9999 would overflow
    return start


def parse_day(value: str) -> date:
    """A date in a URL, 2000 to 2099, or 404."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(404)
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(404)
    return day


def get_permanence(permanence_id: int, manage: bool = False) -> Permanence:
    """Load a permanence or 404; with `manage`, 403 for anyone but its social worker or manager."""
    permanence = db.get_or_404(Permanence, permanence_id)
    if manage and not permissions.can_manage_permanence(current_user, permanence):
        abort(403)
    return permanence


def get_day_sheet(permanence_id: int) -> Permanence:
    """Load a permanence whose appointments only its social worker reads, or 404/403."""
    permanence = get_permanence(permanence_id)
    if not permissions.can_see_day_sheet(current_user, permanence):
        abort(403)
    return permanence


def get_appointment(appointment_id: int) -> Appointment:
    """Load an appointment or 404; 403 unless it is the viewer's association's or sheet's."""
    appointment = db.get_or_404(Appointment, appointment_id)
    if not permissions.can_see_appointment(current_user, appointment):
        abort(403)
    return appointment


def _monday(now: datetime) -> date:
    day = to_local(now, _site_tz()).date()
    return day - timedelta(days=day.weekday())


def _site_tz():  # noqa: ANN202
    from pole.main import default_site

    site = default_site()
    return site.tz if site else UTC


# Volunteers: the free slots --------------------------------------------------------------------


@bp.get("/")
def index():
    """List the coming permanences with their free slots."""
    now = utcnow()
    return render(
        "permanences/index.html",
        block="sessions",
        title="Permanences",
        sessions=services.upcoming_sessions(current_user, now),
        organisations=services.bookable_organisations(current_user),
        ours=_ours_soon(now),
        now=now,
    )


def _ours_soon(now: datetime) -> list[Appointment]:
    return [a for a in services.organisation_appointments(current_user, now) if a.is_active][:5]


def _slot_context(permanence: Permanence, start: datetime, now: datetime) -> dict:
    tz = services.tz_of(permanence)
    session = services.session_on(permanence, to_local(start, tz).date(), current_user, now)
    entry = None
    if session is not None:
        entry = next((e for e in session.slots if e.slot.start == start), None)
    if entry is None:
        abort(404)
    return {"session": session, "entry": entry, "now": now}


def _answer_slot(context: dict, status: int = 200, message: str = "", category: str = "info"):
    """The slot, swapped in place for htmx (with our appointments refreshed), or its page."""
    context = {
        "title": "Réserver un créneau",
        "organisations": services.bookable_organisations(current_user),
        "message": message,
        "category": category,
        **context,
    }
    if not wants_fragment():
        return render("permanences/book.html", status=status, **context)
    context["ours"] = _ours_soon(context["now"])
    context["oob"] = True
    # The slot swaps in place; the day's count and our appointments follow out of band.
    blocks = ["slot", "session_status", "ours"]
    body = render_blocks("permanences/index.html", blocks, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


@bp.get("/<int:permanence_id>/creneau/<key>")
def slot(permanence_id: int, key: str):
    """Show the booking form of one slot, or why it cannot be booked."""
    permanence = get_permanence(permanence_id)
    context = _slot_context(permanence, parse_slot_key(key), utcnow())
    organisations = services.bookable_organisations(current_user)
    if not organisations:
        abort(403)
    if not request.args.get("fermer"):
        form = book_form(organisations, key, blank=True)
        session, now = context["session"], context["now"]
        # Preselect an association that may still book here (fair share).
        within = [o for o in organisations if not session.fair_share_reason(o.id, now)]
        form.organisation_id.data = (within or organisations)[0].id
        context["form"] = form
        context["reasons"] = session.why_not(context["entry"], [o.id for o in organisations], now)
    return _answer_slot(context)


@bp.post("/<int:permanence_id>/creneau/<key>")
def book_slot(permanence_id: int, key: str):
    """Book one slot for an association: purpose, and at most initials or a file number."""
    permanence = get_permanence(permanence_id)
    start = parse_slot_key(key)
    organisations = services.bookable_organisations(current_user)
    if not organisations:
        abort(403)
    form = book_form(organisations, key)
    if not form.validate_on_submit():
        context = _slot_context(permanence, start, utcnow())
        return _answer_slot({**context, "form": form}, status=422)
    try:
        services.book_slot(permanence.id, start, form.to_data(), current_user)
    except services.PermanenceRefused as refused:
        context = _slot_context(permanence, start, utcnow())
        if any(r.field and r.field in form for r in refused.reasons):
            apply_reasons(form, refused.reasons)
            return _answer_slot({**context, "form": form}, status=422)
        # The slot itself cannot be had (taken meanwhile, window, fair share): say why.
        lost = isinstance(refused, services.AppointmentRefused) and refused.lost_race
        return _answer_slot({**context, "reasons": refused.reasons}, status=409 if lost else 422)
    context = _slot_context(permanence, start, utcnow())
    message = f"Rendez-vous réservé le {_when(context['entry'].slot)}."
    if wants_fragment():
        return _answer_slot(context, message=message, category="success")
    flash(message, "success")
    return redirect(url_for("permanences.index", _anchor=f"slot-{permanence.id}-{key}"))


def _when(slot: rules.Slot) -> str:
    return f"{format_day(slot.day)} à {slot.label}"


@bp.post("/rendez-vous/<int:appointment_id>/annuler")
def cancel_appointment(appointment_id: int):
    """Cancel one of our appointments, until the slot starts."""
    appointment = get_appointment(appointment_id)
    message, category, _status = _cancel_ours(appointment)
    flash(message, category)
    return redirect(safe_next(request.form.get("next"), url_for("permanences.ours")))


@bp.post("/rendez-vous/<int:appointment_id>/annuler/creneau")
def cancel_from_slot(appointment_id: int):
    """Cancel one of our appointments from its slot, and show the slot again."""
    appointment = get_appointment(appointment_id)
    permanence, start = appointment.permanence, appointment.start
    message, category, status = _cancel_ours(appointment)
    if wants_fragment():
        context = _slot_context(permanence, start, utcnow())
        return _answer_slot(context, status, message, category)
    flash(message, category)
    key = slot_key(start)
    return redirect(url_for("permanences.index", _anchor=f"slot-{permanence.id}-{key}"))


def _cancel_ours(appointment: Appointment) -> tuple[str, str, int]:
    """Cancel for the association: the message, its category and the status to answer with."""
    try:
        services.cancel_appointment(appointment.id, current_user)
    except services.PermanenceRefused as refused:
        return str(refused), "error", 422
    return "Rendez-vous annulé : le créneau est libre.", "success", 200


@bp.get("/nos-rendez-vous")
def ours():
    """List the coming appointments of my associations with the social worker."""
    now = utcnow()
    return render(
        "permanences/ours.html",
        title="Nos rendez-vous",
        appointments=services.organisation_appointments(current_user, now),
        notices=services.notices_for(current_user, now),
        now=now,
    )


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
        except services.PermanenceRefused as refused:
            apply_reasons(form, refused.reasons)
        except bookings.SeriesRefused as refused:
            conflicts = _conflicts_text(refused.conflicts)
            if not conflicts:
                form.form_errors.append("Aucune date à publier entre ces deux jours.")
        except bookings.BookingRefused as refused:
            form.form_errors.extend(r.message for r in refused.reasons)
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
        sessions=[s for s in sessions if s.end > now],
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
        except services.PermanenceRefused as refused:
            apply_reasons(form, refused.reasons)
        except bookings.SeriesRefused as refused:
            conflicts = _conflicts_text(refused.conflicts)
            if not conflicts:
                form.form_errors.append("Aucune date de permanence entre ces deux jours.")
        except bookings.BookingRefused as refused:
            form.form_errors.extend(r.message for r in refused.reasons)
        else:
            flash(_outcome_text("Nouveaux horaires enregistrés.", outcome), _category(outcome))
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
    if outcome.mail_failed:
        text += " Un e-mail n'a pas pu partir : l'avis reste visible sur leur page d'accueil."
    return text


def _category(outcome: services.Outcome) -> str:
    return "warning" if outcome.mail_failed else "success"


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
        flash(_outcome_text("Date annulée, salle libérée.", outcome), _category(outcome))
    return redirect(url_for("permanences.show", permanence_id=permanence.id))


@bp.get("/semaine")
def week():
    """Show a week of permanences and how full they are."""
    if not permissions.can_publish_permanence(current_user):
        abort(403)
    now = utcnow()
    first = _monday(now)
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


@bp.get("/<int:permanence_id>/jour/<day>")
def day(permanence_id: int, day: str):
    """Show the day sheet: appointments in order, to mark seen, absent or cancelled."""
    permanence = get_day_sheet(permanence_id)
    return render("permanences/day.html", **_sheet_context(permanence, parse_day(day)))


def _sheet_context(permanence: Permanence, the_day: date, **extra) -> dict:
    """What the day sheet, or one of its blocks, is rendered with; 404 for a day without it."""
    now = utcnow()
    sheet = services.day_sheet(permanence, the_day, now)
    if sheet is None:
        abort(404)
    return {
        "title": f"Feuille du jour — {permanence.title}",
        "permanence": permanence,
        "sheet": sheet,
        "session": sheet.session,
        "cancel_form": CancelDateForm(formdata=None),
        "now": now,
        "confirming": None,  # the appointment whose cancellation is being confirmed
        "message": "",
        "message_key": "",  # the row that shows `message`
        "category": "info",
        **extra,
    }


def _day_of(permanence: Permanence, start: datetime) -> date:
    return to_local(start, services.tz_of(permanence)).date()


def _sheet_url(permanence: Permanence, start: datetime) -> str:
    return url_for(
        "permanences.day",
        permanence_id=permanence.id,
        day=_day_of(permanence, start).isoformat(),
        _anchor=f"row-{slot_key(start)}",
    )


def _answer_row(
    permanence: Permanence,
    start: datetime,
    message: str,
    category: str,
    status: int = 200,
    confirming: int | None = None,
):
    """The day sheet's row, swapped in place for htmx; otherwise back to the sheet."""
    if not wants_fragment():
        flash(message, category)
        return redirect(_sheet_url(permanence, start))
    context = _sheet_context(
        permanence,
        _day_of(permanence, start),
        message=message,
        message_key=slot_key(start),
        category=category,
        confirming=confirming,
    )
    context["entry"] = next(e for e in context["session"].slots if e.slot.start == start)
    return render("permanences/day.html", block="sheet_row", status=status, **context)


def _answer_sheet(
    permanence: Permanence, start: datetime, message: str, category: str, status: int = 200
):
    """The whole sheet block (rows, count, cancelled list) for htmx; otherwise back to it."""
    if not wants_fragment():
        flash(message, category)
        return redirect(_sheet_url(permanence, start))
    context = _sheet_context(
        permanence,
        _day_of(permanence, start),
        message=message,
        message_key=slot_key(start),
        category=category,
    )
    return render("permanences/day.html", block="day_sheet", status=status, **context)


def _told(outcome: services.Outcome) -> tuple[str, str]:
    if outcome.mail_failed:
        return " L'e-mail à l'association n'a pas pu partir : prévenez-la directement.", "warning"
    return " L'association est prévenue par e-mail.", "success"


@bp.get("/rendez-vous/<int:appointment_id>/annulation")
def confirm_cancel(appointment_id: int):
    """Ask the social worker to confirm before cancelling an appointment."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    confirming = appointment.id if appointment.is_active else None
    if wants_fragment():
        return _answer_row(permanence, appointment.start, "", "info", confirming=confirming)
    context = _sheet_context(permanence, appointment.day, confirming=confirming)
    return render("permanences/day.html", **context)


@bp.post("/rendez-vous/<int:appointment_id>/statut")
def mark(appointment_id: int):
    """Mark an appointment seen or no-show, or cancel it once confirmed."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    start = appointment.start
    status = request.form.get("status", "")
    if status == "cancelled":
        if request.form.get("confirm") != "oui":  # never on one tap: ask first
            if wants_fragment():
                return _answer_row(permanence, start, "", "info", confirming=appointment.id)
            return redirect(url_for("permanences.confirm_cancel", appointment_id=appointment.id))
        try:
            outcome = services.cancel_from_sheet(appointment.id, current_user)
        except services.PermanenceRefused as refused:
            return _answer_sheet(permanence, start, str(refused), "error", 422)
        told, category = _told(outcome)
        return _answer_sheet(permanence, start, "Rendez-vous annulé." + told, category)
    try:
        services.mark_appointment(appointment.id, status, current_user)
    except services.PermanenceRefused as refused:
        return _answer_row(permanence, start, str(refused), "error", 422)
    return _answer_row(permanence, start, "Enregistré.", "success")


@bp.post("/rendez-vous/<int:appointment_id>/retablir")
def restore(appointment_id: int):
    """Put back an appointment the social worker cancelled, while its slot is still free."""
    appointment = get_appointment(appointment_id)
    permanence = get_day_sheet(appointment.permanence_id)
    try:
        outcome = services.restore_appointment(appointment.id, current_user)
    except services.PermanenceRefused as refused:
        return _answer_sheet(permanence, appointment.start, str(refused), "error", 422)
    told, category = _told(outcome)
    return _answer_sheet(permanence, appointment.start, "Rendez-vous rétabli." + told, category)


@bp.post("/<int:permanence_id>/creneau/<key>/bloquer")
def block_slot(permanence_id: int, key: str):
    """Keep a slot out of bookings."""
    permanence = get_permanence(permanence_id, manage=True)
    start = parse_slot_key(key)
    try:
        services.block_slot(permanence.id, start, current_user)
    except services.PermanenceRefused as refused:
        return _back_to_slot(permanence, start, str(refused), "error", 422)
    return _back_to_slot(permanence, start, "Créneau bloqué.", "success")


@bp.post("/<int:permanence_id>/creneau/<key>/debloquer")
def unblock_slot(permanence_id: int, key: str):
    """Open a blocked slot to bookings again."""
    permanence = get_permanence(permanence_id, manage=True)
    start = parse_slot_key(key)
    services.unblock_slot(permanence.id, start, current_user)
    return _back_to_slot(permanence, start, "Créneau rouvert.", "success")


def _back_to_slot(
    permanence: Permanence, start: datetime, message: str, category: str, status: int = 200
) -> Response:
    if permissions.can_see_day_sheet(current_user, permanence):
        return _answer_row(permanence, start, message, category, status)
    flash(message, category)
    return redirect(url_for("permanences.show", permanence_id=permanence.id))
