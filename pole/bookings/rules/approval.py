"""Who decides: bookings that wait for the manager, and moves that send them back to her."""

from __future__ import annotations


def needs_approval(requires_approval: bool, by_manager: bool) -> bool:
    """A resource lent on request waits for the manager's approval, unless she books it."""
    return requires_approval and not by_manager


def status_after_move(status: str, moved: bool, requires_approval: bool, by_manager: bool) -> str:
    """A confirmed booking that is moved goes back to pending if its resource needs approval."""
    if moved and status == "confirmed" and needs_approval(requires_approval, by_manager):
        return "pending"
    return status
