"""From is built by one function (mailkit.headers.address_header) wherever mail is built, and a
sales manager cannot change the address of an account."""

from email.utils import getaddresses

import pytest
from django.urls import reverse

from correspondence import compose
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from mailaccounts.models import EmailAccount
from mailaccounts.tests.test_accounts_page import form_data
from massmail.compiling import compile_message
from massmail.mailings import create_mailing
from massmail.models import Message


def send_one_to_one(account, author, contact):
    email = compose.new_draft(author, contact)
    data = {"account": account, "to": [contact.email], "subject": "Hello", "body": "<p>Hi</p>"}
    outcome = compose.apply_action(email, data, [], "send", author)
    email.refresh_from_db()
    return outcome, email


def from_addresses(received):
    return getaddresses([str(value) for value in received.message.get_all("From")])


def test_a_display_name_with_a_comma_and_brackets_gives_exactly_one_from_address(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice, display_name="Evil, <attacker@x.test>")
    outcome, email = send_one_to_one(account, alice, jane)
    assert outcome.ok, outcome.message
    received = smtp_sink.wait_for(1)[0]
    assert from_addresses(received) == [("Evil, <attacker@x.test>", "alice@crm.test")]
    assert email.status == "sent"


def test_a_display_name_with_a_line_break_never_breaks_a_header(alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice, display_name="Alice\r\nBcc: victim@x.test")
    outcome, email = send_one_to_one(account, alice, jane)
    assert email.status in ("sent", "draft") and email.status != "sending"
    assert outcome.ok or email.last_error
    for received in smtp_sink.messages:
        headers = received.raw.split(b"\r\n\r\n", 1)[0]
        assert not any(line.lower().startswith(b"bcc:") for line in headers.split(b"\r\n"))
        assert "victim@x.test" not in received.rcpt_tos
        assert [address for _, address in from_addresses(received)] == ["alice@crm.test"]


def test_mailings_and_test_sends_use_the_same_from(alice, jane):
    account = EmailAccount.objects.create(
        owner=alice, email="alice@crm.test", display_name="Evil, <attacker@x.test>", smtp_host="127.0.0.1"
    )
    message = Message.objects.create(owner=alice, subject="News", body="<p>{{ unsubscribe_url }}</p>")
    mailing = create_mailing(alice, message, type(jane).objects.filter(pk=jane.pk))
    rendered = compile_message(mailing).render(mailing.recipients.get(), account)
    assert getaddresses([rendered["From"]]) == [("Evil, <attacker@x.test>", "alice@crm.test")]


@pytest.fixture
def own_account(alice):
    return EmailAccount.objects.create(
        owner=alice, email="alice@crm.test", smtp_host="smtp.crm.test", imap_host="", password=""
    )


def test_a_sales_manager_cannot_change_the_address_of_their_account(client, alice, own_account):
    client.force_login(alice)
    url = reverse("crm:mailaccounts_emailaccount_change", args=[own_account.pk])
    response = client.post(url, form_data(own_account, email="ceo@crm.test", display_name="Alice A."))
    assert response.status_code == 302, response.context["adminform"].form.errors
    own_account.refresh_from_db()
    assert (own_account.email, own_account.display_name) == ("alice@crm.test", "Alice A.")


def test_a_superuser_changes_the_address_in_the_admin(client, root, own_account):
    client.force_login(root)
    url = reverse("admin:mailaccounts_emailaccount_change", args=[own_account.pk])
    data = form_data(
        own_account, email="alice.a@crm.test", owner=str(own_account.owner_id), daily_limit="100"
    )
    data |= {
        "is_active": "on",
        "assignment": "manual",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    own_account.refresh_from_db()
    assert own_account.email == "alice.a@crm.test"
