import datetime as dt

import pytest

from correspondence.models import CrmEmail
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from crm.tests.fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_a_conversation_mark_it_read_and_reply(page, live_server, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    CrmEmail.objects.create(
        account=account,
        direction="in",
        folder="INBOX",
        message_id="<q1@acme.test>",
        subject="Seats?",
        sender="jane@acme.test",
        recipients="alice@crm.test",
        contact=jane,
        date=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
        text="How many seats are left?",
    )
    log_in(page, live_server, alice)
    page.click("#inbox-link")
    page.wait_for_url("**/crm/mail/")
    assert "1 unread" in page.inner_text("#result_list")
    page.fill("input[name=q]", "seats")
    page.click("#changelist-search button")
    # htmx posts the read mark once the conversation has loaded.
    with page.expect_response("**/crm/mail/read/") as marked:
        page.click("text=Seats?")
    assert marked.value.status == 204
    # The message itself is in its sandboxed frame.
    assert "How many seats are left?" in page.frame_locator("iframe.email-frame").locator("body").inner_text()
    assert CrmEmail.objects.get(message_id="<q1@acme.test>").is_read
    page.click("button:text('Reply')")
    page.wait_for_url("**/crm/mail/drafts/*/")
    assert page.input_value("#id_to") == "jane@acme.test"
    # The body is the editor, the quoted message already in it: the answer goes on top.
    body = page.locator(".field-body .tiptap")
    body.press("Control+Home")
    page.keyboard.type("Twelve.")
    page.keyboard.press("Enter")
    page.click("button[value=send]")
    page.wait_for_selector(".messagelist")
    message = smtp_sink.wait_for(1)[0].message
    assert message["In-Reply-To"] == "<q1@acme.test>"
    assert message["Subject"] == "Re: Seats?"
    sent = message.get_body(("html",)).get_content()
    assert sent.index("Twelve.") < sent.index("<blockquote>") < sent.index("How many seats are left?")
