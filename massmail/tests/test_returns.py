# ruff: noqa: F811 (pytest fixtures imported by name)
"""What comes back for our mailings, delivered to the real Dovecot and polled by the real sync:
bounces fail their rows (hard ones suppress), complaints suppress and pause a mailing past the
providers' limit, auto-replies and delays suppress nothing, mail that is not ours is left alone."""

import email
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from correspondence.models import CrmEmail
from crm.models import Company, Contact
from mailaccounts import imap_sync
from mailaccounts.models import EmailAccount
from mailaccounts.tests.imap_helpers import account, mail, mailbox, media_root  # noqa: F401 (fixtures)
from mailkit.returned_mail import Kind, Returned, read_returned_mail
from mailkit.tests.bounce_corpus import samples
from mailkit.tests.test_returned_mail_imap import one_per_family
from massmail import reports, returns
from massmail.models import (
    Bounce,
    Mailing,
    MailingNotification,
    MailingRecipient,
    Message,
    Suppression,
    SuppressionLift,
)

pytestmark = pytest.mark.django_db


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mailing(alice):
    message = Message.objects.create(owner=alice, subject="Spring offer", body="{{ unsubscribe_url }}")
    return Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")


def sent_row(mailing, address, account, message_id, sent_at=None):
    return MailingRecipient.objects.create(
        mailing=mailing,
        email=address,
        status="sent",
        account=account,
        sent_at=sent_at or timezone.now(),
        message_id=message_id,
    )


def rows_for(sample, index, mailing, account):
    """The rows a sample is about: matched by its Message-ID (every other one), else only by
    address and the account that sent it (the row's own Message-ID is another one)."""
    label = sample.label
    addresses = [e.address for e in label.failures] + list(label.complained)
    addresses = addresses or [f"{sample.name}@nobody.example"]
    by_id = index % 2 == 0 or label.kind != "bounce"
    message_id = label.message_id if by_id and label.message_id else f"<other-{index}@crm.example>"
    return {a: sent_row(mailing, a, account, message_id) for a in addresses}


def unseen_count(mailbox):
    client = mailbox.server.connect(mailbox.user, mailbox.password)
    try:
        client.select("INBOX", readonly=True)
        typ, data = client.uid("SEARCH", "UNSEEN")
        return len(data[0].split())
    finally:
        client.logout()


def test_each_family_polled_from_dovecot_fails_suppresses_or_keeps_as_labelled(account, mailbox, mailing):
    chosen = one_per_family()
    rows = {sample.name: rows_for(sample, i, mailing, account) for i, sample in enumerate(chosen)}
    for sample in chosen:
        mailbox.append(sample.raw)

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    suppressed = dict(Suppression.objects.values_list("email", "reason"))
    for sample in chosen:
        label = sample.label
        for address, row in rows[sample.name].items():
            row.refresh_from_db()
            if label.kind == "bounce":
                (expected,) = [e for e in label.failures if e.address == address]
                assert row.status == "failed", sample.name
                assert row.bounce_reason == expected.reason, sample.name
                assert row.bounce_diagnostic and row.bounce_diagnostic in row.last_error, sample.name
                if expected.hard:
                    assert suppressed.get(address) == "bounced", sample.name
                    assert Suppression.objects.get(email=address).bounce_reason == expected.reason
                else:
                    assert address not in suppressed, sample.name  # kept until N soft bounces
            elif label.kind == "complaint":
                assert suppressed.get(address) == "complained", sample.name
                assert row.complained_at is not None, sample.name
            else:  # delay, auto-reply, ordinary mail
                assert row.status == "sent", sample.name
                assert address not in suppressed, sample.name
    returned = [s for s in chosen if s.label.kind in ("bounce", "complaint")]
    assert f"{len(returned)} bounced" in EmailAccount.objects.get(pk=account.pk).last_sync_result
    assert not CrmEmail.objects.filter(message_id__in=[s.label.message_id for s in returned]).exists()


def test_bounces_and_complaints_for_mail_not_ours_are_left_in_the_mailbox(account, mailbox, mailing, alice):
    other = EmailAccount.objects.create(owner=alice, email="bob@crm.test")
    chosen = [s for s in one_per_family() if s.label.kind in ("bounce", "complaint")]
    for i, sample in enumerate(chosen):
        # The same addresses were mailed, but from another account and as other messages.
        for address in [e.address for e in sample.label.failures] + list(sample.label.complained):
            sent_row(mailing, address, other, f"<elsewhere-{i}@crm.example>")
        mailbox.append(sample.raw)

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    assert not Suppression.objects.exists()
    assert set(mailing.recipients.values_list("status", flat=True)) == {"sent"}
    assert not CrmEmail.objects.exists()
    assert unseen_count(mailbox) == len(chosen)  # still there, not even marked read
    assert "bounced" not in EmailAccount.objects.get(pk=account.pk).last_sync_result


def soft_sample():
    return next(s for s in samples() if s.label.kind == "bounce" and not s.label.failures[0].hard)


@pytest.mark.parametrize(("days_apart", "suppressed"), [(10, True), (20, False)])
def test_soft_bounces_suppress_only_n_within_d_days(alice, days_apart, suppressed, settings):
    settings.SOFT_BOUNCE_LIMIT, settings.SOFT_BOUNCE_DAYS = 3, 30
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    sample = soft_sample()
    returned = read_returned_mail(email.message_from_bytes(sample.raw))
    address = sample.label.failures[0].address
    message = Message.objects.create(owner=alice, subject="News", body="{{ unsubscribe_url }}")
    start = timezone.now()
    for n in range(3):
        with time_machine.travel(start + timedelta(days=n * days_apart), tick=False):
            mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")
            sent_row(mailing, address, account, f"<soft-{n}@crm.example>")  # not the report's id
            assert returns.handle(account, None, returned)
            if n < 2:
                assert not Suppression.objects.filter(email=address).exists()

    assert Bounce.objects.filter(email=address, hard=False).count() == 3
    assert Suppression.objects.filter(email=address).exists() is suppressed
    if suppressed:
        suppression = Suppression.objects.get(email=address)
        assert suppression.reason == "soft_bounced"
        assert suppression.bounce_reason == sample.label.failures[0].reason
        assert "3 soft bounces within 30 days" in suppression.detail


def test_a_complaint_rate_above_the_limit_pauses_the_mailing_and_says_why(alice, mailing):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    MailingRecipient.objects.bulk_create(
        MailingRecipient(
            mailing=mailing,
            email=f"r{n}@buyer.example",
            status="sent",
            account=account,
            sent_at=timezone.now(),
            message_id=f"<r{n}@crm.example>",
        )
        for n in range(400)
    )

    def complaint(n):
        return Returned(
            Kind.COMPLAINT, complained=(f"r{n}@buyer.example",), message_ids=(f"<r{n}@crm.example>",)
        )

    assert returns.handle(account, None, complaint(1))  # 1 of 400: 0.25 %
    mailing.refresh_from_db()
    assert mailing.status == "active"

    assert returns.handle(account, None, complaint(2))  # 2 of 400: 0.5 %
    mailing.refresh_from_db()
    assert mailing.status == "paused"
    note = MailingNotification.objects.filter(mailing=mailing).first().text
    assert "Complaint rate 0.50% (2 of 400 sends) is above 0.3%" in note
    assert set(Suppression.objects.values_list("reason", flat=True)) == {"complained"}


def test_an_auto_reply_is_on_the_thread_suppresses_nothing_and_is_no_reply(account, mailbox, mailing):
    row = sent_row(mailing, "pat@buyer.example", account, "<news-7@crm.test>")
    mailbox.append(
        mail(
            subject="Automatic reply: Spring offer",
            in_reply_to=row.message_id,
            references=row.message_id,
            Auto_Submitted="auto-replied",
            body="I am out of the office until Monday.",
        )
    )

    run = imap_sync.sync_account(account)

    assert run.ok, run.error
    stored = CrmEmail.objects.get()
    assert stored.is_auto_reply and stored.in_reply_to == row.message_id
    row.refresh_from_db()
    assert row.status == "sent" and not Suppression.objects.exists()
    assert reports.mailing_figures(mailing).replied == 0


def test_the_mailing_page_shows_hard_soft_and_complaints(alice, mailing, account, mailbox):
    chosen = one_per_family()
    hard = next(s for s in chosen if s.label.kind == "bounce" and s.label.failures[0].hard)
    soft = next(s for s in chosen if s.label.kind == "bounce" and not s.label.failures[0].hard)
    complaint = next(s for s in chosen if s.label.kind == "complaint" and s.label.complained)
    for sample in [hard, soft, complaint]:
        rows_for(sample, 0, mailing, account)
        mailbox.append(sample.raw)
    assert imap_sync.sync_account(account).ok

    client = login(alice)
    page = client.get(reverse("crm:massmail_mailing_change", args=[mailing.pk])).content.decode()
    report = client.get(reverse("mail:mailing_report", args=[mailing.pk])).content.decode()

    assert "Returned: 1 bounced hard · 1 bounced soft · 1 complained" in page
    assert "What came back: 1 bounced hard, 1 bounced soft, 1 complained." in report
    diagnostic = MailingRecipient.objects.get(email=hard.label.failures[0].address).last_error
    assert "Bounced (hard:" in diagnostic
    assert diagnostic.split(":")[0] in page


def test_the_record_page_says_why_its_address_gets_no_newsletters(alice, mailing):
    company = Company.objects.create(full_name="Buyer Ltd", email="info@buyer.example", owner=alice)
    contact = Contact.objects.create(
        company=company, first_name="Pat", last_name="Buyer", email="Pat@Buyer.example", owner=alice
    )
    Suppression.suppress(
        "pat@buyer.example", Suppression.Reason.BOUNCED, "550 5.1.1 User unknown", "user_unknown"
    )
    url = reverse("crm:crm_contact_change", args=[contact.pk])

    page = login(alice).get(url).content.decode()

    assert 'id="suppression"' in page
    assert "Hard bounce (No such user)" in page
    assert f"since {timezone.localtime(Suppression.objects.get().created_at):%Y-%m-%d}" in page
    assert "550 5.1.1 User unknown" in page


def test_a_superuser_lifts_a_suppression_with_a_note_and_the_lift_is_recorded(root, alice):
    suppression = Suppression.suppress("pat@buyer.example", Suppression.Reason.COMPLAINED, "ARF abuse")
    url = reverse("admin:massmail_suppression_changelist")
    action = {"action": "lift_suppressions", ACTION_CHECKBOX_NAME: [suppression.pk]}
    client = login(root)

    asked = client.post(url, action)
    assert asked.status_code == 200 and 'name="note"' in asked.content.decode()
    client.post(url, {**action, "apply": "1", "note": ""})  # a note is required
    assert Suppression.objects.exists()
    client.post(url, {**action, "apply": "1", "note": "Customer asked on the phone"})

    assert not Suppression.objects.exists()
    lift = SuppressionLift.objects.get()
    assert (lift.email, lift.reason, lift.lifted_by, lift.note) == (
        "pat@buyer.example",
        "complained",
        root,
        "Customer asked on the phone",
    )
    assert lift.suppressed_at == suppression.created_at


def test_only_a_superuser_may_lift(alice):
    suppression = Suppression.suppress("pat@buyer.example", Suppression.Reason.BOUNCED)
    alice.is_staff = True
    alice.save()
    url = reverse("admin:massmail_suppression_changelist")
    data = {"action": "lift_suppressions", ACTION_CHECKBOX_NAME: [suppression.pk], "apply": "1", "note": "x"}
    login(alice).post(url, data)
    assert Suppression.objects.exists() and not SuppressionLift.objects.exists()
