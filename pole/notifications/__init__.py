"""Who is told what: events of the record turned into mails of the outbox."""
