import pytest
from django.utils import timezone

from crm.tests.fixtures import log_in
from mailaccounts.models import AccountNotification, EmailAccount
from testsupport.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_manager_sees_own_account_with_counters_not_anothers(page, live_server, alice, bob):
    mine = EmailAccount.objects.create(
        owner=alice,
        email="alice@crm.test",
        password="never-shown",
        smtp_host="smtp.crm.test",
        massmail=True,
        daily_limit=50,
        sent_today=7,
        sent_today_date=timezone.localdate(),
        needs_reconnect=True,
        last_error="535 5.7.8 Bad credentials",
    )
    AccountNotification.objects.create(account=mine, level="error", text="Re-connect needed: wrong password")
    EmailAccount.objects.create(owner=bob, email="bob@crm.test")

    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/mailaccounts/emailaccount/")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "alice@crm.test" in row and "7 / 50" in row
    # The notifications are a count in the list; the latest show on hover.
    assert "Re-connect needed: wrong password" in rows.first.locator(
        "td.field-notification_list a"
    ).get_attribute("title")
    assert "bob@crm.test" not in page.content()

    page.click(
        "td.field-connection_badge a.badge.error"
    )  # the "Re-connect needed" badge links to the account's page
    page.wait_for_url(f"**/crm/mailaccounts/emailaccount/{mine.pk}/change/")
    assert page.locator("#id_password").input_value() == ""
    assert "never-shown" not in page.content()
    page.select_option("#id_provider", "yahoo")  # the preset fills the server fields
    assert page.locator("#id_smtp_host").input_value() == "smtp.mail.yahoo.com"
    assert page.locator("#id_smtp_port").input_value() == "465"


def test_a_sales_managers_account_page_has_no_operator_words_or_dead_buttons(
    page, live_server, alice, settings
):

    settings.GOOGLE_OAUTH_CLIENT_ID = settings.MICROSOFT_OAUTH_CLIENT_ID = ""
    account = EmailAccount.objects.create(
        owner=alice, email="alice@crm.test", smtp_host="smtp.crm.test", imap_host="imap.crm.test"
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, alice)

    page.goto(f"{live_server.url}/crm/mailaccounts/emailaccount/{account.pk}/change/")

    content = page.locator("#content")
    assert "Sign-in with Google or Microsoft is not set up; ask your administrator." in content.inner_text()
    assert "OAUTH" not in page.content() and "environment" not in content.inner_text()
    assert page.locator("button", has_text="Sync now").count() == 0  # IMAP import is off
    assert "IMAP import is off" in content.inner_text()
    screenshot(page, "account_page_sales_manager")
