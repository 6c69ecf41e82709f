"""The outbox: mail written with the change it tells, sent after the commit, never lost."""

from pole.outbox.queue import queue_facts, queue_facts_where, queue_mail
from pole.outbox.sender import Delivery, deliver_due

__all__ = ["Delivery", "deliver_due", "queue_facts", "queue_facts_where", "queue_mail"]
