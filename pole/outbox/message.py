"""A queued mail as the message SMTP carries: French text, its HTML twin, an .ics invitation."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime

from pole.outbox.models import OutgoingMail

_LINK = re.compile(r"https?://[^\s<>\"]+")


def text_to_html(text: str) -> str:
    """The plain text as simple HTML: escaped, paragraphs and line breaks kept, links live."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"></head>\n<body>\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def message_id(mail: OutgoingMail, domain: str) -> str:
    """The same Message-ID at every attempt: a receiving server may drop a second copy."""
    return f"<outbox.{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


def build_message(mail: OutgoingMail, sender: str, domain: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id(mail, domain)
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body or text_to_html(mail.text_body), subtype="html")
    if mail.ics:
        # Inline, mail clients show the invitation and update the event in place (same UID,
        # higher SEQUENCE); attached, any calendar can import it.
        message.add_alternative(
            mail.ics, subtype="calendar", params={"method": mail.ics_method or "REQUEST"}
        )
        message.add_attachment(
            mail.ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invitation.ics",
        )
    return message
