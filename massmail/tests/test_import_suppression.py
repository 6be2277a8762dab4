"""Importing records never lifts a suppression: the address stays unmailable (crm/importing.py
never touches massmail's Suppression table, which is by address)."""

import pytest

from crm import importing
from crm.models import Contact, ImportJob
from massmail.mailings import SUPPRESSED, create_mailing
from massmail.models import MailingRecipient, Message, Suppression
from massmail.tests.drip_helpers import BODY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("duplicates", ["skip", "update", "overwrite"])
def test_an_imported_suppressed_address_stays_suppressed(tmp_path, alice, duplicates):
    Suppression.suppress("Gone@Example.com", Suppression.Reason.UNSUBSCRIBED)
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Email,Company,Newsletter\nGone Person,gone@example.com,Acme,yes\n")
    for _ in range(2):  # a first import creates the contact, a second meets it as a duplicate
        job = ImportJob.objects.create(
            user=alice,
            kind="contacts",
            filename="contacts.csv",
            duplicates=duplicates,
            options={"create_companies": True},
        )
        importing.run_import(job, path)
    contact = Contact.objects.get()
    assert contact.massmail is True
    assert Suppression.objects.filter(email="gone@example.com").exists()
    message = Message.objects.create(owner=alice, subject="News", body=BODY)
    mailing = create_mailing(alice, message, Contact.objects.all())
    recipient = MailingRecipient.objects.get(mailing=mailing)
    assert (recipient.status, recipient.skip_reason) == (MailingRecipient.Status.SKIPPED, SUPPRESSED)
