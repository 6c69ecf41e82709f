"""Links in mails: absolute, on the building's public address (POLE_BASE_URL).

A mail is read far from the request that wrote it, and the worker writes some with no
request at all (digests, reminders, the waiting list's next turn): every link in every mail
is built on the one configured address, never on the Host header a request happened to carry
(a reset link must not follow a forged Host).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from pole.config import DEFAULT_BASE_URL, check_base_url


def base_url() -> str:
    """The building's public address; served over HTTPS (POLE_HTTPS), always https."""
    base = check_base_url(current_app.config.get("POLE_BASE_URL") or DEFAULT_BASE_URL)
    if current_app.config.get("POLE_HTTPS") and base.startswith("http://"):
        base = "https://" + base.removeprefix("http://")
    return base


def mail_url(endpoint: str, **values: object) -> str:
    """The absolute link to `endpoint` for a mail, in a request or in the worker alike."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def mail_domain() -> str:
    """The host name the mails' Message-IDs end with."""
    return urlsplit(base_url()).hostname or "pole.local"
