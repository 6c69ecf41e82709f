"""French text pieces every feature writes the same way."""

from __future__ import annotations

from collections.abc import Iterable

from babel.lists import format_list


def join_words(words: Iterable[str]) -> str:
    """'lundi, mardi et jeudi': a French list, as Babel writes it."""
    words = list(words)
    return format_list(words, locale="fr") if words else ""
