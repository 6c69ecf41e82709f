"""Mails written as facts and rendered at delivery.

A request that tells someone of its change writes only what the mail must say, frozen at the
change (`OutgoingMail.facts`, JSON); the sender renders subject, text, HTML, .ics and the
unsubscribe link from those facts just before SMTP, and the row keeps what was rendered.
The facts name their renderer (`facts["mail"]`); the feature that writes them registers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pole.outbox.models import OutgoingMail


@dataclass(frozen=True)
class Rendered:
    """What SMTP carries of a mail written as facts."""

    subject: str
    text: str
    html: str
    ics: str | None = None
    ics_method: str | None = None
    unsubscribe_url: str | None = None


Renderer = Callable[[dict], Rendered]
_RENDERERS: dict[str, Renderer] = {}


def renders(name: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of the facts whose "mail" is `name`."""

    def register(renderer: Renderer) -> Renderer:
        _RENDERERS[name] = renderer
        return renderer

    return register


def render(mail: OutgoingMail) -> bool:
    """Fill a mail written as facts with its rendering; False if it was already rendered."""
    if mail.text_body is not None or mail.facts is None:
        return False
    done = _RENDERERS[mail.facts["mail"]](mail.facts)
    mail.subject = done.subject[:300]
    mail.text_body, mail.html_body = done.text, done.html
    mail.ics, mail.ics_method = done.ics, done.ics_method if done.ics else None
    mail.unsubscribe_url = done.unsubscribe_url
    return True


def keep_rendering(row: OutgoingMail, mail: OutgoingMail) -> None:
    """Write into `row` what the sender rendered in its copy `mail`, once: what was sent."""
    if row.text_body is None and mail.text_body is not None:
        row.subject, row.text_body, row.html_body = mail.subject, mail.text_body, mail.html_body
        row.ics, row.ics_method = mail.ics, mail.ics_method
        row.unsubscribe_url = mail.unsubscribe_url
