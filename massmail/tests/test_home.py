"""The /crm/ home per role: mailings sending with what is left, unread mail, accounts that need
attention and mailings in error, each linking to where it is fixed; the menu on every page."""

import pytest
from django.test import Client

from correspondence.models import CrmEmail
from crm.models import Company, Contact
from mailaccounts.models import EmailAccount
from massmail import mailings
from massmail.models import Mailing, Message
from massmail.tests.drip_helpers import BODY, drip_settings


def login(user):
    client = Client()
    client.force_login(user)
    return client


def mailing_of(owner, name):
    company = Company.objects.create(full_name=f"{name} Ltd", owner=owner)
    for n in range(3):
        Contact.objects.create(company=company, owner=owner, email=f"{name}{n}@rcpt.test")
    message = Message.objects.create(owner=owner, name=name, subject=name, body=BODY)
    return mailings.create_mailing(owner, message, Contact.objects.filter(company=company), name=name)


@pytest.fixture
def world(alice, bob, carol):
    drip_settings()
    found = {
        "alice": mailing_of(alice, "AliceNews"),
        "bob": mailing_of(bob, "BobNews"),
        "carol": mailing_of(carol, "CarolNews"),
    }
    Mailing.objects.filter(pk=found["bob"].pk).update(status=Mailing.Status.INTERRUPTED)
    EmailAccount.objects.create(owner=alice, email="broken@alice.test", needs_reconnect=True, massmail=True)
    EmailAccount.objects.create(owner=carol, email="broken@carol.test", needs_reconnect=True, massmail=True)
    return found


def home(user):
    response = login(user).get("/crm/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_sales_manager_sees_their_mailings_mail_and_accounts(alice, world):
    inbox = EmailAccount.objects.create(owner=alice, email="inbox@alice.test")
    CrmEmail.objects.create(account=inbox, subject="Question", direction="in", is_read=False)
    page = home(alice)
    assert f'href="/crm/massmail/mailing/{world["alice"].pk}/change/">AliceNews</a>' in page
    assert "<td>0</td><td>3</td>" in page  # sent today, left
    assert "BobNews" not in page and "CarolNews" not in page
    assert "<th>Owner</th>" not in page  # every mailing on it is hers
    assert "broken@alice.test: needs to be reconnected" in page and "broken@carol.test" not in page
    assert '?unread=1">1 unread</a>' in page
    assert 'href="/crm/crm/contact/"' in page, "the app list stays below"


def test_a_department_head_sees_the_department_and_its_errors(dana, world):
    page = home(dana)
    assert "AliceNews" in page and "BobNews: Interrupted" in page and "CarolNews" not in page
    assert "<th>Owner</th>" in page and f'title="{world["alice"].owner}"' in page  # whose each one is
    assert "broken@alice.test" in page and "broken@carol.test" not in page


def test_a_company_manager_sees_every_department(erin, world):
    page = home(erin)
    assert "AliceNews" in page and "CarolNews" in page and "BobNews: Interrupted" in page
    assert "broken@alice.test" in page and "broken@carol.test" in page


def test_every_page_has_the_menu(alice, world):
    client = login(alice)
    for url in ("/crm/", "/crm/massmail/mailing/", "/crm/crm/contact/", "/crm/mail/"):
        page = client.get(url).content.decode()
        for target in (
            "/crm/mail/drafts/",
            "/crm/mail/templates/",
            "/crm/mail/reports/",
            "/crm/massmail/mailing/",
        ):
            assert f'href="{target}"' in page, (url, target)
