from urllib.parse import urlsplit

import pytest
from django.test import Client

from crm.models import Company, Contact, Lead
from massmail import mailings, unsubscribe
from massmail.models import Mailing, MailingRecipient, MassmailSettings, Message, Suppression


@pytest.fixture
def recipient(alice):
    company = Company.objects.create(full_name="Acme", owner=alice, email="Pat@Example.test")
    Contact.objects.create(company=company, owner=alice, email="pat@example.test", first_name="Pat")
    Lead.objects.create(owner=alice, email="PAT@example.test ".strip())
    Lead.objects.create(owner=alice, email="other@example.test")
    message = Message.objects.create(owner=alice, subject="News", body="{{ unsubscribe_url }}")
    mailings.create_mailing(alice, message, Lead.objects.all())  # pat is pending there too
    mailing = mailings.create_mailing(alice, message, Contact.objects.all())
    return mailing.recipients.get()


def path(recipient):
    return urlsplit(unsubscribe.unsubscribe_url(recipient)).path


def client():
    return Client(enforce_csrf_checks=True)


def assert_unsubscribed_everywhere(address="pat@example.test"):
    assert Suppression.objects.get(email=address).reason == Suppression.Reason.UNSUBSCRIBED
    assert not Company.objects.filter(email__iexact=address, massmail=True).exists()
    assert not Contact.objects.filter(email__iexact=address, massmail=True).exists()
    assert not Lead.objects.filter(email__iexact=address, massmail=True).exists()
    assert Lead.objects.get(email="other@example.test").massmail, "nobody else"
    pending = MailingRecipient.objects.filter(email=address, status="pending")
    assert not pending.exists(), "queued copies in other mailings are skipped"


def test_get_shows_a_confirmation_and_changes_nothing(recipient):
    response = client().get(path(recipient))
    assert response.status_code == 200
    assert b"pat@example.test" in response.content and b'method="post"' in response.content
    assert not Suppression.objects.exists()


def test_the_confirmation_button_unsubscribes_without_a_csrf_token(recipient):
    response = client().post(path(recipient))
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert_unsubscribed_everywhere()


def test_one_click_post_from_a_mail_provider(recipient):
    response = client().post(
        path(recipient), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert_unsubscribed_everywhere()
    assert "one-click" in Suppression.objects.get().detail
    assert not response.cookies
    lead_mailing = Mailing.objects.get(recipient_type="leads")
    assert lead_mailing.skipped_count == 1


def test_an_unsubscribed_address_is_never_mailed_again_whatever_its_record_type(recipient, alice):
    client().post(path(recipient), data={"List-Unsubscribe": "One-Click"})
    Company.objects.filter(email__iexact="pat@example.test").update(massmail=True)  # someone ticks it again
    message = Message.objects.get(subject="News")
    mailing = mailings.create_mailing(alice, message, Company.objects.all())
    assert mailing.recipients.get().skip_reason == mailings.SUPPRESSED


def test_redirect_when_the_settings_name_a_page(recipient):
    MassmailSettings.objects.create(unsubscribe_redirect_url="https://example.com/bye")
    response = client().get(path(recipient))
    assert response.status_code == 302 and response["Location"] == "https://example.com/bye"
    assert_unsubscribed_everywhere()


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "a" + t, lambda t: "garbage"])
def test_a_tampered_token_is_a_plain_400(recipient, mangle):
    token = unsubscribe.make_token(recipient)
    for method in ("get", "post"):
        response = getattr(client(), method)(f"/m/u/{mangle(token)}/")
        assert response.status_code == 400
        assert b"not valid" in response.content
    assert not Suppression.objects.exists()


def test_a_token_of_another_purpose_is_refused(recipient):
    from django.core import signing

    forged = signing.dumps([recipient.pk, recipient.email], compress=False)  # no salt
    assert client().get(f"/m/u/{forged}/").status_code == 400
