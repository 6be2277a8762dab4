import base64
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


def flip_middle(token):
    """One character in the middle changed: it carries six bits of the payload (the last
    character may carry padding bits a decoder ignores, so changing it can leave the token valid)."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.mark.parametrize("mangle", [flip_middle, lambda t: "a" + t, lambda t: "garbage"])
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


def test_the_token_shows_nothing_readable(recipient):
    token = unsubscribe.make_token(recipient)
    assert "pat" not in token.lower() and "example" not in token.lower()
    for offset in range(4):  # base64 read from any starting point
        part = token[offset:]
        decoded = base64.urlsafe_b64decode(part[: len(part) // 4 * 4])
        assert b"pat@" not in decoded.lower() and b"example" not in decoded.lower()
        assert str(recipient.pk).encode() not in decoded
        assert (
            recipient.pk.to_bytes(8, "big") not in decoded and recipient.pk.to_bytes(4, "big") not in decoded
        )
    assert unsubscribe.read_token(token) == unsubscribe.TokenData(recipient.pk, "pat@example.test")


def test_one_recipient_always_gets_the_same_link_and_two_recipients_different_ones(recipient):
    other = MailingRecipient.objects.exclude(pk=recipient.pk).first()
    assert unsubscribe.make_token(recipient) == unsubscribe.make_token(recipient)
    assert unsubscribe.make_token(recipient) != unsubscribe.make_token(other)


def test_a_link_of_the_earlier_signed_format_still_unsubscribes(recipient):
    from django.core import signing

    old = signing.dumps([recipient.pk, recipient.email], salt=unsubscribe.SALT, compress=False)
    response = client().post(f"/m/u/{old}/")
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert_unsubscribed_everywhere()


def test_a_tampered_token_of_the_earlier_format_is_a_plain_400(recipient):
    from django.core import signing

    old = signing.dumps([recipient.pk, recipient.email], salt=unsubscribe.SALT, compress=False)
    assert client().post(f"/m/u/{old[:-2]}xx/").status_code == 400
    assert not Suppression.objects.exists()


def test_links_survive_a_secret_key_rotation_through_the_fallbacks(recipient, settings):
    token = unsubscribe.make_token(recipient)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert unsubscribe.read_token(token).email == "pat@example.test"
    settings.SECRET_KEY_FALLBACKS = []
    assert unsubscribe.read_token(token) is None
