"""Issue 15, point 8: a done mailing (finished, or cancelled before it started) is a record of
what was sent: its page shows it without Save or an editable name, and refuses a change."""

import pytest
from django.urls import reverse

from crm.models import Company
from massmail.models import Mailing, MailingRecipient, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(alice):
    return Message.objects.create(owner=alice, name="News", subject="News", body="{{ unsubscribe_url }}")


def mailing_of(owner, message, status):
    return Mailing.objects.create(
        owner=owner, message=message, recipient_type="contacts", name="Spring news", status=status
    )


def test_a_done_mailings_page_has_no_save_button_and_no_name_input(client, alice, message):
    done = mailing_of(alice, message, Mailing.Status.DONE)
    client.force_login(alice)
    page = client.get(reverse("crm:massmail_mailing_change", args=[done.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="name"' not in html and 'name="_save"' not in html and 'name="_continue"' not in html
    assert "Spring news" in html  # shown, read only
    assert page.context["has_change_permission"] is False


def test_a_post_to_change_a_done_mailing_is_refused(client, alice, message):
    done = mailing_of(alice, message, Mailing.Status.DONE)
    client.force_login(alice)
    response = client.post(reverse("crm:massmail_mailing_change", args=[done.pk]), {"name": "Renamed"})
    assert response.status_code == 403
    done.refresh_from_db()
    assert done.name == "Spring news"


def test_a_mailing_that_is_not_done_can_still_be_renamed(client, alice, message):
    paused = mailing_of(alice, message, Mailing.Status.PAUSED)
    client.force_login(alice)
    url = reverse("crm:massmail_mailing_change", args=[paused.pk])
    assert 'name="_save"' in client.get(url).content.decode()
    client.post(url, {"name": "Renamed", "_save": "Save"})
    paused.refresh_from_db()
    assert paused.name == "Renamed"


def test_a_done_mailing_offers_only_what_is_left_to_do(client, alice, message):
    done = mailing_of(alice, message, Mailing.Status.DONE)
    client.force_login(alice)
    url = reverse("crm:massmail_mailing_change", args=[done.pk])
    assert "mailing-actions" not in client.get(url).content.decode()  # no empty bar of buttons
    company = Company.objects.create(full_name="Acme", email="info@acme.test", owner=alice)
    MailingRecipient.objects.create(mailing=done, company=company, email=company.email, status="failed")
    html = client.get(url).content.decode()
    assert 'value="Restart 1 failed"' in html and 'value="Pause"' not in html
