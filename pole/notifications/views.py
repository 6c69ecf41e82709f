"""Mes notifications: choose what mail one gets; the one-click unsubscribe link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from pole.db import utcnow
from pole.extensions import csrf
from pole.htmx import render
from pole.notifications import services
from pole.notifications.forms import preferences_form

bp = Blueprint("notifications", __name__)


@bp.route("/compte/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    """Show and save my choice of mail for each kind."""
    kinds = services.kinds_of(current_user)
    form = preferences_form(kinds, services.choices_of(current_user.id))
    if form.validate_on_submit():
        services.save_choices(current_user, form.chosen(), utcnow())
        flash("Vos choix de notifications sont enregistrés.", "success")
        return redirect(url_for("notifications.preferences"))
    status = 422 if form.is_submitted() else 200
    return render(
        "notifications/preferences.html",
        block="content",
        status=status,
        form=form,
        kinds=kinds,
        title="Mes notifications",
    )


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the proof; mail clients POST to it without a session (RFC 8058)
def unsubscribe(token: str):
    """Confirm (GET), or turn off (POST, one click), the kinds of mail a signed link names."""
    opened = services.open_unsubscribe_link(token)
    if opened is None:
        return render("notifications/link_invalid.html", status=404, title="Lien invalide")
    person, kinds = opened
    if request.method == "POST":
        kinds = services.unsubscribe(person.id, [k.key for k in kinds], utcnow()) or []
        return render(
            "notifications/unsubscribed.html", kinds=kinds, title="Désabonnement enregistré"
        )
    return render(
        "notifications/unsubscribe.html", kinds=kinds, person=person, title="Se désabonner"
    )
