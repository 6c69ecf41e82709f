"""Log in and out, accept invitations, reset and change passwords."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import (
    current_user,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
)

from pole.auth import services
from pole.auth.forms import (
    AcceptInvitationForm,
    AccountForm,
    ChangePasswordForm,
    LoginForm,
    NewPasswordForm,
    ResetRequestForm,
)
from pole.auth.models import User
from pole.auth.passwords import verify_password
from pole.auth.throttle import TooManyAttempts
from pole.db import db
from pole.extensions import login_manager
from pole.htmx import render
from pole.organisations.models import Membership
from pole.urls import safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Connectez-vous pour accéder à cette page."
login_manager.login_message_category = "info"
# "basic": a phone moving from wifi to 4G changes IP; "strong" would log the person out.
login_manager.session_protection = "basic"


# Memberships and their organisations come with the user: nearly every page asks what the
# person may do (the navigation alone asks which associations they coordinate). The statement
# is built once per process (its text, not its answer: the row is read on every request).
_USER_WITH_MEMBERSHIPS = (
    sa.select(User)
    .where(User.id == sa.bindparam("user_id"))
    .options(so.joinedload(User.memberships).joinedload(Membership.organisation))
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Find the person behind a session; a rotated session token ends the session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = (
        db.session.execute(_USER_WITH_MEMBERSHIPS, {"user_id": int(user_id)})
        .unique()
        .scalar_one_or_none()
    )
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


@user_loaded_from_cookie.connect
def bind_remembered_session(_app, user: User) -> None:  # noqa: ANN001
    """A browser coming back with "remember me" gets a session bound to it, as at login."""
    # Strong session protection drops a session that lacks this binding: without it the
    # person was logged out again (and the cookie deleted) on their second page.
    login_user(user, fresh=False)


def _start_session(user: User, remember: bool = False) -> None:
    # A fresh session at login: nothing set before authentication survives it.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.attempt_login(form.email.data, form.password.data, request.remote_addr)
        except TooManyAttempts as refused:
            form.form_errors.append(refused.message)
            response = _login_page(form, 429)
            response.headers["Retry-After"] = str(refused.seconds)
            return response
        if user is not None:
            services.record_login(user, form.password.data)
            _start_session(user, remember=form.remember.data)
            flash(f"Bonjour {user.name} !", "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
        # Same answer whether the e-mail exists or not.
        form.form_errors.append("Adresse e-mail ou mot de passe incorrect.")
    return _login_page(form, 422 if form.is_submitted() else 200)


def _login_page(form: LoginForm, status: int):  # noqa: ANN202
    return render("auth/login.html", block="content", status=status, form=form, title="Connexion")


@bp.post("/deconnexion")
def logout():
    """Log out: this session, and any copy of its cookies, ends on the server too."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted too
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("main.home"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Accept an invitation: choose a password and join the organisation."""
    invitation = services.open_invitation(token)
    if invitation is None:
        return render(
            "auth/link_invalid.html",
            status=404,
            title="Lien invalide",
            what="Ce lien d'invitation",
        )
    form = AcceptInvitationForm(name=invitation.name or None)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, form.name.data, form.password.data)
        except ValueError:
            abort(404)
        _start_session(user)
        flash(f"Bienvenue dans {invitation.organisation.name} !", "success")
        return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render(
        "auth/accept_invitation.html",
        status=status,
        form=form,
        invitation=invitation,
        title="Rejoindre une organisation",
    )


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password reset link by e-mail."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe "
            "vient d'y être envoyé.",
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render("auth/forgot.html", status=status, form=form, title="Mot de passe oublié")


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a reset link."""
    user = services.user_for_reset_token(token)
    if user is None:
        return render("auth/link_invalid.html", status=404, title="Lien invalide", what="Ce lien")
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        _start_session(db.session.get(User, user.id))
        flash("Votre mot de passe a été changé.", "success")
        return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render("auth/reset.html", status=status, form=form, title="Nouveau mot de passe")


@bp.route("/compte", methods=["GET", "POST"])
@login_required
def account():
    """Show and edit my account."""
    form = AccountForm(obj=current_user, prefix="account")
    password_form = ChangePasswordForm(prefix="password")
    status = 200
    if request.method == "POST" and "account-name" in request.form:
        if form.validate_on_submit():
            services.update_account(current_user, form.name.data, form.phone.data or "")
            flash("Vos informations sont enregistrées.", "success")
            return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST":
        if password_form.validate_on_submit():
            if verify_password(current_user.password_hash, password_form.current.data):
                services.set_password(current_user, password_form.password.data)
                _start_session(db.session.get(User, current_user.id))
                flash("Votre mot de passe a été changé.", "success")
                return redirect(url_for("auth.account"))
            password_form.current.errors.append("Ce n'est pas votre mot de passe actuel.")
        status = 422
    return render(
        "auth/account.html",
        status=status,
        form=form,
        password_form=password_form,
        title="Mon compte",
    )
