# ruff: noqa: F811 (pytest fixtures imported by name)
"""IMAP sync against the session's Dovecot: what gets imported, linked, skipped, and what it costs."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from correspondence.models import CrmEmail
from crm.models import Company, Contact, Request
from mailaccounts import imap_sync
from mailaccounts.models import AccountNotification, EmailAccount, ImapFolder
from mailaccounts.tests.imap_helpers import (  # noqa: F401 (fixtures)
    PASSWORD,
    account,
    imap_commands,
    mail,
    mailbox,
    media_root,
)
from massmail.models import Mailing, MailingRecipient, Message, Suppression

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(alice):
    company = Company.objects.create(full_name="Buyer Ltd", email="info@buyer.example", owner=alice)
    return Contact.objects.create(
        company=company, first_name="Pat", last_name="Buyer", email="pat@buyer.example", owner=alice
    )


@pytest.fixture
def offer(alice, buyer):
    return Request.objects.create(subject="Offer", owner=alice, contact=buyer, company=buyer.company)


@pytest.fixture
def recipient(alice, buyer, account):
    message = Message.objects.create(owner=alice, subject="News", body="<p>{{ unsubscribe_url }}</p>")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts", sent_count=1)
    return MailingRecipient.objects.create(
        mailing=mailing,
        contact=buyer,
        email=buyer.email,
        status="sent",
        account=account,
        sent_at=timezone.now(),
        message_id="<news-1@crm.test>",
    )


def test_reply_with_ticket_in_subject_is_linked_to_its_request(account, mailbox, offer, buyer):
    mailbox.append(mail(subject=f"Re: Offer [ticket:{offer.ticket}]", body="Yes please"))

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    email = CrmEmail.objects.get()
    assert (email.request, email.contact, email.company) == (offer, buyer, buyer.company)
    assert email.direction == "in" and email.text.strip() == "Yes please"
    assert (run.fetched, run.imported, run.linked) == (1, 1, 1)
    account.refresh_from_db()
    assert account.last_sync_result.startswith("OK: 1 new, 1 imported, 1 linked")
    assert account.next_sync_at == account.last_sync_at + timedelta(minutes=account.sync_interval)
    assert account.sync_lease_until is None


def test_ticket_only_in_the_body_is_found(account, mailbox, offer):
    mailbox.append(mail(subject="Re: your question", body=f"> earlier text [ticket:{offer.ticket}]\nThanks"))

    imap_sync.sync_account(account)

    assert CrmEmail.objects.get().request == offer


def test_reply_by_references_to_a_mailing_links_the_recipients_records(account, mailbox, recipient, buyer):
    mailbox.append(mail(subject="Re: News", references="<news-1@crm.test>", in_reply_to="<news-1@crm.test>"))

    imap_sync.sync_account(account)

    email = CrmEmail.objects.get()
    assert (email.contact, email.company, email.request) == (buyer, buyer.company, None)


def test_unticketed_mail_is_not_imported(account, mailbox, offer):
    mailbox.append(mail(subject="Lunch?", body="No ticket here"))
    mailbox.append(mail(subject="Re: something", in_reply_to="<unknown@elsewhere.example>"))

    run = imap_sync.sync_account(account)

    assert (run.fetched, run.imported) == (2, 0)
    assert not CrmEmail.objects.exists()


def test_an_idle_poll_costs_one_status_per_folder_and_fetches_nothing(account, mailbox, offer, imap_commands):
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]"))
    imap_sync.sync_account(account)
    imap_commands.clear()

    run = imap_sync.sync_account(account)

    folders = ImapFolder.objects.filter(account=account, is_active=True).count()
    assert imap_commands == ["LOGIN", *["STATUS"] * folders, "LOGOUT"]
    assert run.round_trips == len(imap_commands)
    assert (run.fetched, run.imported) == (0, 0)
    assert CrmEmail.objects.count() == 1


def test_first_sync_skips_trash_junk_and_drafts_and_syncs_sent_as_outgoing(account, mailbox, offer):
    mailbox.append(mail(subject=f"Trashed [ticket:{offer.ticket}]"), folder="Trash")
    mailbox.append(mail(subject=f"Spam [ticket:{offer.ticket}]"), folder="Junk")
    mailbox.append(
        mail(subject=f"Our offer [ticket:{offer.ticket}]", sender=mailbox.user, to="pat@buyer.example"),
        folder="Sent",
    )

    imap_sync.sync_account(account)

    active = dict(ImapFolder.objects.filter(account=account).values_list("name", "is_active"))
    assert active == {"INBOX": True, "Sent": True, "Trash": False, "Junk": False, "Drafts": False}
    email = CrmEmail.objects.get()
    assert (email.subject, email.direction, email.folder, email.request) == (
        f"Our offer [ticket:{offer.ticket}]",
        "out",
        "Sent",
        offer,
    )
    assert email.contact.email == "pat@buyer.example"


def test_sync_from_now_skips_mail_from_before_import_was_switched_on(account, mailbox, offer):
    account.sync_from, account.do_import = "now", False
    account.save()
    account.do_import = True
    account.save()
    before = account.import_enabled_at - timedelta(seconds=2)  # the same day, but earlier
    mailbox.server.append(
        mailbox.user,
        mailbox.password,
        "INBOX",
        mail(subject=f"Old [ticket:{offer.ticket}]").as_bytes(),
        date=before,
    )
    imap_sync.sync_account(account)
    assert not CrmEmail.objects.exists()

    mailbox.append(mail(subject=f"New [ticket:{offer.ticket}]"))
    account.refresh_from_db()
    imap_sync.sync_account(account)

    assert list(CrmEmail.objects.values_list("subject", flat=True)) == [f"New [ticket:{offer.ticket}]"]


def test_sync_from_now_imports_mail_that_came_before_the_first_poll(account, mailbox, offer):
    """Workers down, a slow beat: mail arriving after import was switched on is not lost."""
    account.sync_from, account.do_import = "now", False
    account.save()
    earlier = timezone.now() - timedelta(seconds=5)
    mailbox.server.append(
        mailbox.user,
        mailbox.password,
        "INBOX",
        mail(subject=f"Before [ticket:{offer.ticket}]").as_bytes(),
        date=earlier,
    )
    account.do_import = True
    account.save(update_fields=["do_import", "sync_from"])  # the moment import was switched on
    account.refresh_from_db()
    assert account.import_enabled_at is not None
    mailbox.server.append(
        mailbox.user,
        mailbox.password,
        "INBOX",
        mail(subject=f"Gap [ticket:{offer.ticket}]").as_bytes(),
        date=account.import_enabled_at + timedelta(seconds=1),
    )
    with time_machine.travel(timezone.now() + timedelta(hours=3)):  # the first poll, late
        assert imap_sync.sync_account(account).ok
    mailbox.append(mail(subject=f"After [ticket:{offer.ticket}]"))
    account.refresh_from_db()
    imap_sync.sync_account(account)

    subjects = list(CrmEmail.objects.order_by("uid").values_list("subject", flat=True))
    assert subjects == [f"Gap [ticket:{offer.ticket}]", f"After [ticket:{offer.ticket}]"]


def test_import_enabled_at_follows_do_import_whoever_switches_it(alice):
    account = EmailAccount.objects.create(owner=alice, email="a@crm.test")
    assert account.import_enabled_at is None
    with time_machine.travel("2026-03-01 09:00 +0000", tick=False):
        account.do_import = True
        account.save(update_fields=["do_import"])
    account.refresh_from_db()
    assert account.import_enabled_at.isoformat() == "2026-03-01T09:00:00+00:00"
    account.save()  # still on: the moment stays
    account.refresh_from_db()
    assert account.import_enabled_at.isoformat() == "2026-03-01T09:00:00+00:00"
    account.do_import = False
    account.save()
    account.refresh_from_db()
    assert account.import_enabled_at is None


def test_changed_uidvalidity_resyncs_without_duplicates(account, mailbox, offer):
    mailbox.append(mail(subject=f"First [ticket:{offer.ticket}]"))
    imap_sync.sync_account(account)
    old = ImapFolder.objects.get(account=account, name="INBOX").uidvalidity

    new = mailbox.server.change_uidvalidity(mailbox.user, "INBOX")
    mailbox.append(mail(subject=f"Second [ticket:{offer.ticket}]"))
    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    inbox = ImapFolder.objects.get(account=account, name="INBOX")
    assert inbox.uidvalidity == new != old
    assert sorted(CrmEmail.objects.values_list("subject", flat=True)) == [
        f"First [ticket:{offer.ticket}]",
        f"Second [ticket:{offer.ticket}]",
    ]
    assert run.imported == 1
    assert not CrmEmail.objects.filter(uid=None).exists()


DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.buyer.example>
To: {account}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.buyer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.buyer.example

Final-Recipient: rfc822; pat@buyer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <pat@buyer.example>: Recipient address rejected

--BOUND
Content-Type: text/rfc822-headers

From: alice@crm.test
To: pat@buyer.example
Subject: News
Message-ID: <news-1@crm.test>

--BOUND--
"""


def test_a_bounce_fails_the_recipient_and_suppresses_the_address(account, mailbox, recipient):
    mailbox.append(DSN.format(account=mailbox.user).replace("\n", "\r\n").encode())

    run = imap_sync.sync_account(account)

    recipient.refresh_from_db()
    assert recipient.status == "failed"
    assert "550 5.1.1" in recipient.last_error
    assert Suppression.objects.get(email="pat@buyer.example").reason == "bounced"
    recipient.mailing.refresh_from_db()
    assert (recipient.mailing.sent_count, recipient.mailing.failed_count) == (0, 1)
    assert not CrmEmail.objects.exists()
    assert "1 bounced" in EmailAccount.objects.get(pk=account.pk).last_sync_result
    assert run.ok


def test_auto_reply_is_recorded_but_does_not_reopen_the_request(account, mailbox, offer):
    offer.status = Request.Status.CLOSED
    offer.save()
    mailbox.append(
        mail(subject=f"Out of office: Re: Offer [ticket:{offer.ticket}]", Auto_Submitted="auto-replied")
    )

    imap_sync.sync_account(account)

    assert CrmEmail.objects.get().is_auto_reply
    offer.refresh_from_db()
    assert offer.status == Request.Status.CLOSED


def test_a_real_answer_reopens_a_closed_request(account, mailbox, offer):
    offer.status = Request.Status.CLOSED
    offer.save()
    mailbox.append(mail(subject=f"Re: Offer [ticket:{offer.ticket}]", body="One more question"))

    imap_sync.sync_account(account)

    offer.refresh_from_db()
    assert offer.status == Request.Status.IN_PROGRESS
    assert not CrmEmail.objects.get().is_auto_reply


def test_a_malformed_message_is_imported_as_well_as_it_can_be(account, mailbox, offer):
    raw = (
        "From: =?x-unknown?Q?P=E4t?= <pat@buyer.example>\r\n"
        f"Subject: =?utf-8?B?w5xiZXI=?= [ticket:{offer.ticket}]\r\n"
        "Message-ID: <broken-1@buyer.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        "\r\n"
        "--never-closed\r\n"
        "Content-Type: text/plain; charset=x-no-such-charset\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=FC=DFe =ZZ broken\r\n"
        "--never-closed\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p onclick='steal()'>Hi<script>alert(1)</script></p>\r\n"
    ).encode() + b"\xff\xfe trailing bytes\r\n"
    mailbox.append(raw)

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    email = CrmEmail.objects.get()
    assert email.request == offer
    assert "Grüße" in email.text
    assert "script" not in email.html and "onclick" not in email.html and "Hi" in email.html


def test_attachments_over_the_cap_are_recorded_but_not_stored(account, mailbox, offer, settings):
    settings.IMAP_ATTACHMENT_MAX_BYTES = 1000
    message = mail(subject=f"Files [ticket:{offer.ticket}]")
    message.add_attachment(b"x" * 100, maintype="application", subtype="pdf", filename="small.pdf")
    message.add_attachment(b"y" * 5000, maintype="application", subtype="zip", filename="big.zip")
    mailbox.append(message)

    imap_sync.sync_account(account)

    small, big = CrmEmail.objects.get().attachments.order_by("size")
    assert (small.filename, small.size, small.truncated, small.file.read()) == (
        "small.pdf",
        100,
        False,
        b"x" * 100,
    )
    assert (big.filename, big.size, big.truncated, bool(big.file)) == ("big.zip", 5000, True, False)


def test_an_attachment_named_to_escape_the_media_folder_is_stored_harmlessly(
    account, mailbox, offer, media_root
):
    message = mail(subject=f"Files [ticket:{offer.ticket}]")
    message.add_attachment(b"SECRET_KEY = 'x'", maintype="text", subtype="html", filename="../../settings.py")
    mailbox.append(message)

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    attachment = CrmEmail.objects.get().attachments.get()
    assert attachment.filename == "settings.py"
    assert attachment.file.name.startswith("attachments/") and "settings" not in attachment.file.name
    assert attachment.file.read() == b"SECRET_KEY = 'x'"
    assert Path(attachment.file.path).resolve().is_relative_to(Path(media_root).resolve())


def test_excluded_senders_are_not_imported(account, mailbox, offer):
    account.exclude_patterns = "noreply@*\n*@marketing.*"
    account.save()
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]", sender="noreply@shop.example"))
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]", sender="x@marketing.example"))
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]", sender="pat@buyer.example"))

    imap_sync.sync_account(account)

    assert list(CrmEmail.objects.values_list("sender", flat=True)) == ["pat@buyer.example"]


def test_import_all_with_unknown_senders_creates_contacts(account, mailbox):
    account.import_all = True
    account.create_unknown_contacts = True
    account.save()
    mailbox.append(mail(subject="Hello", sender="Sam Newman <sam@newco.example>"))
    mailbox.append(mail(subject="Hi", sender="Kim Free <kim.free@gmail.com>"))

    imap_sync.sync_account(account)

    sam = Contact.objects.get(email="sam@newco.example")
    kim = Contact.objects.get(email="kim.free@gmail.com")
    assert (sam.first_name, sam.last_name, sam.company.full_name) == ("Sam", "Newman", "newco.example")
    assert kim.company.full_name == "Private persons"
    assert CrmEmail.objects.filter(contact__isnull=False).count() == 2


def test_wrong_password_deactivates_the_account(account, mailbox):
    account.password = "wrong"
    account.save()

    run = imap_sync.sync_account(account)

    assert not run.ok and "IMAP login failed" in run.error
    account.refresh_from_db()
    assert (account.is_active, account.needs_reconnect) == (False, True)
    assert account.last_sync_result.startswith("Error: IMAP login failed")
    assert AccountNotification.objects.get(account=account).text.count("Re-connect needed") == 1


def test_an_unreachable_server_is_an_error_not_a_deactivation(account, dovecot):
    account.imap_port = 1  # nothing listens there
    account.save()

    run = imap_sync.sync_account(account)

    assert not run.ok and "Cannot connect" in run.error
    account.refresh_from_db()
    assert account.is_active and not account.needs_reconnect


def test_starttls_with_an_untrusted_certificate_needs_the_account_to_allow_it(account):
    account.imap_security = "starttls"
    account.save()

    refused = imap_sync.sync_account(account)
    account.allow_untrusted_cert = True
    account.save()
    accepted = imap_sync.sync_account(account)

    assert "certificate" in refused.error and not refused.ok
    assert accepted.ok, accepted.error


def test_only_one_poller_holds_an_account(account):
    lease = imap_sync.claim(account.pk)  # another worker is polling it

    assert imap_sync.sync_account(account) is None
    assert imap_sync.claim(account.pk) is None
    assert account not in imap_sync.due_accounts()

    with time_machine.travel(lease + timedelta(seconds=1)):
        run = imap_sync.sync_account(account)  # a dead worker's lease expires
    assert run is not None and run.ok


def test_poll_due_accounts_syncs_only_accounts_whose_time_has_come(account):
    later = EmailAccount.objects.create(
        email="later@crm.test",
        imap_host="127.0.0.1",
        do_import=True,
        next_sync_at=timezone.now() + timedelta(hours=1),
    )

    runs = imap_sync.poll_due_accounts()

    assert [run.account_id for run in runs] == [account.pk]
    assert not later.sync_runs.exists()
    assert imap_sync.poll_due_accounts() == []  # account's next sync is sync_interval away


@pytest.mark.django_db(transaction=True)
def test_two_pollers_claiming_at_the_same_moment_one_wins(account):
    import threading

    from django.db import connection

    barrier, leases = threading.Barrier(2), []

    def poller():
        barrier.wait()
        try:
            leases.append(imap_sync.claim(account.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(lease is None for lease in leases) == [False, True]


def test_a_folder_the_user_turned_off_is_not_polled(account, mailbox, offer, imap_commands):
    imap_sync.sync_account(account)
    ImapFolder.objects.filter(account=account, name="INBOX").update(is_active=False)
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]"))
    imap_commands.clear()

    imap_sync.sync_account(account)

    assert imap_commands == ["LOGIN", "STATUS", "LOGOUT"]  # Sent only
    assert not CrmEmail.objects.exists()


def test_implicit_tls_with_a_trusted_certificate_is_verified_and_works(
    account, mailbox, offer, trust_tls_cert
):
    account.imap_security, account.imap_port = "ssl", mailbox.server.imaps_port
    account.save()
    mailbox.append(mail(subject=f"[ticket:{offer.ticket}]"))

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    assert CrmEmail.objects.get().request == offer


def test_a_time_budget_stops_between_chunks_and_the_next_poll_continues(account, mailbox, offer, monkeypatch):
    monkeypatch.setattr(imap_sync, "HEADER_CHUNK", 2)
    for n in range(5):
        mailbox.append(mail(subject=f"{n} [ticket:{offer.ticket}]"))

    first = imap_sync.sync_account(account, time_budget=1e-9)

    assert (first.ok, first.imported) == (True, 2)
    assert "continues on the next poll" in account.last_sync_result
    assert account.next_sync_at == account.last_sync_at  # due again at once
    assert account in imap_sync.due_accounts()
    while account.sync_runs.count() < 10 and CrmEmail.objects.count() < 5:
        imap_sync.sync_account(account, time_budget=1e-9)
    assert CrmEmail.objects.count() == 5


def test_taking_due_accounts_moves_them_to_their_next_interval(account):
    assert imap_sync.take_due_accounts() == [account.pk]
    assert imap_sync.take_due_accounts() == []  # a second beat (or the next tick) queues nothing

    account.refresh_from_db()
    with time_machine.travel(account.next_sync_at + timedelta(seconds=1)):
        assert imap_sync.take_due_accounts() == [account.pk]
