"""Notices read as one block of text on a 360 px phone, without widening the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_organisation, make_resource, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_the_approval_notice_on_the_kitchens_form_is_one_block_of_text_on_a_phone(page, app):
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    kitchen = make_resource(name="Cuisine équipée", requires_approval=True, buffer_minutes=30)
    marie = make_user(restos, name="Marie")
    page.set_viewport_size(PHONE)
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(marie.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".nav-menu:visible, .nav-bar:visible")).to_have_count(1)

    page.goto(f"/reservations/nouvelle?resource_id={kitchen.id}")

    notice = page.locator("p.flash", has_text="se réserve sur demande")
    expect(notice).to_contain_text("en attente de validation")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # One paragraph: the sentence wraps across the notice's whole width, its bold words
    # inline, instead of standing in three narrow columns side by side.
    lines = notice.evaluate(
        """p => {
            const head = document.createRange();
            head.selectNodeContents(p.firstChild);  // the sentence up to the bold words
            return {width: p.clientWidth, firstLine: head.getClientRects()[0].width};
        }"""
    )
    assert lines["firstLine"] > 0.6 * lines["width"], lines
    strong = notice.locator("strong").bounding_box()
    text_top = notice.evaluate(
        "p => { const r = document.createRange(); r.selectNodeContents(p.firstChild);"
        " const rects = r.getClientRects(); return rects[rects.length - 1].top; }"
    )
    # The bold words go on from where the sentence's first part ends, on its last line or after.
    assert strong["y"] >= text_top - 1, (strong, text_top)
