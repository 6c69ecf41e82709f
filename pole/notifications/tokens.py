"""The signed one-click unsubscribe link: who, and from which kinds of mail.

No expiry: a link in an old mail keeps working. It can only ever set kinds to "never", so
there is nothing to revoke; a person who wants the mails back chooses again on the page.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

SALT = "pole.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_unsubscribe_token(user_id: int, kinds: list[str]) -> str:
    return _serializer().dumps({"u": user_id, "k": sorted(set(kinds))})


def read_unsubscribe_token(token: str) -> tuple[int, list[str]] | None:
    """The person and kinds a genuine link names; None for anything else."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    user_id, kinds = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or not isinstance(kinds, list) or not kinds:
        return None
    if not all(isinstance(kind, str) for kind in kinds):
        return None
    return user_id, kinds
