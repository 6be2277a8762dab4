"""The lists' columns that fit a laptop (crm/columns.py): long text clipped with the whole value
on hover, the owner column only where there is more than one owner, counts of notifications that
link to the log, and exports that carry the text, not the columns' HTML."""

import pytest
from django.utils.html import escape

from crm.models import Company, Contact
from crm.tests.test_exporting import export
from mailaccounts.accounts import notify_account
from mailaccounts.models import AccountNotification, EmailAccount

pytestmark = pytest.mark.django_db

LONG_NAME = "Internationale Handelsgesellschaft für Landmaschinen & Ersatzteile Nord GmbH & Co. KG"


@pytest.fixture
def long_company(alice):
    company = Company.objects.create(full_name=LONG_NAME, email="einkauf@handel.example.com", owner=alice)
    Contact.objects.create(
        first_name="Jean-Baptiste", last_name="de la Rochefoucauld", company=company, owner=alice
    )
    return company


def test_long_values_are_clipped_with_the_whole_value_on_hover(client, alice, long_company):
    client.force_login(alice)
    for url in ("/crm/crm/company/", "/crm/crm/contact/"):
        page = client.get(url).content.decode()
        assert f'<span class="clip" title="{escape(LONG_NAME)}">{escape(LONG_NAME)}</span>' in page


def test_sorting_by_a_clipped_column_still_works(client, alice, long_company):
    Company.objects.create(full_name="Aardvark Ltd", owner=alice)
    client.force_login(alice)
    page = client.get("/crm/crm/company/?o=-1").content.decode()
    assert page.index(escape(LONG_NAME)) < page.index("Aardvark Ltd")
    assert 'class="sortable column-full_name sorted descending"' in page


def test_the_owner_column_shows_only_where_there_are_several_owners(client, alice, dana, long_company):
    client.force_login(alice)
    assert "column-owner" not in client.get("/crm/crm/contact/").content.decode()
    client.force_login(dana)
    page = client.get("/crm/crm/contact/").content.decode()
    assert "column-owner" in page and "column-newsletters" in page


def test_exports_carry_the_text_of_clipped_columns(client, alice, long_company):
    rows = export(client, alice, "/crm/crm/company/")
    assert rows[0][:2] == ["Name", "Email"]
    assert rows[1][0] == LONG_NAME  # "&", not "&amp;"


def test_notifications_are_a_count_linking_to_the_account_with_the_latest_on_hover(client, alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test", smtp_host="127.0.0.1")
    for i in range(12):
        notify_account(account, f"Note {i}")
    notify_account(account, "IMAP login refused", AccountNotification.Level.ERROR)
    client.force_login(alice)
    page = client.get("/crm/mailaccounts/emailaccount/").content.decode()
    url = f"/crm/mailaccounts/emailaccount/{account.pk}/change/"
    assert f'<a class="badge error" href="{url}" title="1 error among the latest 10:' in page
    assert "IMAP login refused\n" in page and "… and 3 earlier" in page and ">13</a>" in page
