"""Each person's choice of what mail they get, the digest's waiting items, the daily mails sent."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db


class NotificationChoice(db.Model):
    """How one person gets one kind of mail: each time, in the daily digest, or never.

    No row: the kind's default (rules.KINDS).
    """

    __tablename__ = "notification_choice"
    __table_args__ = (sa.CheckConstraint("choice IN ('each', 'digest', 'never')", name="choice"),)

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    choice: so.Mapped[str] = so.mapped_column(sa.String(10))


class DigestItem(db.Model):
    """A mail kept for the person's next daily digest, written in the change's transaction.

    The digest that carries it deletes it in the transaction that queues the digest mail.
    """

    __tablename__ = "digest_item"
    __table_args__ = (sa.Index("ix_digest_item_user_id", "user_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class DailyMail(db.Model):
    """A person's digest or reminders of one day: the row is the claim, so it goes out once,
    whatever the number of workers (its insert commits with the mail it queues)."""

    __tablename__ = "daily_mail"
    __table_args__ = (sa.CheckConstraint("purpose IN ('digest', 'reminder')", name="purpose"),)

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
