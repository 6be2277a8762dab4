"""Operators' log lines: one per batch, per IMAP sync and per bounce, naming the account and
the mailing; JSON objects with those ids as keys when LOG_FORMAT=json."""

import email
import json
import logging

from django.utils import timezone

from config.log_format import JsonFormatter
from mailaccounts import imap_sync
from mailaccounts.models import EmailAccount
from mailkit.returned_mail import read_returned_mail
from mailkit.tests.bounce_corpus import samples
from massmail import returns
from massmail.sending import send_batch
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing


def one_record(caplog, logger):
    (record,) = [r for r in caplog.records if r.name == logger]
    return record


def test_a_batch_logs_one_line_with_its_account_and_mailings(alice, smtp_sink, caplog):
    drip_settings(time_compression=10**6)
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    with caplog.at_level(logging.INFO, logger="massmail.sending"):
        send_batch(account.pk, 10)
    record = one_record(caplog, "massmail.sending")
    assert record.getMessage() == (
        f"account {account.pk}: sent 3, failed 0, skipped 0, retry later 0; mailing {mailing.pk}"
    )
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"]) == ("INFO", "massmail.sending")
    assert (line["account_id"], line["mailing_ids"], line["sent"]) == (account.pk, [mailing.pk], 3)
    assert line["message"] == record.getMessage() and line["time"].endswith("+00:00")


def test_an_imap_sync_logs_one_line_with_its_account(alice, caplog):
    account = make_account(alice, None, "a1", imap_host="127.0.0.1", imap_port=1, imap_security="none")
    with caplog.at_level(logging.INFO, logger="mailaccounts.imap_sync"):
        imap_sync.sync_account(account)
    record = one_record(caplog, "mailaccounts.imap_sync")
    assert record.getMessage().startswith(
        f"account {account.pk}: IMAP sync Error: Cannot connect to 127.0.0.1:1"
    )
    assert (record.levelname, record.account_id, record.ok) == ("WARNING", account.pk, False)


def test_a_bounce_logs_one_line_with_its_account_and_mailing(alice, caplog):
    sample = next(s for s in samples() if s.label.kind == "bounce" and s.label.failures[0].hard)
    failure = sample.label.failures[0]
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    mailing = make_mailing(alice, 1)
    mailing.recipients.update(
        email=failure.address,
        status="sent",
        account=account,
        message_id="<x@crm.test>",
        sent_at=timezone.now(),
    )
    returned = read_returned_mail(email.message_from_bytes(sample.raw))
    with caplog.at_level(logging.INFO, logger="massmail.returns"):
        assert returns.handle(account, None, returned)
        returns.handle(account, None, returned)  # a second copy of the report: no second line
    record = one_record(caplog, "massmail.returns")
    assert record.getMessage().startswith(
        f"account {account.pk}: bounce for mailing {mailing.pk}, {failure.address}: hard {failure.reason}"
    )
    line = json.loads(JsonFormatter().format(record))
    assert (line["account_id"], line["mailing_id"], line["reason"], line["hard"]) == (
        account.pk,
        mailing.pk,
        failure.reason,
        True,
    )
