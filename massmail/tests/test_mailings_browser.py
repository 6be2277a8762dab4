import pytest
from playwright.sync_api import expect

from crm.models import Company, Contact
from crm.tests.fixtures import log_in
from massmail import mailings
from massmail.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_follows_sending_without_a_reload(page, live_server, alice):
    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test")
    for n in range(4):
        Contact.objects.create(company=company, owner=alice, email=f"c{n}@acme.test")
    message = Message.objects.create(
        owner=alice, name="Spring", subject="Spring", body="{{ unsubscribe_url }}"
    )
    mailing = mailings.create_mailing(alice, message, Contact.objects.all())

    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/massmail/mailing/")
    bar = page.locator(f"#mailing-progress-{mailing.pk}")
    expect(bar).to_have_attribute("data-percent", "0")
    expect(bar.locator("[role=progressbar]")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    mailing.recipients.filter(email__in=["c0@acme.test", "c1@acme.test"]).update(status="sent")
    expect(bar).to_have_attribute("data-percent", "50", timeout=8_000)
    expect(bar).to_contain_text("50%")

    mailing.recipients.update(status="sent")
    mailings.finish(mailing)
    expect(bar).to_have_attribute("data-percent", "100", timeout=8_000)
    expect(bar).not_to_have_attribute("hx-get", f"/crm/massmail/mailing/{mailing.pk}/progress/?list=1")
    assert page.evaluate("window.notReloaded") is True, "updated in place, not by reloading"


def test_the_list_shows_new_counts_status_and_sent_today_without_a_reload(page, live_server, alice):
    from django.utils import timezone

    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test")
    for n in range(4):
        Contact.objects.create(company=company, owner=alice, email=f"c{n}@acme.test")
    Contact.objects.create(company=company, owner=alice, email="")  # skipped: no address
    message = Message.objects.create(
        owner=alice, name="Spring", subject="Spring", body="{{ unsubscribe_url }}"
    )
    mailing = mailings.create_mailing(alice, message, Contact.objects.all())

    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/massmail/mailing/")
    bar = page.locator(f"#mailing-progress-{mailing.pk}")
    expect(bar).to_contain_text("0 of 5 sent, 4 to send, 1 skipped")
    expect(page.locator(f"#mailing-sent-today-{mailing.pk}")).to_have_text("0")
    page.evaluate("window.notReloaded = true")

    mailing.recipients.filter(email__in=["c0@acme.test", "c1@acme.test", "c2@acme.test"]).update(
        status="sent", sent_at=timezone.now()
    )
    expect(bar).to_contain_text("3 of 5 sent, 1 to send, 1 skipped", timeout=8_000)
    expect(page.locator(f"#mailing-sent-today-{mailing.pk}")).to_have_text("3", timeout=8_000)
    mailings.pause(mailing)
    expect(page.locator(f"#mailing-status-{mailing.pk}")).to_have_text("Paused", timeout=8_000)
    assert page.evaluate("window.notReloaded") is True, "updated in place, not by reloading"
