"""Issue 15, point 5, in the browser: the signature and one-to-one template pages write their
bodies in the editor, under the Content-Security-Policy (compose: test_compose_browser.py)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from correspondence.models import EmailTemplate, Signature
from crm.tests.fixtures import log_in
from testsupport.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "signature": ("/crm/correspondence/signature/add/", "input[name=_save]", Signature),
    "template": (reverse("mail:template_new"), "button.default", EmailTemplate),
}


@pytest.mark.parametrize("kind", PAGES)
def test_a_body_written_in_the_editor_is_saved_as_html_with_its_variable(page, live_server, alice, kind):
    url, save, model = PAGES[kind]
    log_in(page, live_server, alice)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + url)
    page.fill("#id_name", "Main")
    body = page.locator(".prose-editor:has(#id_body) .tiptap")
    body.click()
    page.keyboard.type("Best regards, ")
    page.get_by_label("Insert a variable").select_option(label="My name")
    page.locator(".prose-editor:has(#id_body)").get_by_role("button", name="bold").click()
    page.keyboard.type(" (sales)")
    expect(page.locator(".body-editor__unsubscribe")).to_have_count(0)
    screenshot(page, f"{kind}_editor")
    page.click(save)
    page.wait_for_url(lambda address: address != live_server.url + url)
    assert (
        model.objects.get(owner=alice).body == "<p>Best regards, {{ user.name }}<strong> (sales)</strong></p>"
    )
    assert problems == []
