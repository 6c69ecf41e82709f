"""Keep secret feed links out of the logs: access lines show /calendrier/*** instead."""

from __future__ import annotations

import logging
import re

# Everything after /calendrier/ goes, ".ics" or not: a link pasted without it is still secret.
FEED_PATH = re.compile(r"/calendrier/[^\s\"?]*")
REDACTED = "/calendrier/***"
# Where request lines are written: the development server, gunicorn, and Flask's own
# "Exception on /path" messages.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class RedactFeedTokens(logging.Filter):
    """Rewrite a record whose message holds a feed link; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logger's problem, not ours
            return True
        if "/calendrier/" in message:
            record.msg = FEED_PATH.sub(REDACTED, message)
            record.args = ()
        return True


def install(app_logger: logging.Logger) -> None:
    """Put the filter on the request loggers and the app's own, once each."""
    for logger in (*(logging.getLogger(name) for name in LOGGERS), app_logger):
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())
