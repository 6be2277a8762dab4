"""A record's correspondence timeline lists the mailings it received beside its one-to-one
mail, with what became of each, scoped to the mailings the viewer sees."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from correspondence.models import CrmEmail, TrackingEvent
from crm.models import Company, Contact, Lead
from mailaccounts.models import EmailAccount
from massmail import record_pages
from massmail.models import Mailing, MailingRecipient, Message, Suppression

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def jane(alice):
    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test")
    return Contact.objects.create(company=company, owner=alice, first_name="Jane", email="jane@acme.test")


def received(owner, record, subject, at, status="sent", **row):
    """A mailing of `owner` that reached `record` at `at` (made at `at` minus an hour)."""
    message = Message.objects.create(owner=owner, subject=subject, body="{{ unsubscribe_url }}")
    kind, link = {
        Contact: ("contacts", "contact"),
        Company: ("companies", "company"),
        Lead: ("leads", "lead"),
    }[type(record)]
    mailing = Mailing.objects.create(owner=owner, message=message, recipient_type=kind, name=subject)
    Mailing.objects.filter(pk=mailing.pk).update(created_at=at - HOUR)
    sent = status in ("sent", "uncertain") or "bounced_at" in row
    return MailingRecipient.objects.create(
        mailing=mailing,
        email=record.email,
        status=status,
        sent_at=at if sent else None,
        **{link: record},
        **row,
    )


def timeline_rows(html):
    """The timeline's table rows, in page order, as text."""
    timeline = html[html.index('id="timeline"') :]
    rows = re.findall(r"<tr class=\"timeline-\w+\">(.*?)</tr>", timeline, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def states(record, user):
    return {
        row.mailing.name: [label for label, _, _ in row.states]
        for row in record_pages.mailings_received(record, user)
    }


def test_the_timeline_shows_each_mailing_received_with_what_became_of_it(alice, jane):
    opened = received(alice, jane, "March news", MONDAY)
    for kind in ("open", "open", "click"):
        TrackingEvent.objects.create(kind=kind, mailing_recipient=opened)
    TrackingEvent.objects.create(kind="open", mailing_recipient=opened, is_machine=True)  # a proxy
    received(
        alice,
        jane,
        "April news",
        MONDAY + 2 * HOUR,
        status="failed",
        bounced_at=MONDAY + 3 * HOUR,
        bounce_reason="mailbox_full",
        bounce_diagnostic="452 mailbox full",
    )
    received(alice, jane, "May news", MONDAY + 4 * HOUR)
    unsubscribe = Suppression.suppress(jane.email, Suppression.Reason.UNSUBSCRIBED)
    Suppression.objects.filter(pk=unsubscribe.pk).update(created_at=MONDAY + 5 * HOUR)
    received(alice, jane, "June news", MONDAY + 9 * HOUR, status="skipped", skip_reason="suppressed")
    received(alice, jane, "Not yet", MONDAY + 9 * HOUR, status="pending")

    assert states(jane, alice) == {
        "June news": ["skipped"],
        "May news": ["sent", "unsubscribed"],  # the last mailing before the unsubscribe
        "April news": ["bounced"],
        "March news": ["sent", "opened", "clicked"],
    }
    html = login(alice).get(reverse("crm:crm_contact_change", args=[jane.pk])).content.decode()
    assert 'title="Mailbox full: 452 mailbox full">bounced</span>' in html
    assert "Not yet" not in html
    assert "No correspondence yet" not in html


def test_mailings_and_one_to_one_mail_are_in_one_date_order(alice, jane):
    account = EmailAccount.objects.create(owner=alice, email="alice@sales.test")
    received(alice, jane, "March news", MONDAY)
    CrmEmail.objects.create(
        account=account,
        owner=alice,
        direction="out",
        status="sent",
        contact=jane,
        subject="Our offer",
        sender="alice@sales.test",
        recipients="jane@acme.test",
        date=MONDAY + HOUR,
    )
    CrmEmail.objects.create(
        account=account,
        direction="in",
        contact=jane,
        subject="Re: March news",
        sender="jane@acme.test",
        date=MONDAY + 3 * HOUR,
    )
    received(alice, jane, "April news", MONDAY + 2 * HOUR)

    html = login(alice).get(reverse("crm:crm_contact_change", args=[jane.pk])).content.decode()

    subjects = [
        next(s for s in ("Re: March news", "April news", "Our offer", "March news") if s in row)
        for row in timeline_rows(html)
    ]
    assert subjects == ["Re: March news", "April news", "Our offer", "March news"]


def test_no_correspondence_yet_only_when_there_is_neither_mail_nor_mailing(alice, jane):
    url = reverse("crm:crm_contact_change", args=[jane.pk])
    client = login(alice)
    received(alice, jane, "Still pending", MONDAY, status="pending")
    assert "No correspondence yet" in client.get(url).content.decode()

    received(alice, jane, "March news", MONDAY)
    html = client.get(url).content.decode()
    assert "No correspondence yet" not in html and "March news" in html


def test_the_subject_is_shown_as_the_record_got_it_not_as_its_template(alice, jane):
    received(alice, jane, "News for {{ company }}, {{ first_name }}", MONDAY, status="skipped")
    (row,) = timeline_rows(
        login(alice).get(reverse("crm:crm_contact_change", args=[jane.pk])).content.decode()
    )
    assert "News for Acme, Jane (mailing:" in row  # the mailing keeps its own name


def test_another_departments_mailing_is_neither_listed_nor_linked(alice, carol, dana, erin, jane):
    ours = received(alice, jane, "East news", MONDAY)
    Contact.objects.filter(pk=jane.pk).update(owner=carol, department=carol.department)
    jane.refresh_from_db()
    theirs = received(carol, jane, "West news", MONDAY + HOUR)
    Contact.objects.filter(pk=jane.pk).update(owner=alice, department=alice.department)  # handed over
    url = reverse("crm:crm_contact_change", args=[jane.pk])
    west_link = reverse("crm:massmail_mailing_change", args=[theirs.mailing_id])
    east_link = reverse("crm:massmail_mailing_change", args=[ours.mailing_id])

    for east_user in (alice, dana):
        html = login(east_user).get(url).content.decode()
        assert f'href="{east_link}"' in html
        assert west_link not in html and "West news" not in html
        assert login(east_user).get(west_link).status_code == 404  # the link it would have been
    html = login(erin).get(url).content.decode()  # a company manager sees every mailing
    assert f'href="{east_link}"' in html and f'href="{west_link}"' in html


@pytest.mark.parametrize("model", [Company, Lead])
def test_companies_and_leads_show_the_mailings_they_received(alice, model):
    names = {"full_name": "Acme"} if model is Company else {"first_name": "Lee"}
    record = model.objects.create(owner=alice, email="x@acme.test", **names)
    received(alice, record, "March news", MONDAY)
    url = reverse(f"crm:crm_{model._meta.model_name}_change", args=[record.pk])

    (row,) = timeline_rows(login(alice).get(url).content.decode())

    assert "March news" in row and "sent" in row


def test_the_timeline_reads_the_mailings_in_a_bounded_number_of_queries(
    alice, jane, django_assert_max_num_queries
):
    url = reverse("crm:crm_contact_change", args=[jane.pk])
    client = login(alice)
    received(alice, jane, "Mailing 0", MONDAY)
    client.get(url)  # warm the caches a first page view fills (content types, permissions)
    with CaptureQueriesContext(connection) as one_mailing:
        client.get(url)
    for n in range(1, 8):
        account = EmailAccount.objects.create(owner=alice, email=f"a{n}@sales.test")
        row = received(alice, jane, f"Mailing {n}", MONDAY + n * HOUR, account=account)
        TrackingEvent.objects.create(kind="click", mailing_recipient=row)

    with django_assert_max_num_queries(len(one_mailing)):
        html = client.get(url).content.decode()

    assert len(timeline_rows(html)) == 8
