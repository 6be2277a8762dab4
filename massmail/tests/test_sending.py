import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailaccounts.models import AccountNotification, EmailAccount
from massmail.models import Mailing, MailingRecipient, Suppression
from massmail.sending import mark_stuck_uncertain, send_batch
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing

Status = MailingRecipient.Status
FAST = 10**6  # time compression: pacing intervals of milliseconds


@pytest.fixture
def fast(db):
    return drip_settings(time_compression=FAST)


def statuses(mailing):
    return dict(
        MailingRecipient.objects.filter(mailing=mailing).values_list("email", "status").order_by("email")
    )


def test_a_batch_sends_over_one_connection_and_finishes_the_mailing(fast, alice, smtp_sink):
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 5)
    result = send_batch(account.pk, 10)
    assert (result.sent, result.connections) == (5, 1)
    received = smtp_sink.wait_for(5)
    assert {m.connection for m in received} == {1}
    rows = {r.email: r for r in MailingRecipient.objects.filter(mailing=mailing)}
    for message in received:
        row = rows[message.rcpt_tos[0]]
        assert message.message["Message-ID"] == row.message_id
        assert (row.status, row.account_id, row.attempts) == (Status.SENT, account.pk, 1)
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count) == (Mailing.Status.DONE, 5)
    assert mailing.notifications.filter(text__startswith="Done: 5 sent").exists()
    assert AccountNotification.objects.filter(account=account, text__contains="is done").exists()
    account.refresh_from_db()
    assert account.sent_today == 5 and account.last_sent_at is not None


def test_the_daily_limit_holds_and_the_next_day_goes_on(fast, alice, smtp_sink):
    account = make_account(alice, smtp_sink, "a1", daily_limit=3)
    mailing = make_mailing(alice, 5)
    monday = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(monday, tick=True):
        assert send_batch(account.pk, 10).sent == 3
        assert send_batch(account.pk, 10).sent == 0
    with time_machine.travel(monday + datetime.timedelta(days=1), tick=True):
        assert send_batch(account.pk, 10).sent == 2
    assert len(smtp_sink.messages) == 5
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_nothing_goes_out_on_a_friday_with_business_time(alice, smtp_sink):
    drip_settings(use_business_time=True, time_zone="Europe/Berlin", time_compression=FAST)
    account = make_account(alice, smtp_sink, "a1")
    make_mailing(alice, 2)
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC), tick=True):
        assert send_batch(account.pk, 10).sent == 0
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC), tick=True):
        assert send_batch(account.pk, 10).sent == 2


def test_main_accounts_send_only_to_vips_and_a_spent_main_hands_vips_on(fast, alice, smtp_sink):
    main = make_account(alice, smtp_sink, "main", is_main=True, daily_limit=1)
    normal = make_account(alice, smtp_sink, "normal")
    mailing = make_mailing(alice, 5, vip=2)
    assert send_batch(main.pk, 10).sent == 1
    assert send_batch(normal.pk, 10).sent == 4  # the 3 non-VIPs and the VIP the spent main left
    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert set(rows.filter(account=main).values_list("is_vip", flat=True)) == {True}
    assert rows.filter(status=Status.SENT).count() == 5


def test_vips_wait_for_a_main_account_with_quota_left(fast, alice, smtp_sink):
    make_account(alice, smtp_sink, "main", is_main=True)
    normal = make_account(alice, smtp_sink, "normal")
    mailing = make_mailing(alice, 4, vip=1)
    assert send_batch(normal.pk, 10).sent == 3
    assert MailingRecipient.objects.get(mailing=mailing, is_vip=True).status == Status.PENDING


def test_an_audience_without_vip_never_touches_the_main_account(fast, alice, smtp_sink):
    main = make_account(alice, smtp_sink, "main", is_main=True)
    make_mailing(alice, 3)
    assert send_batch(main.pk, 10).claimed == 0
    assert smtp_sink.messages == []


def test_only_the_owners_accounts_are_used(fast, alice, bob, smtp_sink):
    bobs = make_account(bob, smtp_sink, "bob")
    make_mailing(alice, 3)
    assert send_batch(bobs.pk, 10).claimed == 0


def test_a_recipient_keeps_its_first_account(fast, alice, smtp_sink):
    drip_settings(time_compression=1)
    first = make_account(alice, smtp_sink, "first")
    other = make_account(alice, smtp_sink, "other")
    mailing = make_mailing(alice, 1)
    smtp_sink.fail("450 4.2.1 Mailbox busy", on="rcpt", times=1)
    assert send_batch(first.pk, 10).retry == 1
    row = MailingRecipient.objects.get(mailing=mailing)
    MailingRecipient.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert send_batch(other.pk, 10).claimed == 0
    EmailAccount.objects.filter(pk=first.pk).update(next_send_at=None)
    assert send_batch(first.pk, 10).sent == 1


def test_suppressed_and_unsubscribed_are_skipped_at_send_time(fast, alice, smtp_sink):
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    Suppression.suppress("ALICE0@rcpt.test", Suppression.Reason.UNSUBSCRIBED)
    row = MailingRecipient.objects.get(mailing=mailing, email="alice1@rcpt.test")
    type(row.contact).objects.filter(pk=row.contact_id).update(massmail=False)
    result = send_batch(account.pk, 10)
    assert (result.sent, result.skipped) == (1, 2)
    assert statuses(mailing) == {
        "alice0@rcpt.test": Status.SKIPPED,
        "alice1@rcpt.test": Status.SKIPPED,
        "alice2@rcpt.test": Status.SENT,
    }
    mailing.refresh_from_db()
    assert (mailing.status, mailing.skipped_count) == (Mailing.Status.DONE, 2)


@pytest.mark.parametrize("reply", ["550 5.1.1 No such user", "553 5.1.3 Bad address syntax"])
def test_a_refused_recipient_fails_alone(fast, alice, smtp_sink, reply):
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    smtp_sink.fail(reply, on="rcpt", rcpt="alice1@rcpt.test")
    assert send_batch(account.pk, 10).sent == 2
    row = MailingRecipient.objects.get(mailing=mailing, email="alice1@rcpt.test")
    assert row.status == Status.FAILED and row.last_error and reply[:3] in row.error_detail
    assert Suppression.objects.filter(email="alice1@rcpt.test", reason=Suppression.Reason.BOUNCED).exists()
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count, mailing.failed_count) == (Mailing.Status.DONE, 2, 1)


@pytest.mark.parametrize(
    "reply, on",
    [
        ("450 4.2.1 Mailbox busy", "rcpt"),
        ("451 4.3.0 Local error in processing", "data"),
        ("452 4.3.1 Insufficient system storage", "rcpt"),
        ("drop", "data"),
    ],
)
def test_a_temporary_failure_leaves_the_recipient_pending_with_a_back_off(alice, smtp_sink, reply, on):
    drip_settings()
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    smtp_sink.fail(reply, on=on, rcpt="alice1@rcpt.test", times=1)
    before = datetime.datetime.now(datetime.UTC)
    result = send_batch(account.pk, 10)
    assert (result.sent, result.retry) == (2, 1)
    row = MailingRecipient.objects.get(mailing=mailing, email="alice1@rcpt.test")
    assert (row.status, row.attempts, row.account_id) == (Status.PENDING, 1, account.pk)
    assert row.next_attempt_at > before + datetime.timedelta(minutes=4)
    assert row.last_error
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.ACTIVE
    # Later, the retry goes through.
    with time_machine.travel(row.next_attempt_at + datetime.timedelta(seconds=1), tick=True):
        assert send_batch(account.pk, 10).sent == 1
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_a_throttling_server_pauses_the_account(alice, smtp_sink):
    drip_settings()
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 3)
    smtp_sink.fail("421 4.7.0 Too many messages, slow down", on="mail", times=1)
    result = send_batch(account.pk, 10)
    assert result.stopped == "throttled" and result.sent == 0
    assert (
        MailingRecipient.objects.filter(mailing=mailing, status=Status.PENDING, claimed_at=None).count() == 3
    )
    account.refresh_from_db()
    assert account.next_send_at > datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    assert account.sent_today == 0  # nothing went out: the quota is given back


def test_a_rejected_login_disables_the_account_and_interrupts_the_mailing(fast, alice, smtp_sink_factory):
    sink = smtp_sink_factory(username="a1@sender.test", password="right", auth_required=True)
    account = make_account(alice, sink, "a1", password="wrong")
    mailing = make_mailing(alice, 3)
    result = send_batch(account.pk, 10)
    assert result.stopped == "auth" and result.sent == 0
    account.refresh_from_db()
    assert not account.is_active and account.needs_reconnect
    assert MailingRecipient.objects.filter(mailing=mailing, status=Status.PENDING, account=None).count() == 3
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.INTERRUPTED
    texts = list(mailing.notifications.values_list("text", flat=True))
    assert any("refused the login" in t for t in texts) and any("Interrupted" in t for t in texts)
    assert AccountNotification.objects.filter(account=account, level="error").exists()


def test_after_a_rejected_login_another_account_takes_over(fast, alice, smtp_sink, smtp_sink_factory):
    bad_sink = smtp_sink_factory(username="bad@sender.test", password="right", auth_required=True)
    bad = make_account(alice, bad_sink, "bad", password="wrong")
    good = make_account(alice, smtp_sink, "good")
    mailing = make_mailing(alice, 3)
    send_batch(bad.pk, 10)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.ACTIVE_ERROR
    assert send_batch(good.pk, 10).sent == 3
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_rows_left_sending_become_uncertain_and_are_never_resent(fast, alice, smtp_sink):
    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 2)
    lost = MailingRecipient.objects.filter(mailing=mailing).first()
    MailingRecipient.objects.filter(pk=lost.pk).update(
        status=Status.SENDING, claimed_at=datetime.datetime.now(datetime.UTC)
    )
    assert mark_stuck_uncertain() == 0  # not stuck yet
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=11)
    assert mark_stuck_uncertain(now=later) == 1
    assert send_batch(account.pk, 10).sent == 1
    lost.refresh_from_db()
    assert lost.status == Status.UNCERTAIN
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_queries_per_message_stay_the_same_whatever_the_audience(fast, alice, smtp_sink):
    account = make_account(alice, smtp_sink, "a1", daily_limit=10**6)
    make_mailing(alice, 20)
    with CaptureQueriesContext(connection) as small:
        assert send_batch(account.pk, 20).sent == 20
    make_mailing(alice, 20, prefix="big")
    make_mailing(alice, 400, prefix="rest")
    EmailAccount.objects.filter(pk=account.pk).update(next_send_at=None)
    with CaptureQueriesContext(connection) as large:
        assert send_batch(account.pk, 20).sent == 20
    assert len(large) <= len(small) + 1
    assert len(large) <= 20 * 3


def test_an_operator_decides_on_uncertain_rows(fast, alice, smtp_sink):
    from django.core.management import call_command

    account = make_account(alice, smtp_sink, "a1")
    mailing = make_mailing(alice, 2)
    first, second = MailingRecipient.objects.filter(mailing=mailing).order_by("pk")
    MailingRecipient.objects.filter(pk__in=[first.pk, second.pk]).update(status=Status.UNCERTAIN)
    call_command("resolve_uncertain", "--mailing", str(mailing.pk), "--sent")
    assert MailingRecipient.objects.filter(mailing=mailing, status=Status.SENT).count() == 2
    MailingRecipient.objects.filter(pk=second.pk).update(status=Status.UNCERTAIN)
    call_command("resolve_uncertain", "--retry")
    assert send_batch(account.pk, 10).sent == 1
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
