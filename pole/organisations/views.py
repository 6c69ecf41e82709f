"""Organisations, their members and invitations."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from pole import permissions
from pole.auth.services import invite_member
from pole.db import db
from pole.htmx import render
from pole.organisations import services
from pole.organisations.forms import VOLUNTEER_ONLY, InviteForm, OrganisationForm, RoleForm
from pole.organisations.models import Invitation, Membership, Organisation

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.before_request
@login_required
def require_login() -> None:
    """Every organisation page is for logged-in people."""


def get_organisation(organisation_id: int, check: Callable | None = None) -> Organisation:
    """Load an organisation or 404; 403 when `check(user, organisation)` says no."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if check is not None and not check(current_user, organisation):
        abort(403)
    return organisation


def _member_of(organisation: Organisation, membership_id: int) -> Membership:
    membership = db.get_or_404(Membership, membership_id)
    if membership.organisation_id != organisation.id:
        abort(404)
    return membership


def _show(organisation: Organisation, invite_form: InviteForm | None = None, status: int = 200):
    can_manage = permissions.can_manage_members(current_user, organisation)
    invite_form = invite_form or InviteForm()
    if not permissions.can_appoint_coordinator(current_user, organisation):
        invite_form.role.choices = VOLUNTEER_ONLY
    return render(
        "organisations/show.html",
        block="members" if status != 200 else None,
        status=status,
        title=organisation.name,
        organisation=organisation,
        members=services.members(organisation),
        invitations=services.open_invitations(organisation) if can_manage else [],
        invite_form=invite_form,
        role_form=RoleForm(),
        can_manage=can_manage,
        can_appoint=permissions.can_appoint_coordinator(current_user, organisation),
    )


@bp.get("/")
def index():
    """List the organisations I belong to (all of them for a manager)."""
    if permissions.can_manage_organisations(current_user):
        organisations = sorted(
            db.session.scalars(db.select(Organisation)), key=lambda o: (o.kind, o.sort_key)
        )
    else:
        organisations = current_user.organisations()
    return render("organisations/index.html", title="Organisations", organisations=organisations)


@bp.route("/nouvelle", methods=["GET", "POST"])
def new():
    """Create an organisation (manager)."""
    if not permissions.can_manage_organisations(current_user):
        abort(403)
    form = OrganisationForm()
    if form.validate_on_submit():
        if services.name_taken(form.name.data):
            form.name.errors.append("Une organisation porte déjà ce nom.")
        else:
            organisation_id = services.save_organisation(_organisation_data(form))
            flash(
                "L'organisation est créée. Invitez son coordinateur ou sa coordinatrice.",
                "success",
            )
            return redirect(url_for("organisations.show", organisation_id=organisation_id))
    status = 422 if form.is_submitted() else 200
    return render(
        "organisations/form.html", status=status, form=form, title="Nouvelle organisation"
    )


@bp.route("/<int:organisation_id>/modifier", methods=["GET", "POST"])
def edit(organisation_id: int):
    """Edit an organisation's name, kind and colour (manager)."""
    organisation = get_organisation(organisation_id)
    if not permissions.can_manage_organisations(current_user):
        abort(403)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        if services.name_taken(form.name.data, exclude_id=organisation.id):
            form.name.errors.append("Une organisation porte déjà ce nom.")
        else:
            services.save_organisation(_organisation_data(form), organisation.id)
            flash("Modifications enregistrées.", "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id))
    status = 422 if form.is_submitted() else 200
    return render(
        "organisations/form.html",
        status=status,
        form=form,
        organisation=organisation,
        title=f"Modifier {organisation.name}",
    )


def _organisation_data(form: OrganisationForm) -> services.OrganisationData:
    return services.OrganisationData(
        name=form.name.data,
        short_name=form.short_name.data,
        kind=form.kind.data,
        colour=form.colour.data,
        email=form.email.data or "",
    )


@bp.get("/<int:organisation_id>")
def show(organisation_id: int):
    """Show an organisation and its members."""
    organisation = get_organisation(organisation_id, permissions.can_view_members)
    return _show(organisation)


@bp.post("/<int:organisation_id>/invitations")
def invite(organisation_id: int):
    """Invite someone by e-mail to join the organisation."""
    organisation = get_organisation(organisation_id, permissions.can_manage_members)
    form = InviteForm()
    if not permissions.can_appoint_coordinator(current_user, organisation):
        form.role.choices = VOLUNTEER_ONLY
    if form.validate_on_submit():
        if services.is_member_email(organisation, form.email.data):
            form.email.errors.append("Cette personne est déjà membre de l'organisation.")
        else:
            invite_member(
                organisation, form.email.data, form.name.data or "", form.role.data, current_user
            )
            flash(f"Invitation envoyée à {form.email.data}.", "success")
            return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return _show(organisation, invite_form=form, status=422)


@bp.post("/<int:organisation_id>/invitations/<int:invitation_id>/annuler")
def revoke_invitation(organisation_id: int, invitation_id: int):
    """Withdraw an invitation that has not been accepted."""
    organisation = get_organisation(organisation_id, permissions.can_manage_members)
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.organisation_id != organisation.id:
        abort(404)
    services.revoke_invitation(invitation)
    flash(f"L'invitation de {invitation.email} est annulée.", "info")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.post("/<int:organisation_id>/membres/<int:membership_id>/retirer")
def remove_member(organisation_id: int, membership_id: int):
    """Remove a member from the organisation."""
    organisation = get_organisation(organisation_id, permissions.can_manage_members)
    membership = _member_of(organisation, membership_id)
    if membership.role == "coordinator" and not permissions.can_appoint_coordinator(
        current_user, organisation
    ):
        abort(403)
    name = membership.user.name
    try:
        services.remove_member(membership, current_user)
    except services.MemberError as error:
        flash(str(error), "error")
    else:
        flash(f"{name} ne fait plus partie de {organisation.name}.", "info")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.post("/<int:organisation_id>/membres/<int:membership_id>/role")
def set_role(organisation_id: int, membership_id: int):
    """Appoint a coordinator, or make a coordinator a volunteer again (manager)."""
    organisation = get_organisation(organisation_id, permissions.can_appoint_coordinator)
    membership = _member_of(organisation, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_role(membership, form.role.data, current_user)
    except services.MemberError as error:
        flash(str(error), "error")
    else:
        flash(f"{membership.user.name} est maintenant {membership.role_label.lower()}.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))
