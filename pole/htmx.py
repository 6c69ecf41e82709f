"""Render a whole page, or just one of its blocks for an htmx request."""

from __future__ import annotations

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block

from pole.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page (not a history restore)."""
    if not htmx or htmx.history_restore_request:
        return False
    return request.headers.get("HX-Request-Type", "partial") != "full"


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render `template`, or only its `block` when htmx asks for a part of the page."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
