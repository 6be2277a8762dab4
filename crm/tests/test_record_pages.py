"""crm knows nothing of mail: record pages show what the apps above register with it."""

import pytest

from crm import record_pages
from crm.models import Company


@pytest.fixture
def registered():
    saved = (list(record_pages._object_tools), list(record_pages._panels))
    record_pages.add_object_tool(lambda record: ("Say hello", f"/hello/{record.pk}/", "hello"))
    record_pages.add_panel(lambda request, record: f'<div id="greeting">Hello {request.user}</div>')
    yield
    record_pages._object_tools[:], record_pages._panels[:] = saved


def test_a_record_page_shows_the_registered_links_and_panels(client, alice, registered):
    company = Company.objects.create(full_name="Acme", owner=alice)
    client.force_login(alice)
    page = client.get(f"/crm/crm/company/{company.pk}/change/").content.decode()
    assert f'href="/hello/{company.pk}/" class="hello"' in page
    assert f'<div id="greeting">Hello {alice}</div>' in page
    # The apps above registered theirs the same way.
    assert "Write email" in page and 'id="timeline"' in page
