"""Issue 15, point 8: what has gone out cannot change. A sent email is never reopened in the
compose form (only drafts and scheduled mail are), by link or by a posted form."""

import pytest
from django.urls import reverse

from correspondence.models import CrmEmail
from correspondence.tests.mail_fixtures import account_on

pytestmark = pytest.mark.django_db


def test_a_sent_email_has_no_edit_page_and_a_post_changes_nothing(client, alice):
    account = account_on(None, alice)
    sent = CrmEmail.objects.create(
        account=account, owner=alice, direction="out", status="sent", subject="Offer", recipients="a@x.test"
    )
    client.force_login(alice)
    url = reverse("mail:compose_edit", args=[sent.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"account": account.pk, "to": "b@x.test", "subject": "Changed", "action": "draft"}
    )
    assert response.status_code == 404
    sent.refresh_from_db()
    assert (sent.subject, sent.status) == ("Offer", "sent")
