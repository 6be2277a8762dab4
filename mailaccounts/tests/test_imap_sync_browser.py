# ruff: noqa: F811 (pytest fixtures imported by name)
"""In Chromium: the Sync now button on the account page and Import this conversation."""

import pytest

from correspondence.models import CrmEmail
from crm.models import Company, Contact, Request
from crm.tests.fixtures import log_in
from mailaccounts.tests.imap_helpers import account, mail, mailbox, media_root  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sync_now_and_import_this_conversation_in_the_browser(page, live_server, alice, account, mailbox):
    company = Company.objects.create(full_name="Buyer Ltd", email="info@buyer.example", owner=alice)
    contact = Contact.objects.create(company=company, email="pat@buyer.example", owner=alice)
    offer = Request.objects.create(subject="Offer", owner=alice, contact=contact, company=company)
    mailbox.append(mail(subject=f"Re: Offer [ticket:{offer.ticket}]"))
    mailbox.append(mail(subject="Re: our newsletter", body="Tell me more"))
    log_in(page, live_server, alice)

    page.goto(f"{live_server.url}/crm/mailaccounts/emailaccount/{account.pk}/change/")
    page.click("button:has-text('Sync now')")
    page.wait_for_selector(".messagelist")
    assert "1 imported" in page.locator(".messagelist").inner_text()
    assert "Recent syncs" in page.content()

    page.goto(f"{live_server.url}/crm/crm/request/{offer.pk}/change/")
    page.click("text=Import this conversation")
    page.click("input[value='Import this conversation']")
    page.wait_for_selector(".messagelist")
    assert "2 messages found, 2 linked" in page.locator(".messagelist").inner_text()
    assert CrmEmail.objects.filter(request=offer).count() == 2
