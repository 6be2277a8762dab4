"""Creating a mailing in two steps: the review, then a start now or at a time; scheduled
mailings send nothing before their time, then drip as usual, and can be changed or cancelled."""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from crm.models import Company, Contact
from massmail import starting
from massmail.models import Mailing, MailingRecipient, Message, Suppression
from massmail.tests.drip_helpers import BODY, drip_settings, make_account

BERLIN = ZoneInfo("Europe/Berlin")
CREATE = "/crm/massmail/mailing/create/"


def berlin(*args):
    return datetime.datetime(*args, tzinfo=BERLIN)


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def audience(alice, bob, smtp_sink):
    """Alice's five contacts at Acme (three sendable, one without address, one not accepting
    newsletters, one suppressed) and one of Bob's, and a form that selects all of them."""
    drip_settings(time_zone="Europe/Berlin", use_business_time=True, non_working_days=[5, 6])
    make_account(alice, smtp_sink, "a1", daily_limit=90)
    acme = Company.objects.create(full_name="Acme", owner=alice, country="Germany")
    for n in range(3):
        Contact.objects.create(company=acme, owner=alice, first_name=f"P{n}", email=f"p{n}@rcpt.test")
    Contact.objects.create(company=acme, owner=alice, first_name="Nomail", email="")
    Contact.objects.create(company=acme, owner=alice, first_name="No", email="no@rcpt.test", massmail=False)
    Contact.objects.create(company=acme, owner=alice, first_name="Gone", email="gone@rcpt.test")
    Suppression.objects.create(email="gone@rcpt.test", reason=Suppression.Reason.UNSUBSCRIBED)
    Contact.objects.create(company=acme, owner=bob, first_name="Bobs", email="bobs@rcpt.test")
    message = Message.objects.create(owner=alice, name="News", subject="News for {{ first_name }}", body=BODY)
    return {"message": message.pk, "recipient_type": "contacts"}


def test_the_review_shows_audience_skips_message_accounts_and_finish_and_creates_nothing(alice, audience):
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):  # a Monday
        response = login(alice).post(CREATE, {**audience, "review": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong class="review-to-send">3</strong> will receive' in page
    assert "1 skipped: no address" in page
    assert "1 skipped: does not accept newsletters" in page
    assert "1 skipped: suppressed" in page
    assert "1 not included: not assigned to you" in page
    # The message for the first recipient, escaped into a sandboxed frame, never as our page's HTML.
    assert 'sandbox=""' in page and "&lt;p&gt;Hello P0&lt;/p&gt;" in page and "<p>Hello P0</p>" not in page
    assert "<td>a1@sender.test</td><td>90</td><td>0</td>" in page
    # 3 at 90 a day over 9 hours (10 an hour) take 18 minutes.
    assert "Expected finish if started now: <strong>2026-11-23 09:18</strong> (Europe/Berlin)" in page
    assert not Mailing.objects.exists() and not MailingRecipient.objects.exists()


def test_the_review_of_an_audience_nobody_may_mail_says_why(alice, audience):
    response = login(alice).post(CREATE, {**audience, "vip": "yes", "review": "1"})
    assert response.status_code == 200 and b"There are no recipients to mail." in response.content
    assert not Mailing.objects.exists()


def test_start_now_creates_a_running_mailing(alice, audience):
    response = login(alice).post(CREATE, {**audience, "create": "1", "when": "now"})
    mailing = Mailing.objects.get()
    assert (
        response.status_code == 302 and mailing.status == Mailing.Status.ACTIVE and mailing.start_at is None
    )


def test_a_start_in_the_past_is_refused_and_nothing_is_created(alice, audience):
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        response = login(alice).post(
            CREATE, {**audience, "create": "1", "when": "at", "start_at": "2026-11-23T08:00"}
        )
    assert response.status_code == 200 and b"The start must be in the future." in response.content
    assert not Mailing.objects.exists()


def send_due():
    out = StringIO()
    call_command("send_due", stdout=out)
    return out.getvalue()


def test_a_scheduled_mailing_sends_nothing_before_its_time_then_drips(alice, audience, smtp_sink):
    client = login(alice)
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        client.post(CREATE, {**audience, "create": "1", "when": "at", "start_at": "2026-11-24T10:30"})
        mailing = Mailing.objects.get()
        assert mailing.status == Mailing.Status.SCHEDULED
        assert mailing.start_at == berlin(2026, 11, 24, 10, 30)  # the settings' zone, not the server's
        page = client.get(f"/crm/massmail/mailing/{mailing.pk}/change/").content.decode()
        assert "Starts at <strong>2026-11-24 10:30</strong> (Europe/Berlin)" in page
    for moment in (berlin(2026, 11, 23, 9, 5), berlin(2026, 11, 24, 10, 29)):  # inside business hours
        with time_machine.travel(moment, tick=False):
            assert "Nothing is due" in send_due()
    assert smtp_sink.messages == []
    assert Mailing.objects.get().status == Mailing.Status.SCHEDULED
    # At its time it starts, and the drip's pace applies: one message per 6 minutes at 90 a day.
    with time_machine.travel(berlin(2026, 11, 24, 10, 30), tick=False):
        send_due()
    assert len(smtp_sink.messages) == 1
    assert Mailing.objects.get().status == Mailing.Status.ACTIVE
    with time_machine.travel(berlin(2026, 11, 24, 10, 31), tick=False):
        assert "Nothing is due" in send_due()
    for minute in (38, 46):  # the pace with its jitter (±10 %) is at most 6.6 minutes
        with time_machine.travel(berlin(2026, 11, 24, 10, minute), tick=False):
            send_due()
    assert len(smtp_sink.messages) == 3
    assert Mailing.objects.get().status == Mailing.Status.DONE


def scheduled(alice, audience, start="2026-11-24T10:30"):
    login(alice).post(CREATE, {**audience, "create": "1", "when": "at", "start_at": start})
    return Mailing.objects.get()


def test_the_start_can_be_moved_or_made_now_before_it_starts(alice, audience):
    client = login(alice)
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        mailing = scheduled(alice, audience)
        url = f"/crm/massmail/mailing/{mailing.pk}/schedule/"
        client.post(url, {"when": "at", "start_at": "2026-11-25T08:00"})
        assert Mailing.objects.get().start_at == berlin(2026, 11, 25, 8, 0)
        response = client.post(url, {"when": "at", "start_at": "2026-11-20T08:00"}, follow=True)
        assert b"The start must be in the future." in response.content
        assert Mailing.objects.get().start_at == berlin(2026, 11, 25, 8, 0)
        client.post(url, {"when": "now"})
        assert Mailing.objects.get().status == Mailing.Status.ACTIVE
        # Once started it cannot be rescheduled or cancelled.
        client.post(url, {"cancel": "1"})
        assert Mailing.objects.get().status == Mailing.Status.ACTIVE


def test_a_scheduled_mailing_can_be_cancelled_and_then_never_sends(alice, audience, smtp_sink):
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        mailing = scheduled(alice, audience)
        login(alice).post(f"/crm/massmail/mailing/{mailing.pk}/schedule/", {"cancel": "1"})
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE and (mailing.sent_count, mailing.skipped_count) == (0, 6)
    assert mailing.recipients.filter(skip_reason=starting.CANCELLED).count() == 3
    with time_machine.travel(berlin(2026, 11, 24, 11, 0), tick=False):
        send_due()
    assert smtp_sink.messages == [] and Mailing.objects.get().status == Mailing.Status.DONE


def test_another_sales_manager_cannot_change_or_cancel_it(alice, bob, audience):
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        mailing = scheduled(alice, audience)
        response = login(bob).post(f"/crm/massmail/mailing/{mailing.pk}/schedule/", {"cancel": "1"})
    assert response.status_code == 404
    assert Mailing.objects.get().status == Mailing.Status.SCHEDULED


def test_the_review_page_carries_the_audience_to_its_create_button(alice, audience):
    import re

    client = login(alice)
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        page = client.post(CREATE, {**audience, "vip": "no", "review": "1"}).content.decode()
        start_form = page[page.index('id="start-form"') :]
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', start_form))
        assert hidden["message"] == str(audience["message"]) and hidden["vip"] == "no"
        client.post(CREATE, {**hidden, "create": "1", "when": "at", "start_at": "2026-11-23T15:00"})
    mailing = Mailing.objects.get()
    assert (mailing.status, mailing.recipients_count) == (Mailing.Status.SCHEDULED, 6)


def test_make_massmail_on_a_list_reviews_then_schedules(alice, audience):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    chosen = list(Contact.objects.filter(owner=alice).values_list("pk", flat=True))
    data = {"action": "make_massmail", ACTION_CHECKBOX_NAME: chosen, "message": audience["message"]}
    client = login(alice)
    with time_machine.travel(berlin(2026, 11, 23, 9, 0), tick=False):
        page = client.post("/crm/crm/contact/", {**data, "review": "1"}).content.decode()
        assert (
            '<strong class="review-to-send">3</strong> will receive' in page and not Mailing.objects.exists()
        )
        assert "1 skipped: suppressed" in page and 'name="apply"' in page
        response = client.post(
            "/crm/crm/contact/", {**data, "apply": "1", "when": "at", "start_at": "2026-11-24T09:00"}
        )
    mailing = Mailing.objects.get()
    assert response.status_code == 302 and mailing.status == Mailing.Status.SCHEDULED
    assert mailing.start_at == berlin(2026, 11, 24, 9, 0)
