"""A queued mail as the message SMTP carries: French text, its HTML twin, an .ics invitation."""

from __future__ import annotations

import html
import re
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime

from pole.outbox.models import OutgoingMail

_LINK = re.compile(r"https?://[^\s<>\"]+")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def _linked(text: str) -> str:
    escaped = html.escape(text)
    return _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)


def _block_html(block: str) -> str:
    """A paragraph; its lines that begin with "- " become a list, read as one by screen readers."""
    parts: list[str] = []
    lines: list[str] = []
    items: list[str] = []
    for line in block.split("\n"):
        if line.startswith("- "):
            if lines:
                parts.append("<p>" + "<br>\n".join(lines) + "</p>")
                lines = []
            items.append(f"<li>{_linked(line[2:])}</li>")
        else:
            if items:
                parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")
                items = []
            lines.append(_linked(line))
    if lines:
        parts.append("<p>" + "<br>\n".join(lines) + "</p>")
    if items:
        parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")
    return "\n".join(parts)


def text_to_html(text: str, footer_html: str = "", title: str = "") -> str:
    """The plain text as simple HTML: escaped, paragraphs, lists and line breaks kept, links
    live; `footer_html` (already escaped) closes it."""
    blocks = [_block_html(block) for block in re.split(r"\n\s*\n", text.strip())]
    head = f"<title>{html.escape(title)}</title>" if title else ""
    footer = f"<footer>\n{footer_html}\n</footer>\n" if footer_html else ""
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">{head}</head>\n<body>\n'
        + "\n".join(blocks)
        + "\n"
        + footer
        + "</body></html>\n"
    )


def message_id(mail: OutgoingMail, domain: str) -> str:
    """The same Message-ID at every attempt: a receiving server may drop a second copy."""
    return f"<outbox.{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


class _OneLine(UnstructuredHeader):
    """A header written as it is, on one line (RFC 5322 allows 998 characters): the email
    package folds a value longer than 78 characters that has no space in it — a signed
    unsubscribe link — into RFC 2047 encoded words, which mail clients do not decode in
    List-Unsubscribe (RFC 2369 reads the <URL> as written), so the one-click link would
    be lost."""

    max_count = 1

    def fold(self, *, policy) -> str:  # noqa: ANN001 (the email package's policy)
        if not str(self).isascii():
            return super().fold(policy=policy)
        return f"{self.name}: {self}{policy.linesep}"


class _KnownHeaders(HeaderRegistry):
    """The header objects of the values every mail repeats (From, the MIME parts' headers,
    a recipient's address), parsed once: the email package parses each header it is given,
    most of a message's CPU. Header objects are immutable, so the bytes are the same."""

    REPEATED = frozenset(
        ("from", "to", "mime-version", "content-type", "content-transfer-encoding",
         "content-disposition", "content-language", "auto-submitted", "list-unsubscribe-post")
    )  # fmt: skip
    KEEP = 1000  # values, then it starts afresh (recipients come and go)

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("list-unsubscribe", _OneLine)
        self.known: dict[tuple[str, str], BaseHeader] = {}
        self.kinds: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The registry makes a new class at each call (for each header, and each check of
        # how many a message may hold): one per name is the same class.
        kind = self.kinds.get(name.lower())
        if kind is None:
            kind = self.kinds[name.lower()] = super().__getitem__(name)
        return kind

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() not in self.REPEATED or "boundary=" in value:
            return super().__call__(name, value)
        key = (name, value)
        header = self.known.get(key)
        if header is None:
            if len(self.known) >= self.KEEP:
                self.known.clear()
            header = self.known[key] = super().__call__(name, value)
        return header


_POLICY = default.clone(header_factory=_KnownHeaders())


def build_message(mail: OutgoingMail, sender: str, domain: str) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = mail.to
    # A line break would end the header (the email package refuses it): one line.
    message["Subject"] = _LINE_BREAKS.sub(" ", mail.subject)
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id(mail, domain)
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        # RFC 8058: a mail client offers "Se désabonner" and POSTs to the link, one click.
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
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
