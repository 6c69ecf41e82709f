"""The outbox: each mail to send is a row, written in the transaction of the change it tells."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db

STATUSES = ("queued", "sending", "sent", "failed")


class OutgoingMail(db.Model):
    """One mail to one address: queued, being sent under a lease, sent, or given up."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        sa.CheckConstraint(
            "ics_method IS NULL OR ics_method IN ('REQUEST', 'CANCEL')", name="ics_method"
        ),
        # A mail is written rendered, or as the facts it will be rendered from at delivery.
        sa.CheckConstraint(
            "facts IS NOT NULL OR (subject IS NOT NULL AND text_body IS NOT NULL)",
            name="rendered_or_facts",
        ),
        # What a sender looks for: the due mails (queued), or the ones whose lease ran out.
        sa.Index("ix_outgoing_mail_status_due_at", "status", "due_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to: so.Mapped[str] = so.mapped_column(sa.String(320))
    # Empty until the sender renders `facts`; then what was sent.
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Derived from the text when empty (escaped, links made clickable).
    html_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    ics: so.Mapped[str | None] = so.mapped_column(sa.Text)
    ics_method: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    # A notification's one-click unsubscribe link (List-Unsubscribe, RFC 8058), if any.
    unsubscribe_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # What the mail is about ("password_reset", "booking_decision"…): for logs and, later,
    # for each person's choice of what they receive.
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    # What the mail must say, frozen at the change (pole/outbox/rendering.py): the request
    # writes these, the sender renders subject, text, HTML, .ics and link from them.
    facts: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="queued")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    # While `sending`: another sender may take the mail over once this has passed.
    lease_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    @property
    def has_link(self) -> bool:
        """Whether the body holds a link, which may carry a secret token."""
        text = self.text_body or ""
        return "http://" in text or "https://" in text
