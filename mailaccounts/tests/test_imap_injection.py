# ruff: noqa: F811 (pytest fixtures imported by name)
"""A Message-ID posted to "Import this conversation" can never smuggle an IMAP command.

Against the session's real Dovecot: the posted value carries CR/LF and a second command
(DELETE, RENAME). It is refused before any connection, the bytes sent to the server never hold
the command, and the mailbox and its folders are as they were.
"""

import imaplib

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.models import Company, Contact, Request
from mailaccounts.models import AccountGrant, EmailAccount
from mailaccounts.tests.imap_helpers import PASSWORD, mail, mailbox, media_root  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def wire(monkeypatch):
    """Every byte imaplib sends to a server during the test."""
    sent = []
    original = imaplib.IMAP4.send

    def recording(self, data):
        sent.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(imaplib.IMAP4, "send", recording)
    return sent


@pytest.fixture
def shared_account(mailbox, alice, media_root):
    """A shared mailbox Alice may only read."""
    account = EmailAccount.objects.create(
        owner=None,
        email=mailbox.user,
        imap_host=mailbox.server.host,
        imap_port=mailbox.server.port,
        imap_security="none",
        password=PASSWORD,
    )
    AccountGrant.objects.create(account=account, user=alice, access="read")
    return account


@pytest.fixture
def offer(alice):
    company = Company.objects.create(full_name="Buyer Ltd", email="info@buyer.example", owner=alice)
    contact = Contact.objects.create(company=company, email="pat@buyer.example", owner=alice)
    return Request.objects.create(subject="Newsletter answer", owner=alice, contact=contact, company=company)


def folders_of(mailbox):
    client = mailbox.server.connect(mailbox.user, PASSWORD)
    try:
        _, listed = client.list()
        _, count = client.select("INBOX", readonly=True)
        return {line.decode().rsplit(" ", 1)[-1].strip('"') for line in listed}, int(count[0])
    finally:
        client.logout()


@pytest.mark.parametrize("command", ["A1 DELETE INBOX", "A1 DELETE Victim", "A1 RENAME Victim Renamed"])
def test_a_smuggled_command_never_reaches_the_server(
    client, alice, shared_account, mailbox, offer, wire, command
):
    mailbox.server.create_folder(mailbox.user, PASSWORD, "Victim")
    mailbox.append(mail(subject="Keep me"))
    before = folders_of(mailbox)
    wire.clear()
    client.force_login(alice)

    response = client.post(
        reverse("crm:crm_request_import_conversation", args=[offer.pk]),
        {"message_id": f"<x@y>\r\n{command}\r\nA2 NOOP"},
        follow=True,
    )

    assert response.status_code == 200
    [note] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "not a Message-ID" in note
    verb = command.split()[1].encode()
    assert not any(verb in chunk for chunk in wire)
    assert folders_of(mailbox) == before
    assert {"INBOX", "Victim"} <= before[0] and before[1] == 1


def test_a_real_message_id_is_still_searched_quoted(client, alice, shared_account, mailbox, offer, wire):
    mailbox.append(mail(subject="Question", message_id="<q-1@other.example>"))
    client.force_login(alice)
    client.post(
        reverse("crm:crm_request_import_conversation", args=[offer.pk]),
        {"message_id": " <q-1@other.example>"},
    )
    assert any(b'HEADER Message-ID "<q-1@other.example>"' in chunk for chunk in wire)
    assert offer.emails.count() == 1


def test_a_server_that_drops_the_search_is_a_message_not_a_500(
    client, alice, shared_account, offer, monkeypatch
):
    def abort(self, *args):
        raise imaplib.IMAP4.abort("socket error: EOF")

    monkeypatch.setattr(imaplib.IMAP4, "uid", abort)
    client.force_login(alice)
    response = client.post(
        reverse("crm:crm_request_import_conversation", args=[offer.pk]),
        {"message_id": "<q-1@other.example>"},
        follow=True,
    )
    assert response.status_code == 200
    [note] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "did not complete the search" in note
