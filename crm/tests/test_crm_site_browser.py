import pytest

from crm.tests.fixtures import log_in
from crm.tests.test_roles import records_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_manager_sees_only_their_departments_contacts(page, live_server, alice, carol):
    records_for(alice)
    records_for(carol)
    log_in(page, live_server, alice)
    page.click("text=Contacts")
    page.wait_for_url("**/crm/crm/contact/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "c@alice.test" in rows.first.inner_text()
    assert "c@carol.test" not in page.content()
    page.goto(f"{live_server.url}/crm/crm/contact/?q=carol")
    assert "0 contacts" in page.locator("#changelist-search").inner_text() or rows.count() == 0
