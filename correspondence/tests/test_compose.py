import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from correspondence import compose
from correspondence.models import CrmEmail, EmailTemplate, Notification
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on

NOON = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def data(account, **extra):
    return {
        "account": account,
        "to": ["jane@acme.test"],
        "cc": [],
        "bcc": [],
        "subject": "Hello",
        "body": "<p>Hi there</p>",
        "template": None,
        "signature": None,
        "track_opens": False,
        "track_clicks": False,
        "read_receipt": False,
        **extra,
    }


def test_send_from_a_contact_reaches_the_server_with_headers_and_attachments(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    email = compose.new_draft(alice, jane)
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf")
    outcome = compose.apply_action(
        email,
        data(account, cc=["boss@acme.test"], bcc=["archive@crm.test"], read_receipt=True),
        [upload],
        "send",
        alice,
    )
    assert outcome.ok, outcome.message
    received = smtp_sink.wait_for(1)[0]
    email.refresh_from_db()
    message = received.message
    assert sorted(received.rcpt_tos) == ["archive@crm.test", "boss@acme.test", "jane@acme.test"]
    assert message["Message-ID"] == email.message_id and email.message_id.startswith("<")
    assert message["To"] == "jane@acme.test" and message["Cc"] == "boss@acme.test"
    assert message["Bcc"] is None
    assert message["Disposition-Notification-To"] == "alice@crm.test"
    assert "alice@crm.test" in message["From"]
    attachment = next(message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("offer.pdf", b"%PDF-1.4 offer")
    assert message.get_body(("plain",)).get_content().strip() == "Hi there"
    assert (email.status, email.direction, email.contact, email.company) == (
        "sent",
        "out",
        jane,
        jane.company,
    )
    assert email.date is not None and email.thread_key == email.message_id


def test_one_to_one_mail_counts_toward_the_accounts_day(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice, sent_today=7, sent_today_date=dt.date(2026, 1, 5))
    with time_machine.travel(dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC), tick=False):
        for _ in range(2):
            outcome = compose.apply_action(compose.new_draft(alice, jane), data(account), [], "send", alice)
            assert outcome.ok, outcome.message
    account.refresh_from_db()
    # Yesterday's 7 do not count; today's two do, and the drip's quota sees them.
    assert (account.sent_today, account.sent_today_date) == (2, dt.date(2026, 1, 6))
    assert account.last_sent_at == dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC)


def test_mail_about_a_request_carries_its_ticket(alice, quote_request, smtp_sink):
    account = account_on(smtp_sink, alice)
    email = compose.new_draft(alice, quote_request)
    assert compose.address_of(quote_request) == "jane@acme.test"
    compose.apply_action(email, data(account, subject="Your quote"), [], "send", alice)
    subject = smtp_sink.wait_for(1)[0].message["Subject"]
    assert subject == f"Your quote [ticket:{quote_request.ticket}]"
    email.refresh_from_db()
    assert (email.request, email.contact, email.subject) == (quote_request, quote_request.contact, subject)


def test_a_refused_recipient_keeps_the_draft_with_a_clear_message(alice, jane, smtp_sink):
    smtp_sink.fail("550 5.1.1 No such user", on="rcpt")
    account = account_on(smtp_sink, alice)
    email = compose.new_draft(alice, jane)
    outcome = compose.apply_action(email, data(account), [], "send", alice)
    email.refresh_from_db()
    assert not outcome.ok
    assert outcome.message.startswith("Not sent:") and "draft is kept" in outcome.message
    assert email.status == "draft" and email.last_error and "550" in email.error_detail
    assert email.html == "<p>Hi there</p>"


def test_an_unreachable_server_keeps_the_draft(alice, jane):
    account = account_on(None, alice)  # port 1: nothing listens
    email = compose.new_draft(alice, jane)
    outcome = compose.apply_action(email, data(account), [], "send", alice)
    assert not outcome.ok
    assert CrmEmail.objects.get(pk=email.pk).status == "draft"


def test_someone_elses_account_is_refused(alice, bob, jane, smtp_sink):
    email = compose.new_draft(alice, jane)
    outcome = compose.apply_action(email, data(account_on(smtp_sink, bob)), [], "send", alice)
    assert not outcome.ok and "may not send" in outcome.message
    assert not smtp_sink.messages


def test_tracking_only_when_account_and_message_want_it(alice, jane, smtp_sink):
    body = '<p>See <a href="https://acme.test/offer">the offer</a></p>'
    account = account_on(smtp_sink, alice, track_opens_clicks=True)
    tracked = compose.new_draft(alice, jane)
    compose.apply_action(
        tracked, data(account, body=body, track_opens=True, track_clicks=True), [], "send", alice
    )
    account.track_opens_clicks = False
    account.save()
    untracked = compose.new_draft(alice, jane)
    compose.apply_action(
        untracked, data(account, body=body, track_opens=True, track_clicks=True), [], "send", alice
    )
    first, second = (m.message.get_body(("html",)).get_content() for m in smtp_sink.wait_for(2))
    assert "/m/o/" in first and "/m/c/" in first and "https://acme.test/offer" not in first
    assert "/m/o/" not in second and "https://acme.test/offer" in second
    tracked.refresh_from_db()
    assert "/m/o/" not in tracked.html, "the stored copy is what the person wrote"


def test_scheduled_send_goes_out_at_its_time(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    email = compose.new_draft(alice, jane)
    with time_machine.travel(NOON, tick=False):
        outcome = compose.apply_action(
            email, data(account, scheduled_at=NOON + dt.timedelta(hours=2)), [], "schedule", alice
        )
        assert outcome.ok, outcome.message
    with time_machine.travel(NOON + dt.timedelta(hours=1, minutes=59), tick=False):
        assert compose.send_scheduled_emails() == 0
    assert not smtp_sink.messages
    with time_machine.travel(NOON + dt.timedelta(hours=2, seconds=5), tick=False):
        call_command("send_scheduled_emails")
        assert compose.send_scheduled_emails() == 0, "sent once"
    assert len(smtp_sink.wait_for(1)) == 1
    email.refresh_from_db()
    assert email.status == "sent" and email.date == NOON + dt.timedelta(hours=2, seconds=5)


def test_a_time_in_the_past_is_not_scheduled(alice, jane, smtp_sink):
    email = compose.new_draft(alice, jane)
    outcome = compose.apply_action(
        email,
        data(account_on(smtp_sink, alice), scheduled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        [],
        "schedule",
        alice,
    )
    assert not outcome.ok and "future" in outcome.message
    assert CrmEmail.objects.get(pk=email.pk).status == "draft"


def test_a_failed_scheduled_send_becomes_a_draft_and_tells_its_author(alice, jane, smtp_sink):
    smtp_sink.fail("554 5.7.1 Rejected", on="data")
    email = compose.new_draft(alice, jane)
    with time_machine.travel(NOON, tick=False):
        compose.apply_action(
            email,
            data(account_on(smtp_sink, alice), scheduled_at=NOON + dt.timedelta(minutes=5)),
            [],
            "schedule",
            alice,
        )
    with time_machine.travel(NOON + dt.timedelta(minutes=6), tick=False):
        assert compose.send_scheduled_emails() == 0
    email.refresh_from_db()
    assert email.status == "draft"
    note = Notification.objects.get(user=alice)
    assert note.kind == "send_failed" and "Not sent" in note.text


def test_template_variables_are_filled_for_the_record(alice, jane, smtp_sink):
    template = EmailTemplate.objects.create(
        owner=alice, name="Intro", subject="Hello {{ first_name }}", body="<p>Dear {{ first_name }},</p>"
    )
    email = compose.new_draft(alice, jane)
    account = account_on(smtp_sink, alice)
    compose.apply_action(email, data(account, template=template), [], "template", alice)
    email.refresh_from_db()
    assert email.subject == "Hello {{ first_name }}" and email.template == template
    compose.send_email(email, alice)
    message = smtp_sink.wait_for(1)[0].message
    assert message["Subject"] == "Hello Jane"
    assert "Dear Jane," in message.get_body(("html",)).get_content()


def test_reply_is_threaded_and_addressed_to_the_sender(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    incoming = CrmEmail.objects.create(
        account=account,
        direction="in",
        message_id="<q1@acme.test>",
        references="<root@crm.test>",
        subject="Question",
        sender="jane@acme.test",
        contact=jane,
        date=NOON,
        text="When?",
    )
    draft = compose.reply_draft(alice, incoming)
    assert draft.subject == "Re: Question" and draft.recipients == "jane@acme.test"
    assert draft.in_reply_to == "<q1@acme.test>" and draft.references == "<root@crm.test> <q1@acme.test>"
    assert draft.thread_key == incoming.thread_key == "<root@crm.test>"
    assert draft.contact == jane and draft.account == account
    forward = compose.reply_draft(alice, incoming, forward=True)
    assert forward.subject == "Fwd: Question" and forward.recipients == "" and not forward.in_reply_to


# --- pages --------------------------------------------------------------------------------------


def logged_in(client, user):
    client.force_login(user)
    return client


def test_compose_page_is_prefilled_from_the_record(client, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    response = logged_in(client, alice).get(reverse("mail:compose_about", args=["contact", jane.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["to"] == "jane@acme.test" and form.initial["account"] == account


def test_a_record_one_may_not_see_is_a_404(client, carol, jane):
    response = logged_in(client, carol).get(reverse("mail:compose_about", args=["contact", jane.pk]))
    assert response.status_code == 404


def test_draft_saved_and_reopened(client, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    client = logged_in(client, alice)
    response = client.post(
        reverse("mail:compose_about", args=["contact", jane.pk]),
        {
            "account": account.pk,
            "to": "jane@acme.test",
            "subject": "Later",
            "body": "<p>draft</p>",
            "action": "draft",
        },
    )
    email = CrmEmail.objects.get(status="draft")
    assert response.status_code == 302 and response["Location"] == reverse(
        "mail:compose_edit", args=[email.pk]
    )
    page = client.get(response["Location"])
    assert page.context["form"].initial["subject"] == "Later"
    assert page.context["form"].initial["to"] == "jane@acme.test"
    assert not smtp_sink.messages


def test_a_bad_address_is_a_form_error_not_a_500(client, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    response = logged_in(client, alice).post(
        reverse("mail:compose_about", args=["contact", jane.pk]),
        {"account": account.pk, "to": "not an address", "subject": "x", "action": "send"},
    )
    assert response.status_code == 200
    assert "is not an email address" in str(response.context["form"].errors["to"])


def test_send_failure_shows_a_message_on_the_draft(client, alice, jane, smtp_sink):
    smtp_sink.fail("550 5.1.1 No such user", on="rcpt")
    account = account_on(smtp_sink, alice)
    response = logged_in(client, alice).post(
        reverse("mail:compose_about", args=["contact", jane.pk]),
        {"account": account.pk, "to": "jane@acme.test", "subject": "x", "body": "y", "action": "send"},
        follow=True,
    )
    text = response.content.decode()
    assert "Not sent:" in text and "The draft is kept." in text
    assert "Last attempt failed" in text


def test_record_page_has_write_email_and_timeline_for_all_who_see_it(
    client, alice, dana, carol, jane, smtp_sink
):
    account = account_on(smtp_sink, alice)
    CrmEmail.objects.create(
        account=account, direction="in", subject="Re: offer", contact=jane, sender="jane@acme.test"
    )
    url = reverse("crm:crm_contact_change", args=[jane.pk])
    page = logged_in(client, dana).get(url).content.decode()  # her department head
    assert reverse("mail:compose_about", args=["contact", jane.pk]) in page
    assert "Re: offer" in page
    client.logout()
    assert logged_in(client, carol).get(url).status_code == 404


def test_a_rejected_login_disables_the_account_and_keeps_the_draft(alice, jane, smtp_sink_factory):
    sink = smtp_sink_factory(username="alice", password="right", auth_required=True)
    account = account_on(sink, alice, username="alice", password="wrong")
    email = compose.new_draft(alice, jane)
    outcome = compose.apply_action(email, data(account), [], "send", alice)
    account.refresh_from_db()
    assert not outcome.ok and "draft is kept" in outcome.message
    assert not account.is_active and account.needs_reconnect
    assert CrmEmail.objects.get(pk=email.pk).status == "draft"
    again = compose.send_email(CrmEmail.objects.get(pk=email.pk), alice)
    assert not again.ok and "disabled" in again.message


def test_timeline_shows_human_opens_and_clicks_of_sent_mail(alice, jane):
    from correspondence.models import TrackingEvent

    sent = CrmEmail.objects.create(direction="out", status="sent", contact=jane, owner=alice, date=NOON)
    TrackingEvent.objects.create(kind="open", crm_email=sent)
    TrackingEvent.objects.create(kind="open", crm_email=sent)
    TrackingEvent.objects.create(kind="open", crm_email=sent, is_machine=True)
    TrackingEvent.objects.create(kind="click", crm_email=sent)
    (row,) = compose.timeline(jane, alice)
    assert (row.opens, row.clicks) == (2, 1)


def test_too_large_attachments_and_no_account_are_form_errors(client, alice, jane, settings):
    from correspondence import forms

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    client = logged_in(client, alice)
    big = SimpleUploadedFile("big.bin", b"x" * (forms.MAX_ATTACHMENTS_BYTES + 1))
    response = client.post(
        reverse("mail:compose_about", args=["contact", jane.pk]),
        {"to": "jane@acme.test", "attachments": big, "action": "draft"},
    )
    errors = response.context["form"].errors
    assert "18 MB at most" in str(errors["attachments"])
    assert "no active account" in str(errors["account"])
    assert not CrmEmail.objects.exists()


def test_forward_carries_the_attachments_and_a_draft_can_drop_one(client, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    incoming = CrmEmail.objects.create(
        account=account, direction="in", subject="Plan", sender="jane@acme.test"
    )
    incoming.attachments.create(
        filename="plan.txt", size=4, file=SimpleUploadedFile("plan.txt", b"plan"), content_type="text/plain"
    )
    draft = compose.reply_draft(alice, incoming, forward=True)
    (copied,) = draft.attachments.all()
    assert copied.filename == "plan.txt"
    compose.apply_action(draft, data(account, to=["boss@acme.test"]), [], "send", alice)
    (part,) = smtp_sink.wait_for(1)[0].message.iter_attachments()
    assert part.get_content() == "plan"

    other = compose.reply_draft(alice, incoming, forward=True)
    response = logged_in(client, alice).post(
        reverse("mail:compose_edit", args=[other.pk]),
        {
            "account": account.pk,
            "to": "x@acme.test",
            "action": "draft",
            "remove_attachment": [other.attachments.get().pk],
        },
    )
    assert response.status_code == 302 and not other.attachments.exists()


def test_a_lost_attachment_file_keeps_the_draft(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    email = compose.new_draft(alice, jane)
    compose.save_draft(email, data(account), [SimpleUploadedFile("a.txt", b"a")])
    attachment = email.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    outcome = compose.send_email(email, alice)
    assert not outcome.ok and "attachment could not be read" in outcome.message
    assert CrmEmail.objects.get(pk=email.pk).status == "draft"


def test_without_an_account_the_page_says_so_and_whom_to_ask_before_anything_is_typed(client, alice):
    response = logged_in(client, alice).get(reverse("mail:compose"))
    notice = response.content.decode().split('id="no-account">')[1].split("</p>")[0]
    assert "no active account to send from" in notice and "Ask your administrator" in notice
    assert "/admin/" not in notice  # the administrator's page is not a sales manager's
