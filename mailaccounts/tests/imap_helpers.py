"""Mailboxes on the session's Dovecot and messages to fill them with, for the IMAP tests."""

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from mailaccounts.models import EmailAccount

PASSWORD = "imap-secret"


@dataclass
class Mailbox:
    server: object
    user: str
    password: str = PASSWORD

    def append(self, raw, folder="INBOX"):
        if isinstance(raw, EmailMessage):
            raw = raw.as_bytes()
        return self.server.append(self.user, self.password, folder, raw)


def mail(
    subject="Hello",
    body="Hi there",
    sender="Pat Buyer <pat@buyer.example>",
    to="alice@crm.test",
    message_id=None,
    in_reply_to=None,
    references=None,
    html=None,
    **headers,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="buyer.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message


@pytest.fixture
def mailbox(dovecot):
    user = f"alice-{uuid.uuid4().hex[:8]}@crm.test"
    dovecot.add_user(user, PASSWORD)
    return Mailbox(dovecot, user)


@pytest.fixture
def account(alice, mailbox, media_root):
    return EmailAccount.objects.create(
        owner=alice,
        email=mailbox.user,
        imap_host=mailbox.server.host,
        imap_port=mailbox.server.port,
        imap_security="none",
        password=PASSWORD,
        do_import=True,
        sync_from="1m",
    )


@pytest.fixture
def imap_commands(monkeypatch):
    """The names of the IMAP commands sent, in order (each one is a round trip)."""
    import imaplib

    sent = []
    original = imaplib.IMAP4._command

    def counting(self, name, *args):
        sent.append(name)
        return original(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_command", counting)
    return sent


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT
