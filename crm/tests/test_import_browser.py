"""The import page in Chromium: from the Contacts list to a background import whose progress
bar updates by itself, the report, and Undo."""

from pathlib import Path

import pytest

from crm import importing, tasks
from crm.models import Contact, ImportJob
from crm.tests.fixtures import log_in

SAMPLES = Path(__file__).parent / "import_samples"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued(monkeypatch):
    """Jobs sent to the background: the test runs them as a Celery worker would."""
    sent = []
    monkeypatch.setattr(tasks.run_import, "delay", sent.append)
    return sent


def test_import_with_mapping_preview_progress_report_and_undo(
    page, live_server, alice, settings, tmp_path, queued
):
    settings.IMPORT_FILES_ROOT = str(tmp_path)
    settings.IMPORT_BACKGROUND_BYTES = 0  # every file in the background, as a large one would be
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/crm/crm/contact/")
    page.click("a.import-link")
    page.set_input_files("input[type=file]", str(SAMPLES / "google_contacts.csv"))
    page.click("text=Upload and preview")

    email_column = page.locator("tr", has=page.locator("label", has_text="E-mail 1 - Value")).locator(
        "select"
    )
    assert email_column.input_value() == "email"
    preview = page.locator("table.import-preview")
    assert "anna.schmidt@nordwind.example" in preview.inner_text()
    # The person changes the mapping: the notes are not imported; the preview follows.
    page.locator("tr", has=page.locator("label", has_text="Notes")).locator("select").select_option("")
    page.click("input[name=preview]")
    assert "Met at the fair" not in page.locator("table.import-preview").inner_text()
    page.check("input[name=create_companies]")
    page.click("input[name=start]")

    progress = page.locator("#import-progress progress")
    progress.wait_for()
    assert progress.get_attribute("value") == "0"
    assert queued == [ImportJob.objects.get().pk]
    importing.run_queued_import(queued[0])  # the worker's part
    page.locator("p.import-totals").wait_for()  # the page polled and found the job done
    assert "created 2, updated 0, skipped 0" in page.locator("p.import-totals").inner_text()
    assert Contact.objects.get(email="anna.schmidt@nordwind.example").description == ""

    with page.expect_download() as download:
        page.click("a.import-report")
    assert "Created" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    page.click("text=Undo this import")
    page.wait_for_url("**/crm/crm/contact/")
    assert "Import undone" in page.content()
    assert not Contact.objects.exists()
