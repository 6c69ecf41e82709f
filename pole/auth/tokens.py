"""Signed, expiring links for invitations and password resets."""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

INVITATION = "pole.invitation"
PASSWORD_RESET = "pole.password-reset"  # noqa: S105 (a salt name, not a secret)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the current password hash: a reset link dies once it is used."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def make_invitation_token(invitation_id: int) -> str:
    return _serializer(INVITATION).dumps({"i": invitation_id})


def read_invitation_token(token: str) -> int | None:
    try:
        data = _serializer(INVITATION).loads(
            token, max_age=current_app.config["POLE_INVITATION_MAX_AGE"]
        )
    except BadSignature:  # also SignatureExpired
        return None
    return data.get("i") if isinstance(data, dict) else None


def make_reset_token(user_id: int, password_hash: str | None) -> str:
    return _serializer(PASSWORD_RESET).dumps(
        {"u": user_id, "p": password_fingerprint(password_hash)}
    )


def read_reset_token(token: str) -> tuple[int, str] | None:
    try:
        data = _serializer(PASSWORD_RESET).loads(
            token, max_age=current_app.config["POLE_RESET_MAX_AGE"]
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or "u" not in data or "p" not in data:
        return None
    return data["u"], data["p"]
