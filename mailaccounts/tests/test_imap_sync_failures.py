# ruff: noqa: F811 (pytest fixtures imported by name)
"""A message that cannot be imported is kept raw with the reason, retried on every poll, and
never blocks its folder: the folder's last UID moves past it and the mail after it comes in."""

import pytest
from django.test import Client
from django.urls import reverse

from correspondence.models import CrmEmail
from mailaccounts import imap_sync
from mailaccounts.handlers import register_fetched_mail_handler, unregister_fetched_mail_handler
from mailaccounts.models import FailedImport, ImapFolder
from mailaccounts.tests.imap_helpers import account, mail, mailbox, media_root  # noqa: F401 (fixtures)
from mailkit.tests.bounce_corpus import samples

pytestmark = pytest.mark.django_db

# A Date whose offset puts it past the year 9999 in UTC: parsed, but no database can keep it.
MALFORMED = (
    b"From: Pat Buyer <pat@buyer.example>\r\n"
    b"To: alice@crm.test\r\n"
    b"Subject: Broken date\r\n"
    b"Date: Fri, 31 Dec 9999 23:59:59 -2359\r\n"
    b"Message-ID: <broken-date@buyer.example>\r\n"
    b"\r\n"
    b"Hello\r\n"
)


def test_a_malformed_message_is_kept_raw_and_retried_without_blocking_the_folder(account, mailbox, alice):
    account.import_all = True
    account.save()
    mailbox.append(MALFORMED)
    mailbox.append(mail(subject="After the broken one"))

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    kept = FailedImport.objects.get(account=account)
    assert (kept.folder, kept.uid, kept.attempts) == ("INBOX", 1, 1)
    assert b"Subject: Broken date" in bytes(kept.raw)
    assert kept.reason  # the exception, for people
    assert list(CrmEmail.objects.values_list("subject", flat=True)) == ["After the broken one"]
    assert ImapFolder.objects.get(account=account, name="INBOX").last_uid == 2
    assert "1 could not be imported" in run.account.last_sync_result

    again = imap_sync.sync_account(account)  # no new mail: the kept one is tried again, still failing
    assert "1 could not be imported" in again.account.last_sync_result

    kept.refresh_from_db()
    assert kept.attempts == 2
    assert CrmEmail.objects.count() == 1
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])).content.decode()
    assert 'id="failed-imports"' in page
    assert "time zone displacement out of range" in page


def test_a_handler_that_fails_once_is_retried_on_the_next_poll(account, mailbox):
    bounce = next(s for s in samples() if s.label.kind == "bounce")
    calls = []

    def flaky(account, parsed, returned):
        calls.append(returned.kind.value)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return True

    register_fetched_mail_handler(flaky)
    try:
        mailbox.append(bounce.raw)
        first = imap_sync.sync_account(account)
        kept = FailedImport.objects.get(account=account)
        assert "RuntimeError: the database went away" in kept.reason
        assert ImapFolder.objects.get(account=account, name="INBOX").last_uid == 1
        assert first.ok and "could not be imported" in first.account.last_sync_result

        second = imap_sync.sync_account(account)
    finally:
        unregister_fetched_mail_handler(flaky)

    assert calls == ["bounce", "bounce"]
    assert not FailedImport.objects.exists()
    assert "1 bounced" in second.account.last_sync_result
