"""Issue 15, point 7: Create mailing and its review are laid out like the admin's own forms,
and their tag filter is a checkbox list (no Ctrl-click)."""

import re

import pytest
from django.urls import reverse

from correspondence.tests.mail_fixtures import account_on
from crm.models import Company, Contact, Tag
from crm.tests.form_markup import assert_admin_form_markup
from massmail.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(alice):
    account_on(None, alice)
    Tag.objects.create(name="partner")
    company = Company.objects.create(full_name="Acme", owner=alice)
    Contact.objects.create(first_name="Jane", email="jane@acme.test", company=company, owner=alice)
    return Message.objects.create(owner=alice, name="News", subject="News", body="{{ unsubscribe_url }}")


def test_create_mailing_renders_in_the_admins_aligned_form_markup(client, alice, news):
    client.force_login(alice)
    html = client.get(reverse("crm:massmail_mailing_create")).content.decode()
    assert_admin_form_markup(html, ["message", "name", "recipient_type", "country", "tags"])
    assert '<div id="id_tags" class="checkbox-list">' in html
    assert not re.search(r"<select[^>]*\bmultiple\b", html)


def test_the_review_renders_its_start_choice_in_the_same_markup(client, alice, news):
    client.force_login(alice)
    form = {"message": news.pk, "recipient_type": "contacts", "accepts_newsletters": "on", "review": "1"}
    html = client.post(reverse("crm:massmail_mailing_create"), form).content.decode()
    assert "Create the mailing" in html
    assert_admin_form_markup(html, ["when", "start_at"])
    assert 'class="radiolist inline"' in html
