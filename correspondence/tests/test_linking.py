"""Auto-linking by address, company domain (never free mail) and unambiguous name; exclusions."""

import pytest

from correspondence.linking import Links, auto_link, is_excluded
from crm.models import Company, Contact, Lead
from mailaccounts.mail_parsing import parse_headers
from mailaccounts.models import EmailAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice):
    return EmailAccount.objects.create(owner=alice, email="alice@crm.test")


def incoming(sender):
    return parse_headers(f"From: {sender}\r\nTo: alice@crm.test\r\nSubject: x\r\n\r\n".encode())


def test_by_address_prefers_the_accounts_owner(account, alice, bob):
    company = Company.objects.create(full_name="Acme", email="info@acme.example", owner=alice)
    Contact.objects.create(company=company, email="kim@acme.example", owner=bob)
    mine = Contact.objects.create(company=company, email="Kim@Acme.example", owner=alice)

    links = auto_link(Links(), incoming("kim@acme.example"), account, outgoing=False)

    assert (links.contact, links.company) == (mine, company)


def test_by_company_domain_but_not_free_mail(account, alice):
    acme = Company.objects.create(full_name="Acme", email="info@acme.example", owner=alice)
    Company.objects.create(full_name="Gmail user", email="someone@gmail.com", owner=alice)

    assert auto_link(Links(), incoming("new.person@acme.example"), account, False).company == acme
    assert auto_link(Links(), incoming("other@gmail.com"), account, False).company is None


def test_by_name_only_when_unambiguous(account, alice):
    company = Company.objects.create(full_name="Acme", owner=alice)
    jo = Contact.objects.create(company=company, first_name="Jo", last_name="Quinn", owner=alice)
    Lead.objects.create(first_name="Max", last_name="Twin", owner=alice)
    Lead.objects.create(first_name="Max", last_name="Twin", owner=alice)

    assert auto_link(Links(), incoming("Jo Quinn <jq@private.example>"), account, False).contact == jo
    assert auto_link(Links(), incoming('"Quinn, Jo" <jq@private.example>'), account, False).contact == jo
    links = auto_link(Links(), incoming("Max Twin <max@private.example>"), account, False)
    assert (links.contact, links.lead) == (None, None)


def test_outgoing_mail_links_its_recipient(account, alice):
    lead = Lead.objects.create(email="lee@lead.example", owner=alice)
    sent = parse_headers(b"From: alice@crm.test\r\nTo: Lee <lee@lead.example>\r\nSubject: x\r\n\r\n")

    assert auto_link(Links(), sent, account, outgoing=True).lead == lead


def test_exclude_patterns():
    patterns = ["noreply@*", "*@marketing.*"]
    assert is_excluded("NoReply@shop.example", patterns)
    assert is_excluded("news@marketing.example.com", patterns)
    assert not is_excluded("pat@buyer.example", patterns)
