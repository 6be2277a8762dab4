"""Issue 15, point 7, as a person sees it in Chromium at 1366×768: on Compose and Create mailing
each label sits on its field's line, left of it; tags are picked with plain clicks."""

import pytest

from correspondence.tests.mail_fixtures import account_on
from crm.models import Company, Contact, Tag
from crm.tests.fixtures import log_in
from massmail.models import Message
from testsupport.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_label_beside_field(page, name):
    row = page.locator(f".form-row.field-{name}")
    label = row.locator("label").first.bounding_box()
    field = row.locator(f"[name={name}]").first.bounding_box()
    assert field["x"] >= label["x"] + label["width"], name  # to the right of its label
    assert abs(field["y"] - label["y"]) < 16, name  # on the same line


@pytest.fixture
def alices_world(alice):
    account_on(None, alice)
    for name in ("partner", "webinar", "trade-fair"):
        Tag.objects.create(name=name)
    company = Company.objects.create(full_name="Acme", owner=alice, country="France")
    Contact.objects.create(first_name="Jane", email="jane@acme.test", company=company, owner=alice)
    Message.objects.create(owner=alice, name="News", subject="News", body="{{ unsubscribe_url }}")


def test_create_mailing_is_aligned_and_tags_need_no_ctrl(page, live_server, alice, alices_world):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/massmail/mailing/create/")
    for name in ("message", "name", "recipient_type", "country", "industry"):
        assert_label_beside_field(page, name)
    page.select_option("#id_country", "France")
    page.get_by_label("partner").click()
    page.get_by_label("webinar").click()  # a plain click adds; nothing else comes off
    assert page.get_by_label("partner").is_checked() and page.get_by_label("webinar").is_checked()
    screenshot(page, "create_mailing_form")
    page.click("input[name=count]")
    assert page.get_by_label("partner").is_checked() and page.get_by_label("webinar").is_checked()
    assert page.input_value("#id_country") == "France"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_compose_is_aligned(page, live_server, alice, alices_world):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/mail/compose/")
    for name in ("account", "to", "cc", "bcc", "subject", "template", "signature", "scheduled_at"):
        assert_label_beside_field(page, name)
    send = page.locator("button[value=send]")
    # the admin's button, not the browser's
    assert send.evaluate("b => getComputedStyle(b).borderTopStyle") == "none"
    screenshot(page, "compose_form")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
