"""Issue 12, "HTML that becomes script after it was sanitized": the stored-XSS payloads,
stored the way the forms store them (sanitized), reach an SMTP sink and the previews inert,
because the final HTML is sanitized after the last template step."""

import datetime as dt

import pytest
import time_machine
from django.template import Context, Engine

from correspondence import compose
from correspondence.models import CrmEmail, EmailTemplate, Signature
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from mailkit.sanitizing import sanitize_html
from massmail import previews
from massmail.models import Message
from massmail.sending import send_batch
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing
from testsupport.xss import PAYLOAD, live_script

pytestmark = pytest.mark.django_db
STORED = sanitize_html(PAYLOAD)  # what the message, signature and compose forms store


def html_part(received):
    return received.message.get_body(("html",)).get_content()


def test_the_payloads_survive_sanitizing_before_the_template_step():
    """The attack itself: a body that is clean as stored is not clean once rendered."""
    assert live_script(STORED) == []
    assert live_script(Engine().from_string(STORED).render(Context({})))


def test_a_mailing_reaches_the_recipient_without_script(alice, smtp_sink):
    drip_settings(time_compression=10**6)
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 1)
    signature = Signature.objects.create(owner=alice, name="sig", body=STORED)
    Message.objects.filter(pk=mailing.message_id).update(
        body=STORED + "<a href='{{ unsubscribe_url }}'>Unsubscribe</a>", signature=signature
    )
    assert send_batch(account.pk, 10).sent == 1
    html = html_part(smtp_sink.wait_for(1)[0])
    assert "Hello" in html and "Unsubscribe" in html
    assert live_script(html) == []


def test_a_test_send_and_the_preview_carry_no_script(alice, jane, smtp_sink):
    account_on(smtp_sink, alice)
    signature = Signature.objects.create(owner=alice, name="sig", body=STORED)
    message = Message.objects.create(
        owner=alice, subject="News", body=STORED + "{{ unsubscribe_url }}", signature=signature
    )
    sent = previews.send_test(message, alice)
    assert sent.ok, sent.sentence
    assert live_script(html_part(smtp_sink.wait_for(1)[0])) == []
    shown = previews.preview(message, alice, "contacts")
    assert shown.record == jane and "Hello" in shown.html
    assert live_script(shown.html) == []


def test_one_to_one_mail_with_signature_and_template_carries_no_script(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    signature = Signature.objects.create(owner=alice, name="sig", body=STORED)
    template = EmailTemplate.objects.create(owner=alice, name="tpl", subject="Offer", body=PAYLOAD)
    data = {
        "account": account,
        "to": ["jane@acme.test"],
        "subject": "Hi",
        "body": PAYLOAD,  # save_draft sanitizes it, as the compose form's POST does
        "signature": signature,
        "template": template,
    }
    draft = compose.new_draft(alice, jane)
    assert compose.apply_action(draft, data, [], "template", alice).ok
    # The page shows the inserted template's body; sending posts it back.
    outcome = compose.apply_action(draft, data | {"body": draft.html}, [], "send", alice)
    assert outcome.ok, outcome.message
    direct = compose.apply_action(compose.new_draft(alice, jane), data, [], "send", alice)
    assert direct.ok, direct.message
    for received in smtp_sink.wait_for(2):
        assert "Hello" in html_part(received)
        assert live_script(html_part(received)) == []
    for sent in CrmEmail.objects.filter(status="sent"):
        assert live_script(sent.html) == []


@pytest.mark.parametrize("forward", [False, True])
def test_replying_to_or_forwarding_an_imported_message_carries_no_script(alice, jane, smtp_sink, forward):
    account = account_on(smtp_sink, alice)
    imported = CrmEmail.objects.create(
        account=account,
        direction="in",
        contact=jane,
        sender="jane@acme.test",
        subject="Question",
        message_id="<q1@acme.test>",
        html=STORED,  # imported mail is stored sanitized
        date=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    draft = compose.reply_draft(alice, imported, forward=forward)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        outcome = compose.send_email(draft, alice)
    assert outcome.ok or forward, outcome.message  # a forward has no recipient yet
    if forward:
        draft.recipients = "boss@acme.test"
        draft.save()
        assert compose.send_email(draft, alice).ok
    html = html_part(smtp_sink.wait_for(1)[0])
    assert "Hello" in html and live_script(html) == []
    draft.refresh_from_db()
    assert draft.status == "sent" and live_script(draft.html) == []
