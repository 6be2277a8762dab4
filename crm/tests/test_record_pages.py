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


@pytest.fixture
def timeline_sources():
    saved = list(record_pages._timeline_sources)
    yield record_pages._timeline_sources
    record_pages._timeline_sources[:] = saved


def test_the_timeline_merges_every_sources_lines_newest_first(rf, alice, timeline_sources):
    import datetime as dt

    day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)

    def letters(request, record, limit):
        return [
            record_pages.TimelineEntry(day + dt.timedelta(days=n), "row.html", f"letter {n}") for n in (3, 1)
        ]

    def parcels(request, record, limit):
        return [
            record_pages.TimelineEntry(None, "row.html", "parcel due"),
            record_pages.TimelineEntry(day + dt.timedelta(days=2), "row.html", "parcel 2"),
        ]

    timeline_sources[:] = [letters, parcels]
    request = rf.get("/")
    request.user = alice

    lines = record_pages.timeline(request, Company(full_name="Acme"), limit=3)

    assert [line.item for line in lines] == ["parcel due", "letter 3", "parcel 2"]
