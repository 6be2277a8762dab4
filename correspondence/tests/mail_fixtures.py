"""Records and accounts the correspondence tests share (compose, inbox, templates, assignment)."""

import pytest

from crm.models import Company, Contact, Request
from mailaccounts.models import EmailAccount


def account_on(sink, owner, email=None, **extra):
    """An account that sends into an SmtpSink (plain SMTP, no AUTH)."""
    fields = {
        "owner": owner,
        "email": email or f"{owner.username}@crm.test",
        "display_name": owner.name,
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port if sink else 1,  # no sink: nothing listens on port 1
        "smtp_security": "none",
        "password": "",
    }
    return EmailAccount.objects.create(**(fields | extra))


@pytest.fixture
def acme(alice):
    return Company.objects.create(full_name="Acme", email="info@acme.test", owner=alice, country="Germany")


@pytest.fixture
def jane(alice, acme):
    return Contact.objects.create(
        first_name="Jane",
        last_name="Doe",
        email="jane@acme.test",
        company=acme,
        owner=alice,
        country="Germany",
    )


@pytest.fixture
def quote_request(alice, jane, acme):
    return Request.objects.create(subject="Quote for 40 seats", owner=alice, contact=jane, company=acme)
