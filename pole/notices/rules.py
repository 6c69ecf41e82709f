"""The noticeboard's rules: pure, the day passed in."""

from __future__ import annotations

from datetime import date, timedelta

from pole.core.refusals import Reason

TITLE_MAX = 120
TEXT_MAX = 2000
# A notice is news: a year on the board at most.
LONGEST = timedelta(days=366)


def check_notice(until: date, today: date) -> list[Reason]:
    """A notice stays on the board through a day still to come, a year ahead at most."""
    if until < today:
        return [Reason("past", "until", "Choisissez un jour qui n'est pas encore passé.")]
    if until > today + LONGEST:
        return [Reason("too_far", "until", "Une annonce reste un an au plus.")]
    return []


def is_shown(until: date, withdrawn: bool, today: date) -> bool:
    """A notice shows until the end of its last day, unless its author withdrew it."""
    return not withdrawn and today <= until


def may_post_to(is_manager: bool, to_all: bool, chosen: set[int], coordinated: set[int]) -> bool:
    """The manager writes to all organisations or some; a coordinator only to her own."""
    if is_manager:
        return True
    return not to_all and bool(chosen) and chosen <= coordinated
