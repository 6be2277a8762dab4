"""Issue 15, point 5: a sales manager writes a message in the editor, not in raw HTML, and the
mailing sent from it carries a working unsubscribe link."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from crm.models import Company, Contact
from crm.tests.fixtures import log_in
from mailkit.sanitizing import sanitize_html
from massmail.mailings import create_mailing
from massmail.models import Message, Suppression
from massmail.sending import send_batch
from massmail.tests.drip_helpers import drip_settings, make_account
from testsupport.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_console(page):
    """Console errors (a refused script or style under the CSP is one) and uncaught exceptions."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def open_new_message(page, live_server, user):
    log_in(page, live_server, user)
    problems = watch_console(page)
    page.goto(f"{live_server.url}/crm/massmail/message/add/")
    page.fill("#id_name", "Spring")
    page.fill("#id_subject", "Spring news for {{ first_name }}")
    return page.locator(".field-body .prose-editor"), problems


def test_the_unsubscribe_button_puts_a_working_link_in_the_sent_mail(page, live_server, alice, smtp_sink):
    settings.SITE_URL = live_server.url  # the link in the mail leads back to this server
    editor, problems = open_new_message(page, live_server, alice)
    expect(editor.locator(".tiptap")).to_be_visible()
    editor.locator(".tiptap").click()
    page.keyboard.type("Hello ")
    editor.get_by_label("Insert a variable").select_option(label="First name")
    page.keyboard.type(", our spring prices are in. ")
    editor.get_by_role("button", name="Unsubscribe link").click()
    page.keyboard.type("if you would rather not hear from us.")
    expect(editor.locator(".tiptap a")).to_have_text("Unsubscribe")
    screenshot(page, "message_editor")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/crm/massmail/message/")
    assert problems == []

    message = Message.objects.get(owner=alice)
    assert '<a href="{{ unsubscribe_url }}"' in message.body
    assert "Hello {{ first_name }}, our spring prices are in." in message.body
    assert ">Unsubscribe</a> if you would rather" in message.body, "typing after the link is not linked"

    drip_settings(time_compression=10**6)
    account = make_account(alice, smtp_sink, "spring")
    company = Company.objects.create(full_name="Acme", owner=alice)
    Contact.objects.create(company=company, owner=alice, first_name="Pat", email="pat@acme.test")
    create_mailing(alice, message, Contact.objects.all())
    assert send_batch(account.pk, 10).sent == 1

    html = smtp_sink.wait_for(1)[0].message.get_body(("html",)).get_content()
    assert "Hello Pat, our spring prices are in." in html
    link = re.search(r'<a href="([^"]+)"[^>]*>Unsubscribe</a>', html)
    assert link and link[1].startswith(f"{live_server.url}/"), html
    page.goto(link[1])
    page.get_by_role("button").click()
    expect(page.get_by_text("You are unsubscribed")).to_be_visible()
    assert Suppression.objects.filter(email="pat@acme.test", reason="unsubscribed").exists()


def test_the_source_view_round_trips_html(page, live_server, alice):
    editor, problems = open_new_message(page, live_server, alice)
    source = (
        "<h2>Spring</h2><p>Dear {{ first_name }}, <strong>new</strong> prices:</p>"
        "<ul><li><p>tea</p></li><li><p>coffee</p></li></ul>"
        '<p><a href="https://shop.test/spring">the shop</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    )
    editor.get_by_role("button", name="edit HTML").click()
    dialog = page.locator("dialog.prose-editor-dialog")
    dialog.locator("textarea").fill(source)
    dialog.get_by_role("button", name="Update").click()
    expect(editor.locator(".tiptap h2")).to_have_text("Spring")
    expect(editor.locator(".tiptap li")).to_have_count(2)

    # Opened again, the source view shows what was written, and so does the saved body.
    editor.get_by_role("button", name="edit HTML").click()
    assert dialog.locator("textarea").input_value() == source
    dialog.get_by_role("button", name="Cancel").click()
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/crm/massmail/message/")
    assert Message.objects.get(owner=alice).body == sanitize_html(source)  # it adds rel= to links
    assert problems == []
