"""What the browser tests share: a watched Chromium page, and axe-core's verdict on a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import unavailable

WIDE = 1024  # px: from this width the navigation is a bar, below it a "Menu" (64em, site.css)
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def watched_page(browser, live_server: str, **context_options) -> Iterator[object]:  # noqa: ANN001
    """A French Chromium page on the live server; it fails the test if the page's scripts
    raise or log an error (a 422 answer, which forms expect, is not one)."""
    context = browser.new_context(base_url=live_server, locale="fr-FR", **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 422" not in msg.text
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def axe_violations(page) -> list[str]:  # noqa: ANN001
    """Run axe-core (pinned in package.json, installed by npm ci) in the page: the rules it
    finds broken, each with the elements concerned. Injected through the DevTools protocol,
    so the page's own Content-Security-Policy stays on."""
    if not AXE.exists():
        unavailable(f"axe-core not found at {AXE}: run make install (npm ci)")
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result["violations"]]


def nav(page):  # noqa: ANN001, ANN201
    """The navigation in sight, as a person reaches it: on a phone the "Menu" opened first,
    on a wide screen the bar of links."""
    if page.viewport_size["width"] < WIDE:
        menu = page.locator("details.nav-menu")
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()
        return menu.locator("nav")
    return page.locator("nav.nav-bar")
