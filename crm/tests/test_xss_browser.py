"""Issue 12 in Chromium: the stored-XSS payloads, in an imported message, a sent reply and a
forward, a signature, an email template and a mailing message, are viewed by a superuser on
the thread page, the record's timeline, the previews and the editors, and no script runs."""

import datetime as dt

import pytest
from django.urls import reverse

from correspondence import compose
from correspondence.models import CrmEmail, EmailTemplate, Signature
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from crm.tests.fixtures import log_in
from massmail.models import Message
from testsupport.xss import PAYLOAD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RAW = PAYLOAD + '<script>window.__xss=1</script><img src="x" onerror="window.__xss=1">'


def stored_payloads(alice, jane, quote_request, smtp_sink):
    """Every place the issue names, holding the payloads; returns the URLs that show them."""
    account = account_on(smtp_sink, alice)
    imported = CrmEmail.objects.create(
        account=account,
        direction="in",
        folder="INBOX",
        message_id="<x1@acme.test>",
        subject="Your quote",
        sender="jane@acme.test",
        recipients="alice@crm.test",
        request=quote_request,
        contact=jane,
        date=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        html=RAW,  # as a raw form could store it: never sanitized
    )
    signature = Signature.objects.create(owner=alice, name="sig", body=RAW)
    template = EmailTemplate.objects.create(owner=alice, name="tpl", subject="Offer", body=RAW)
    reply = compose.reply_draft(alice, imported)
    reply.signature = signature
    reply.save()
    assert compose.send_email(reply, alice).ok
    forward = compose.reply_draft(alice, imported, forward=True)
    message = Message.objects.create(
        owner=alice, subject="News", body=RAW + "{{ unsubscribe_url }}", signature=signature
    )
    return [
        f"{reverse('mail:thread')}?key={imported.thread_key}",
        reverse("mail:body", args=[imported.pk]) + "?images=1",
        reverse("crm:crm_request_change", args=[quote_request.pk]),
        reverse("crm:massmail_message_preview", args=[message.pk]),
        reverse("crm:massmail_message_change", args=[message.pk]),
        reverse("crm:correspondence_signature_change", args=[signature.pk]),
        reverse("mail:templates"),
        reverse("mail:template_edit", args=[template.pk]),  # the body in the editor
        reverse("mail:compose_edit", args=[forward.pk]),
    ]


def test_no_stored_payload_runs_for_a_superuser(
    page, live_server, root, alice, jane, quote_request, smtp_sink
):
    urls = stored_payloads(alice, jane, quote_request, smtp_sink)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, root)
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, url
        for frame in page.frames[1:]:
            assert frame.evaluate("window.__xss") is None, (url, frame.url)
    page.goto(live_server.url + urls[0])
    frame = page.frame_locator("iframe.email-frame").first
    assert "Hello" in frame.locator("body").inner_text()  # the mail is there, inert
    assert dialogs == []


def test_remote_images_load_only_when_the_reader_asks(page, live_server, alice, jane):
    pixel = f"{live_server.url}/static/crm/crm.css?pixel"  # any URL of ours that answers
    email = CrmEmail.objects.create(
        account=account_on(None, alice),
        direction="in",
        message_id="<p1@acme.test>",
        subject="Newsletter",
        sender="news@acme.test",
        contact=jane,
        date=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        html=f'<p>Read me</p><img src="{pixel}" alt="tracking pixel">',
    )
    loaded = []  # a request the frame's policy blocks is reported, but never finishes
    page.on("requestfinished", lambda request: loaded.append(request.url) if "pixel" in request.url else None)
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}{reverse('mail:thread')}?key={email.thread_key}")
    page.wait_for_load_state("load")  # the page's load waits for its frames' documents
    frame = page.frame_locator("iframe.email-frame").first
    assert "Read me" in frame.locator("body").inner_text()
    assert loaded == []
    with page.expect_event("requestfinished", lambda request: "pixel" in request.url):
        page.click("text=Show images")
    assert loaded == [pixel]
