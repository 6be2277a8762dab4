"""The sales managers' mailings and contacts lists run the same number of queries whatever
the number of rows on the page (no query per row; bench.web measures them at 100,000)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from massmail.models import MailingNotification
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing

PAGES = ["/crm/massmail/mailing/", "/crm/crm/contact/"]


def queries_of(client, page):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    return len(queries)


def add_mailings(owner, count, prefix):
    for i in range(count):
        mailing = make_mailing(owner, 3, prefix=f"{prefix}{i}-")
        MailingNotification.objects.create(mailing=mailing, text="Started.")


def test_list_pages_do_not_query_per_row(client, alice, smtp_sink):
    drip_settings()
    make_account(alice, smtp_sink, "a1")
    client.force_login(alice)
    add_mailings(alice, 1, "small")
    few = {page: queries_of(client, page) for page in PAGES}
    make_account(alice, smtp_sink, "a2")
    add_mailings(alice, 5, "more")
    many = {page: queries_of(client, page) for page in PAGES}
    assert many == few
