"""RFC 3464 delivery-status reports: which recipient failed, why, and whether to suppress."""

import pytest
from django.utils import timezone

from crm.models import Company
from mailaccounts.mail_parsing import message_from_bytes
from mailaccounts.models import EmailAccount
from massmail.bounces import apply_report, parse_report
from massmail.models import Mailing, MailingRecipient, Message, Suppression


def dsn(action="failed", status="5.1.1", diagnostic="smtp; 550 5.1.1 User unknown", returned="headers"):
    if returned == "headers":
        original = "Content-Type: text/rfc822-headers\n\nMessage-ID: <orig-1@crm.test>\nSubject: News\n"
    elif returned == "message":
        original = "Content-Type: message/rfc822\n\nMessage-ID: <orig-1@crm.test>\nSubject: News\n\nHello\n"
    else:
        original = "Content-Type: text/plain\n\nnothing returned\n"
    return message_from_bytes(
        (
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
            "Subject: Delivery Status Notification\n\n"
            "--B\nContent-Type: text/plain\n\nSorry.\n\n"
            "--B\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example\n\n"
            f"Final-Recipient: rfc822; Pat@Buyer.example\nAction: {action}\nStatus: {status}\n"
            f"Diagnostic-Code: {diagnostic}\n\n"
            f"--B\n{original}\n--B--\n"
        ).encode()
    )


@pytest.fixture
def recipient(alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    company = Company.objects.create(full_name="Buyer", email="pat@buyer.example", owner=alice)
    message = Message.objects.create(owner=alice, subject="News", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="companies", sent_count=1)
    return MailingRecipient.objects.create(
        mailing=mailing,
        company=company,
        email="pat@buyer.example",
        status="sent",
        account=account,
        sent_at=timezone.now(),
        message_id="<orig-1@crm.test>",
    )


@pytest.mark.parametrize("returned", ["headers", "message"])
def test_report_names_the_original_message_and_the_failure(returned):
    report = parse_report(dsn(returned=returned))

    assert report.original_message_id == "<orig-1@crm.test>"
    (failure,) = report.failures
    assert (failure.address, failure.status, failure.permanent) == ("pat@buyer.example", "5.1.1", True)
    assert failure.diagnostic == "550 5.1.1 User unknown"


def test_an_ordinary_message_is_no_report():
    assert parse_report(message_from_bytes(b"Subject: hi\n\nbody")) is None


def test_permanent_failure_fails_the_recipient_and_suppresses(recipient):
    assert apply_report(parse_report(dsn()), recipient.account) == 1

    recipient.refresh_from_db()
    assert recipient.status == "failed" and recipient.last_error == "Bounced: 5.1.1 550 5.1.1 User unknown"
    assert Suppression.objects.get().email == "pat@buyer.example"
    assert apply_report(parse_report(dsn()), recipient.account) == 0  # a second copy changes nothing


def test_temporary_failure_fails_without_suppressing(recipient):
    apply_report(
        parse_report(dsn(status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full")), recipient.account
    )

    recipient.refresh_from_db()
    assert recipient.status == "failed" and "Mailbox full" in recipient.last_error
    assert not Suppression.objects.exists()


def test_delayed_is_not_a_failure(recipient):
    apply_report(parse_report(dsn(action="delayed", status="4.4.1")), recipient.account)

    recipient.refresh_from_db()
    assert recipient.status == "sent"


def test_without_returned_headers_the_latest_send_to_the_address_is_used(recipient):
    apply_report(parse_report(dsn(returned="none")), recipient.account)

    recipient.refresh_from_db()
    assert recipient.status == "failed"
