"""In Chromium at a laptop's size: a contact's timeline with the mailings it received, and
the message preview after "Send a test". Screenshots go to var/screenshots."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from correspondence.models import CrmEmail, TrackingEvent
from crm.models import Company, Contact
from crm.tests.fixtures import log_in
from mailaccounts.models import EmailAccount
from massmail.models import Mailing, MailingRecipient, Message
from testsupport.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BODY = '<p>Hi {{ first_name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'


def test_a_contacts_timeline_shows_its_mailings_beside_its_mail(page, live_server, alice):
    company = Company.objects.create(
        full_name="Acme Industrial Supplies", owner=alice, email="info@acme.test"
    )
    jane = Contact.objects.create(
        company=company, owner=alice, first_name="Jane", last_name="Longname-Doe", email="jane@acme.test"
    )
    account = EmailAccount.objects.create(owner=alice, email="alice@sales.test", massmail=True)
    message = Message.objects.create(owner=alice, subject="Spring offer on industrial supplies", body=BODY)
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts", name="Spring")
    row = MailingRecipient.objects.create(
        mailing=mailing, contact=jane, email=jane.email, status="sent", sent_at=MONDAY, account=account
    )
    TrackingEvent.objects.create(kind="open", mailing_recipient=row)
    TrackingEvent.objects.create(kind="click", mailing_recipient=row)
    CrmEmail.objects.create(
        account=account,
        direction="in",
        contact=jane,
        subject="Re: Spring offer on industrial supplies",
        sender="jane@acme.test",
        date=MONDAY + dt.timedelta(hours=2),
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, alice)

    page.goto(f"{live_server.url}/crm/crm/contact/{jane.pk}/change/")

    timeline = page.locator("#timeline")
    expect(timeline.locator("tr.timeline-email")).to_contain_text("Re: Spring offer")
    mailing_row = timeline.locator("tr.timeline-mailing")
    expect(mailing_row).to_contain_text("sent")
    expect(mailing_row).to_contain_text("opened")
    expect(mailing_row).to_contain_text("clicked")
    expect(timeline).not_to_contain_text("No correspondence yet")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "contact_timeline")
    mailing_row.get_by_role("link", name="Spring offer on industrial supplies").click()
    expect(page).to_have_url(f"{live_server.url}/crm/massmail/mailing/{mailing.pk}/change/")


def test_after_send_a_test_the_preview_stays_on_the_records_of_the_test(page, live_server, alice, smtp_sink):
    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test")
    for name in ("Ann", "Ben", "Cid"):
        Contact.objects.create(
            company=company, owner=alice, first_name=name, email=f"{name.lower()}@acme.test"
        )
    EmailAccount.objects.create(
        owner=alice,
        email="alice@sales.test",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )
    message = Message.objects.create(owner=alice, name="Spring", subject="Spring offer", body=BODY)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, alice)

    page.goto(f"{live_server.url}/crm/massmail/message/{message.pk}/preview/")
    page.fill("#id_search", "cid@")
    page.click("input[value=Preview]")
    expect(page.locator("#content")).to_contain_text("For Cid")
    send = page.locator("input[value^='Send a test to me']")
    send.scroll_into_view_if_needed()  # below the fold at 768 px: a click while scrolling is lost
    with page.expect_navigation():
        send.click()

    expect(page.locator(".messagelist")).to_contain_text("A test was sent to alice@crm.test")
    expect(page.locator("#content")).to_contain_text("For Cid")
    (received,) = smtp_sink.wait_for(1)
    assert "Hi Cid" in received.message.get_body(("html",)).get_content()
    screenshot(page, "message_preview_after_test")
