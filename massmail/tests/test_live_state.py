"""The mailings list's live state: status, counts, sent today and the expected finish, read
from the rows; progress counts what was attempted, never the skipped rows."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from crm.models import Company, Contact
from massmail import mailings
from massmail.live import state_of
from massmail.models import Mailing, Message, Suppression
from massmail.tests.drip_helpers import BODY, drip_settings, make_account

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mailing(alice, smtp_sink):
    """Five contacts: four to send, one suppressed (skipped); an account of 90 a day."""
    drip_settings(time_zone="Europe/Berlin", use_business_time=True, non_working_days=[5, 6])
    make_account(alice, smtp_sink, "a1", daily_limit=90)
    acme = Company.objects.create(full_name="Acme", owner=alice)
    for n in range(5):
        Contact.objects.create(company=acme, owner=alice, first_name=f"P{n}", email=f"p{n}@rcpt.test")
    Suppression.objects.create(email="p4@rcpt.test", reason=Suppression.Reason.UNSUBSCRIBED)
    message = Message.objects.create(owner=alice, name="News", subject="News", body=BODY)
    return mailings.create_mailing(alice, message, Contact.objects.all())


def test_a_new_mailing_with_skips_shows_no_progress(mailing):
    state = state_of(mailing)
    assert (state.percent, state.summary) == (0, "0 of 5 sent, 4 to send, 1 skipped")


def test_the_fragment_carries_counts_sent_today_status_and_finish(alice, mailing):
    with time_machine.travel(MONDAY_NOON, tick=False):
        mailing.recipients.filter(email="p0@rcpt.test").update(status="sent", sent_at=timezone.now())
        mailing.recipients.filter(email="p1@rcpt.test").update(status="failed")
        body = login(alice).get(f"/crm/massmail/mailing/{mailing.pk}/progress/?list=1").content.decode()
    assert 'data-percent="50"' in body  # 2 attempted of 4: the skipped one is not progress
    assert "1 of 5 sent, 2 to send, 1 skipped, 1 failed" in body
    assert f'<span id="mailing-sent-today-{mailing.pk}" hx-swap-oob="true">1</span>' in body
    assert f'<span id="mailing-status-{mailing.pk}" hx-swap-oob="true">Active</span>' in body
    # Two left at 10 an hour (90 over 9 business hours), from Monday noon.
    assert "ends about 2026-11-23 12:12" in body
    assert 'hx-get="/crm/massmail/mailing/' in body and "?list=1" in body


def test_the_mailing_page_fragment_has_no_list_cells(alice, mailing):
    body = login(alice).get(f"/crm/massmail/mailing/{mailing.pk}/progress/").content.decode()
    assert "hx-swap-oob" not in body and "?list=1" not in body


def test_the_list_renders_the_same_state_and_a_finished_mailing_stops_polling(alice, mailing):
    client = login(alice)
    page = client.get("/crm/massmail/mailing/").content.decode()
    assert f'<span id="mailing-status-{mailing.pk}">Active</span>' in page
    assert "0 of 5 sent, 4 to send, 1 skipped" in page and f"{mailing.pk}/progress/?list=1" in page
    mailing.recipients.filter(status="pending").update(status="sent")
    mailings.finish(mailing)
    body = client.get(f"/crm/massmail/mailing/{mailing.pk}/progress/?list=1").content.decode()
    assert 'data-percent="100"' in body and "hx-trigger" not in body and "ends about" not in body
    assert "4 of 5 sent, 1 skipped" in body and ">Done</span>" in body


def test_a_scheduled_mailing_shows_its_start_and_its_finish_from_then(alice, mailing):
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.SCHEDULED, start_at=datetime.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
    )
    with time_machine.travel(MONDAY_NOON, tick=False):
        page = login(alice).get("/crm/massmail/mailing/").content.decode()
    assert "Scheduled for 2026-11-24 09:00" in page
    assert "ends about 2026-11-24 09:24" in page


def test_another_departments_fragment_is_404(carol, mailing):
    assert login(carol).get(f"/crm/massmail/mailing/{mailing.pk}/progress/?list=1").status_code == 404
