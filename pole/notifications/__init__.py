"""Who is told what: events of the record turned into mails of the outbox, as each person
chose (`tell`)."""

from pole.notifications.telling import tell

__all__ = ["tell"]
