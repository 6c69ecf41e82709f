"""Where the app may send a browser back to: one check for every `next` parameter."""

from __future__ import annotations

import re

# Browsers drop tabs and newlines from a URL and read "\" as "/", so "/\evil.example" and
# "/\t/evil.example" both mean "//evil.example": another site. Spaces have no place in a path.
_UNSAFE = re.compile(r"[\\\s\x00-\x1f\x7f]")


def is_local_path(target: str | None) -> bool:
    """A path of this site: starts with one "/", no host, no scheme, nothing browsers rewrite."""
    return bool(
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not _UNSAFE.search(target)
    )


def safe_next(target: str | None, default: str) -> str:
    """Follow a `next` only to a path of this site, else go to `default`."""
    return target if is_local_path(target) else default
