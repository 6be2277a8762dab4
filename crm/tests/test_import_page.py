"""The import page on /crm/: upload, mapping and preview, import (now or in the background),
progress, report and undo."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm import importing
from crm.models import Contact, ImportJob, Lead

SAMPLES = Path(__file__).parent / "import_samples"
pytestmark = pytest.mark.django_db
URL = "/crm/crm/contact/import/"


@pytest.fixture(autouse=True)
def import_files(settings, tmp_path):
    settings.IMPORT_FILES_ROOT = str(tmp_path / "imports")
    return tmp_path / "imports"


def upload(client, user, sample, url=URL):
    client.force_login(user)
    with open(SAMPLES / sample, "rb") as f:
        return client.post(url, {"file": SimpleUploadedFile(sample, f.read())})


def test_the_contacts_list_has_import_and_export_buttons(client, alice):
    client.force_login(alice)
    page = client.get("/crm/crm/contact/").content.decode()
    assert 'href="/crm/crm/contact/import/"' in page
    assert 'action="/crm/crm/contact/export/"' in page


def test_a_company_manager_sees_no_import_and_may_not_upload(client, erin):
    client.force_login(erin)
    assert "/crm/crm/contact/import/" not in client.get("/crm/crm/contact/").content.decode()
    assert upload(client, erin, "google_contacts.csv").status_code == 403


def test_upload_shows_the_detected_mapping_and_a_preview_with_problems(client, alice):
    response = upload(client, alice, "bad_rows.csv")
    job = ImportJob.objects.get()
    assert response.url == f"{URL}{job.pk}/"
    page = client.get(response.url).content.decode()
    assert '<option value="email" selected>' in page
    assert "Skipped: not an email address: &#x27;not-an-address&#x27;" in page
    assert "Ada" in page and "=HYPERLINK(" in page
    assert not Contact.objects.exists()


def test_a_file_that_is_not_a_table_is_refused_on_upload(client, alice, import_files):
    page = upload(client, alice, "not_a_table.txt").content.decode()
    assert "No header row found" in page
    assert not ImportJob.objects.exists()
    assert not any(import_files.rglob("*.txt"))


def test_changing_the_mapping_and_importing(client, alice, import_files):
    upload(client, alice, "plain_de.csv")
    job = ImportJob.objects.get()
    assert [p.name for p in import_files.rglob("*.csv")] == [Path(job.file.name).name]
    data = {
        "column_0": "name",
        "column_1": "email",
        "column_2": "company",
        "column_3": "",  # the phone is not imported
        "duplicates": "skip",
        "create_companies": "on",
        "is_vip": "yes",
        "massmail": "",
        "tags": "Fair, Austria",
        "start": "Import",
    }
    response = client.post(f"{URL}{job.pk}/", data)
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.last_name, contact.phone, contact.is_vip) == ("Weiß", "", True)
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Austria", "Fair"]
    page = client.get(response.url).content.decode()
    assert "created 1, updated 0, skipped 0" in page
    assert "Undo this import" in page
    job.refresh_from_db()
    assert not job.file and not any(import_files.rglob("*.csv"))  # gone once imported
    assert importing.remembered_mapping(alice, "contacts")["Telefon"] == ""


def test_the_same_field_twice_is_refused(client, alice):
    upload(client, alice, "plain_de.csv")
    job = ImportJob.objects.get()
    data = {"column_0": "email", "column_1": "email", "duplicates": "skip", "start": "Import"}
    page = client.post(f"{URL}{job.pk}/", data).content.decode()
    assert "Each field can come from one column only: email." in page
    assert not Contact.objects.exists()


def test_an_owner_outside_the_users_choices_is_refused(client, alice, bob):
    upload(client, alice, "plain_de.csv")
    job = ImportJob.objects.get()
    data = {
        "column_0": "name",
        "column_1": "email",
        "column_2": "company",
        "duplicates": "skip",
        "owner": bob.pk,
        "start": "Import",
    }
    page = client.post(f"{URL}{job.pk}/", data).content.decode()
    assert "Select a valid choice" in page
    assert not Contact.objects.exists()


def test_another_users_job_is_not_found(client, alice, bob):
    upload(client, alice, "plain_de.csv")
    job = ImportJob.objects.get()
    client.force_login(bob)
    for suffix in ("", "progress/", "report.csv"):
        assert client.get(f"{URL}{job.pk}/{suffix}").status_code == 404
    assert client.post(f"{URL}{job.pk}/undo/").status_code == 404


def test_a_large_file_runs_in_the_background_and_shows_progress(
    client, alice, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_BYTES = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        upload(client, alice, "hubspot_contacts.csv", "/crm/crm/lead/import/")
        job = ImportJob.objects.get()
        data = {
            "column_1": "first_name",
            "column_2": "last_name",
            "column_3": "email",
            "duplicates": "skip",
            "start": "Import",
        }
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(f"/crm/crm/lead/import/{job.pk}/", data)
        job.refresh_from_db()
        assert job.status == "queued"
        fragment = client.get(f"/crm/crm/lead/import/{job.pk}/progress/").content.decode()
        assert (
            'hx-trigger="every 1s"' in fragment and '<progress class="import-progress" value="0"' in fragment
        )
        assert len(callbacks) == 1
        callbacks[0]()  # the commit: the task runs (eagerly here; a worker in production)
    finally:
        app.conf.task_always_eager = False
    fragment = client.get(f"/crm/crm/lead/import/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment
    assert "created 2, updated 0, skipped 0" in fragment
    assert Lead.objects.count() == 2


def test_report_download_and_undo(client, alice):
    upload(client, alice, "bad_rows.csv")
    job = ImportJob.objects.get()
    data = {
        "column_0": "name",
        "column_1": "email",
        "column_4": "company",
        "create_companies": "on",
        "duplicates": "skip",
        "start": "1",
    }
    client.post(f"{URL}{job.pk}/", data)
    report = b"".join(client.get(f"{URL}{job.pk}/report.csv").streaming_content).decode("utf-8-sig")
    assert "5,Skipped,not-an-address,not an email address: 'not-an-address'," in report
    assert "'=HYPERLINK" not in report  # the report has no names, but any cell would be made safe
    assert Contact.objects.count() == 3
    response = client.post(f"{URL}{job.pk}/undo/")
    assert response.url == "/crm/crm/contact/"
    assert not Contact.objects.exists()
    job.refresh_from_db()
    assert job.status == "undone"
