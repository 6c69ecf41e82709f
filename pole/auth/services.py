"""Accounts: authentication, invitations, password resets."""

from __future__ import annotations

import logging
from datetime import datetime

from pole.auth import throttle
from pole.auth.models import User
from pole.auth.passwords import hash_password, needs_rehash, verify_password
from pole.auth.tokens import (
    make_invitation_token,
    make_reset_token,
    password_fingerprint,
    read_invitation_token,
    read_reset_token,
)
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_membership
from pole.organisations.models import Invitation, Membership, Organisation
from pole.outbox import queue_mail
from pole.outbox.links import mail_url

log = logging.getLogger("pole.auth")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this e-mail and password, else None (whichever was wrong)."""
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    return user


def attempt_login(
    email: str, password: str, remote_addr: str | None, now: datetime | None = None
) -> User | None:
    """Log in unless the account or the address must wait (TooManyAttempts); count failures.

    Unknown and known addresses are counted and answered alike.
    """
    now = now or utcnow()
    attempt = throttle.Attempt.of(email, remote_addr)
    throttle.reserve(attempt, now)  # raises TooManyAttempts before any password check
    user = authenticate(email, password)
    if user is None:
        throttle.record_failure(attempt, now)
        return None
    throttle.forgive(attempt)
    return user


def record_login(user: User, password: str) -> None:
    with write_transaction():
        user = db.session.get(User, user.id)
        user.last_login_at = utcnow()
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)


def end_sessions(user: User) -> None:
    """Rotate the session token: a replayed session or remember-me cookie is anonymous."""
    with write_transaction():
        user = db.session.get(User, user.id)
        user.rotate_session_token()


def update_account(user: User, name: str, phone: str) -> None:
    """Change the name and phone number shown to the other members."""
    with write_transaction():
        user = db.session.get(User, user.id)
        user.name = name.strip()
        user.phone = phone.strip()


def set_password(user: User, password: str) -> None:
    """Set a new password and log out every other session of this person."""
    with write_transaction():
        user = db.session.get(User, user.id)
        user.password_hash = hash_password(password)
        user.rotate_session_token()


def create_user(
    email: str,
    name: str,
    password: str | None,
    *,
    is_manager: bool = False,
    is_social_worker: bool = False,
) -> User:
    user = User(
        email=email.strip().lower(),
        name=name,
        password_hash=hash_password(password) if password else None,
        is_manager=is_manager,
        is_social_worker=is_social_worker,
    )
    db.session.add(user)
    return user


# Invitations ---------------------------------------------------------------------------------


def invite_member(
    organisation: Organisation, email: str, name: str, role: str, invited_by: User
) -> Invitation:
    """Record an invitation and e-mail its link, which lets the person choose a password."""
    email = email.strip().lower()
    with write_transaction():
        invitation = Invitation(
            organisation_id=organisation.id,
            email=email,
            name=name,
            role=role,
            invited_by_id=invited_by.id,
        )
        db.session.add(invitation)
        db.session.flush()
        link = mail_url("auth.accept_invitation", token=make_invitation_token(invitation.id))
        organisation_name = db.session.get(Organisation, organisation.id).name
        queue_mail(
            email,
            f"Invitation à rejoindre {organisation_name} sur Pôle",
            f"Bonjour{(' ' + name) if name else ''},\n\n"
            f"{invited_by.name} vous invite à rejoindre {organisation_name} sur Pôle, "
            "l'outil de réservation du pôle des solidarités.\n\n"
            f"Pour accepter et choisir votre mot de passe, ouvrez ce lien :\n{link}\n\n"
            "Ce lien est valable 7 jours. Si vous ne vous attendiez pas à ce message, "
            "ignorez-le.\n",
            kind="invitation",
        )
        invitation_id = invitation.id
    return db.session.get(Invitation, invitation_id)


def open_invitation(token: str) -> Invitation | None:
    """The invitation behind a link, if the link is genuine, unexpired and not yet used."""
    invitation_id = read_invitation_token(token)
    if invitation_id is None:
        return None
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not invitation.is_open:
        return None
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str) -> User:
    """Create (or complete) the account and its membership; the link cannot be used again."""
    with write_transaction():
        invitation = db.session.get(Invitation, invitation.id, with_for_update=True)
        if invitation is None or not invitation.is_open:
            raise ValueError("invitation already used")
        user = find_user_by_email(invitation.email)
        if user is None:
            user = create_user(invitation.email, name, password)
            db.session.flush()
        else:
            user.password_hash = hash_password(password)
            user.rotate_session_token()
            user.name = user.name or name
        existing = db.session.scalar(
            db.select(Membership).where(
                Membership.user_id == user.id,
                Membership.organisation_id == invitation.organisation_id,
            )
        )
        if existing is None:
            membership = Membership(
                user_id=user.id, organisation_id=invitation.organisation_id, role=invitation.role
            )
            db.session.add(membership)
            db.session.flush()
            record_membership("membership.added", membership, user, utcnow())
        invitation.accepted_at = utcnow()
        user_id = user.id
    return db.session.get(User, user_id)


# Password reset ------------------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """E-mail a reset link if the address has an account; say nothing either way.

    The answer must not tell a stranger whether an address has an account, by its words or
    by its time: SMTP never runs in the request (the mail is queued), and an unknown
    address does the same work as a known one, its mail withdrawn before the commit
    (bench/reset.py measures both).
    """
    user = find_user_by_email(email)
    known = user is not None and user.is_active
    token = make_reset_token(user.id, user.password_hash) if known else make_reset_token(0, "")
    link = mail_url("auth.reset_password", token=token)
    with write_transaction():
        mail = queue_mail(
            user.email if known else email.strip().lower()[:320],
            "Réinitialisation de votre mot de passe Pôle",
            f"Bonjour {user.name if known else ''},\n\n"
            "Quelqu'un (sans doute vous) a demandé à changer le mot de passe de votre compte "
            "Pôle.\n"
            f"Pour choisir un nouveau mot de passe, ouvrez ce lien dans l'heure :\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n",
            kind="password_reset",
            # The web process's sending thread would start right after the commit, for a
            # known address only, and lengthen its answer by a few milliseconds (bench/run.py
            # measured 3-4 ms): the worker sends it instead, within a few seconds.
            send_at_once=False,
        )
        db.session.flush()
        if not known:
            db.session.delete(mail)


def user_for_reset_token(token: str) -> User | None:
    data = read_reset_token(token)
    if data is None:
        return None
    user_id, fingerprint = data
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if password_fingerprint(user.password_hash) != fingerprint:
        return None
    return user
