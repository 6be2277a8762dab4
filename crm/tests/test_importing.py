"""Importing Companies, Contacts and Leads from the files people have (crm/importing.py)."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import importing
from crm.column_mapping import detect_mapping
from crm.models import Company, Contact, ImportJob, Lead, Tag
from crm.tables import NotATable, open_table

SAMPLES = Path(__file__).parent / "import_samples"
pytestmark = pytest.mark.django_db


def run(user, kind, path, **fields):
    fields.setdefault("options", {"create_companies": True})
    job = ImportJob.objects.create(user=user, kind=kind, filename=Path(path).name, **fields)
    return importing.run_import(job, path)


def write(tmp_path, text, name="file.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def skipped_reasons(job):
    return dict(job.rows.filter(outcome="skipped").values_list("line", "reason"))


# --- known exports, mapped without help ---------------------------------------------------


@pytest.mark.parametrize(
    "sample, kind, expected",
    [
        (
            "google_contacts.csv",
            "contacts",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "E-mail 1 - Value": "email",
                "E-mail 2 - Value": "",
                "Phone 1 - Value": "phone",
                "Organization Name": "company",
                "Organization Title": "title",
                "Labels": "tags",
                "Notes": "description",
                "Address 1 - City": "city",
                "Address 1 - Country": "country",
            },
        ),
        (
            "outlook.csv",
            "contacts",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Title": "",
                "Job Title": "title",
                "E-mail Address": "email",
                "E-mail 2 Address": "",
                "Business Phone": "phone",
                "Company": "company",
                "Business City": "city",
                "Business Country/Region": "country",
                "Categories": "tags",
                "Notes": "description",
            },
        ),
        (
            "linkedin_connections.csv",
            "contacts",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email Address": "email",
                "Company": "company",
                "Position": "title",
                "URL": "",
                "Connected On": "",
            },
        ),
        (
            "hubspot_contacts.csv",
            "leads",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "Phone Number": "phone",
                "Company Name": "company_name",
                "Contact owner": "owner",
                "Country/Region": "country",
                "City": "city",
            },
        ),
        (
            "hubspot_companies.csv",
            "companies",
            {
                "Company name": "full_name",
                "Company Domain Name": "website",
                "Phone Number": "phone",
                "Industry": "industry",
                "Company owner": "owner",
            },
        ),
        (
            "excel_unicode_text.txt",
            "contacts",
            {
                "Vorname": "first_name",
                "Nachname": "last_name",
                "E-Mail": "email",
                "Firma": "company",
                "Telefon": "phone",
            },
        ),
        (
            "plain_de.csv",
            "contacts",
            {"Name": "name", "E-Mail": "email", "Firma": "company", "Telefon": "phone"},
        ),
        (
            "plain_fr.csv",
            "contacts",
            {
                "Prénom": "first_name",
                "Nom": "last_name",
                "Adresse e-mail": "email",
                "Société": "company",
                "Téléphone": "phone",
            },
        ),
        (
            "plain_es.csv",
            "leads",
            {"Nombre": "name", "Correo electrónico": "email", "Empresa": "company_name", "Teléfono": "phone"},
        ),
        (
            "plain_en.xlsx",
            "contacts",
            {"Name": "name", "E-mail": "email", "Company": "company", "Phone": "phone", "VIP": "is_vip"},
        ),
    ],
)
def test_known_exports_are_mapped_without_help(sample, kind, expected):
    with open_table(SAMPLES / sample) as table:
        mapping = detect_mapping(table.headers, kind)
    assert {header: mapping[header] for header in expected} == expected


def test_google_contacts_import_with_labels_and_a_quoted_line_break(alice):
    job = run(alice, "contacts", SAMPLES / "google_contacts.csv")
    assert job.totals == "created: 2 updated: 0 skipped: 0"
    anna = Contact.objects.get(email="anna.schmidt@nordwind.example")
    assert (anna.first_name, anna.last_name, anna.company.full_name) == ("Anna", "Schmidt", "Nordwind GmbH")
    assert anna.description == "Met at the fair.\r\nCall back in May."
    assert sorted(anna.tags.values_list("name", flat=True)) == ["Clients", "Fair 2026"]
    assert (anna.owner, anna.department) == (alice, alice.department)
    assert Contact.objects.get(email="jose@iberia.example").last_name == "Núñez"


def test_outlook_windows_1252_is_decoded(alice):
    job = run(alice, "contacts", SAMPLES / "outlook.csv")
    assert job.totals == "created: 2 updated: 0 skipped: 0"
    juergen = Contact.objects.get(email="j.mueller@rheinwerk.example")
    assert (juergen.last_name, juergen.title, juergen.city) == ("Müller", "Geschäftsführer", "Köln")
    assert sorted(juergen.tags.values_list("name", flat=True)) == ["Kunden", "VIP-Liste"]
    assert Contact.objects.get(email="zoe.lefevre@societe.example").description == "Prix: 5 €"


def test_linkedin_notes_lines_before_the_header_and_a_row_without_address(alice):
    job = run(alice, "contacts", SAMPLES / "linkedin_connections.csv")
    assert job.totals == "created: 2 updated: 0 skipped: 0"
    tom = Contact.objects.get(last_name="O'Neill")
    assert (tom.email, tom.title, tom.company.full_name) == ("", "Director, Operations", "Harbor Logistics")


def test_excel_unicode_text_is_utf16_with_tabs(alice):
    with open_table(SAMPLES / "excel_unicode_text.txt") as table:
        assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    run(alice, "contacts", SAMPLES / "excel_unicode_text.txt")
    assert Contact.objects.get(email="omer@bosporus.example").company.full_name == "Bosporus\tHandel"
    assert Contact.objects.get(email="grete.krueger@elbe.example").last_name == "Krüger"


@pytest.mark.parametrize(
    "sample, encoding, delimiter",
    [
        ("plain_de.csv", "cp1252", ";"),
        ("plain_fr.csv", "cp1252", ";"),
        ("plain_es.csv", "utf-8-sig", ","),
        ("plain_en_latin1.csv", "cp1252", ","),
        ("google_contacts.csv", "utf-8", ","),
    ],
)
def test_encoding_and_delimiter_are_detected(sample, encoding, delimiter):
    with open_table(SAMPLES / sample) as table:
        assert (table.encoding, table.delimiter) == (encoding, delimiter)


def test_plain_sheets_in_four_languages(alice):
    run(alice, "contacts", SAMPLES / "plain_de.csv")
    run(alice, "contacts", SAMPLES / "plain_fr.csv")
    run(alice, "leads", SAMPLES / "plain_es.csv")
    run(alice, "contacts", SAMPLES / "plain_en_latin1.csv")
    franz = Contact.objects.get(email="franz.weiss@alpen.example")
    assert (franz.first_name, franz.last_name, franz.company.full_name) == ("Franz", "Weiß", "Alpen Käserei")
    helene = Contact.objects.get(email="helene.dubois@loire.example")
    assert (helene.first_name, helene.last_name, helene.company.full_name) == (
        "Hélène",
        "Dubois",
        "Château Loire",
    )
    lucia = Lead.objects.get(email="lucia@andalucia.example")
    assert (lucia.first_name, lucia.last_name, lucia.company_name) == (
        "Lucía",
        "Fernández García",
        "Andalucía Solar",
    )
    assert Contact.objects.get(email="renee@quebec.example").last_name == "Bélanger"


def test_latin1_bytes_that_windows_1252_lacks_still_decode(tmp_path, alice):
    path = tmp_path / "latin1.csv"
    path.write_bytes("Name,Email,Company\nA\x81b,ab@x.example,X\n".encode("latin-1"))
    with open_table(path) as table:
        assert table.encoding == "latin-1"


def test_xlsx_numbers_blank_rows_and_formulas_as_text(alice):
    job = run(alice, "contacts", SAMPLES / "plain_en.xlsx")
    assert job.totals == "created: 2 updated: 0 skipped: 0"
    kofi = Contact.objects.get(email="kofi@accra.example")
    assert (kofi.phone, kofi.is_vip) == ("233302123456", True)
    formula = Contact.objects.get(email="formula@accra.example")
    assert (formula.first_name, formula.phone, formula.is_vip) == ("=1+1", "=A2", False)


def test_hubspot_companies_with_domains_and_industries(alice):
    job = run(alice, "companies", SAMPLES / "hubspot_companies.csv")
    assert job.totals == "created: 2 updated: 0 skipped: 0"
    lotus = Company.objects.get(full_name="Lotus Devices")
    assert (lotus.website, lotus.industry, lotus.owner) == ("https://lotus.example", "software", alice)


# --- bad input --------------------------------------------------------------------------


def test_bad_rows_are_skipped_with_their_reason_and_formulas_kept_as_text(alice):
    job = run(alice, "contacts", SAMPLES / "bad_rows.csv")
    assert job.totals == "created: 3 updated: 0 skipped: 2"
    assert skipped_reasons(job) == {
        5: "not an email address: 'not-an-address'",
        9: "no company (a contact belongs to one)",
    }
    ada = Contact.objects.get(email="ada@engine.example")
    assert ada.company.full_name == "Analytical Engines"
    formula = Contact.objects.get(email="formula@engine.example")
    assert formula.first_name == '=HYPERLINK("http://evil.example","x")'
    assert (formula.company.full_name, formula.phone) == ("+SUM(1,2)", "-1+1")
    grace = Contact.objects.get(email="grace@navy.example")
    assert (grace.first_name, grace.last_name, grace.company.full_name) == (
        "@cmd",
        "Grace",
        "Navy\r\nResearch Lab",
    )


@pytest.mark.parametrize("sample", ["not_a_table.txt", "not_a_table.png"])
def test_a_file_that_is_not_a_table_is_refused_with_a_reason(alice, sample):
    job = run(alice, "contacts", SAMPLES / sample)
    assert job.status == "failed"
    assert "header" in job.error or "binary" in job.error
    assert not Contact.objects.exists()


def test_a_zip_that_is_not_a_workbook_and_an_empty_file(tmp_path, alice):
    with pytest.raises(NotATable, match="not an XLSX workbook"):
        open_table(write(tmp_path, "PK\x03\x04garbage", "fake.xlsx", "latin-1"))
    with pytest.raises(NotATable, match="empty"):
        open_table(write(tmp_path, "\n\n", "empty.csv"))


def test_a_file_that_breaks_halfway_undoes_what_it_wrote(tmp_path, alice, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    rows = "".join(f"P{i},p{i}@x.example,Acme\n" for i in range(5))
    path = write(
        tmp_path, "Name,Email,Company\n" + rows + '"unterminated,x@x.example,Acme\n' + "y" * 200_000 + "\n"
    )
    job = run(alice, "contacts", path)
    assert job.status == "failed"
    assert "CSV" in job.error
    assert not Contact.objects.exists()
    assert not Company.objects.exists()


def test_reading_a_100_mb_file_streams_it(tmp_path):
    import tracemalloc

    path = tmp_path / "big.csv"
    row = ("Someone,someone@x.example,Acme," + "n" * 99_000 + "\n").encode()
    with open(path, "wb") as f:
        f.write(b"Name,Email,Company,Notes\n")
        for _ in range(1060):
            f.write(row)
    assert path.stat().st_size > 100 * 1024 * 1024
    tracemalloc.start()
    try:
        with open_table(path) as table:
            count = sum(1 for _ in table.rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 1060
    assert peak < 10 * 1024 * 1024


def test_queries_per_row_do_not_grow_with_the_file(tmp_path, alice, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 100)

    def queries_for(n, name):
        lines = "".join(f"P{i},p{i}@{name}.example,Co{i % 7},t{i % 3}\n" for i in range(n))
        path = write(tmp_path, "Name,Email,Company,Tags\n" + lines, f"{name}.csv")
        with CaptureQueriesContext(connection) as queries:
            job = run(alice, "contacts", path)
        assert job.created == n
        return len(queries)

    small, large = queries_for(300, "small"), queries_for(900, "large")
    assert large / 900 <= small / 300  # per row, the larger file costs no more queries


# --- duplicates, suppression, owners -----------------------------------------------------


@pytest.fixture
def existing(alice):
    company = Company.objects.create(full_name="Acme", owner=alice)
    return Contact.objects.create(
        company=company,
        first_name="Ann",
        last_name="",
        email="Ann@Acme.example",
        phone="",
        city="Paris",
        owner=alice,
    )


DUPLICATE = "Name,Email,Company,Phone,City\nAnn Smith,ann@acme.example,Acme,+1 555,Berlin\n"


def test_duplicates_skipped(tmp_path, alice, existing):
    job = run(alice, "contacts", write(tmp_path, DUPLICATE), duplicates="skip")
    assert job.totals == "created: 0 updated: 0 skipped: 1"
    assert skipped_reasons(job) == {2: f"duplicate address of record #{existing.pk}"}
    existing.refresh_from_db()
    assert (existing.last_name, existing.phone, existing.city) == ("", "", "Paris")


def test_duplicates_update_fills_only_empty_fields(tmp_path, alice, existing):
    job = run(alice, "contacts", write(tmp_path, DUPLICATE), duplicates="update")
    assert job.totals == "created: 0 updated: 1 skipped: 0"
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.phone, existing.city) == (
        "Ann",
        "Smith",
        "+1 555",
        "Paris",
    )


def test_duplicates_overwrite_replaces_fields(tmp_path, alice, existing):
    job = run(alice, "contacts", write(tmp_path, DUPLICATE), duplicates="overwrite")
    assert job.totals == "created: 0 updated: 1 skipped: 0"
    existing.refresh_from_db()
    assert (existing.last_name, existing.phone, existing.city) == ("Smith", "+1 555", "Berlin")


def test_a_repeated_address_in_the_file_is_a_duplicate_too(tmp_path, alice, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    text = "Name,Email,Company\nA One,a@x.example,X\nB Two,b@x.example,X\nA Again,A@X.example,X\n"
    job = run(alice, "contacts", write(tmp_path, text), duplicates="skip")
    assert job.totals == "created: 2 updated: 0 skipped: 1"
    text = "Name,Email,Company\nA One,a@y.example,X\nA Again,a@y.example,X\n"
    job = run(alice, "contacts", write(tmp_path, text), duplicates="skip")
    assert skipped_reasons(job) == {3: "duplicate address of line 2"}


def test_another_users_record_is_not_a_duplicate_and_is_not_changed(tmp_path, alice, carol, existing):
    job = run(carol, "contacts", write(tmp_path, DUPLICATE), duplicates="overwrite")
    assert job.totals == "created: 1 updated: 0 skipped: 0"
    existing.refresh_from_db()
    assert existing.city == "Paris"
    mine = Contact.objects.get(owner=carol)
    assert mine.company.owner == carol and mine.company != existing.company


def test_missing_companies_are_created_only_when_chosen(tmp_path, alice):
    text = "Name,Email,Company\nA One,a@x.example,Newco\n"
    job = run(alice, "contacts", write(tmp_path, text), options={"create_companies": False})
    assert skipped_reasons(job) == {2: "no company named 'Newco' (choose to create missing companies)"}
    Company.objects.create(full_name="NEWCO", owner=alice)
    job = run(alice, "contacts", write(tmp_path, text), options={"create_companies": False})
    assert Contact.objects.get().company.full_name == "NEWCO"


def test_owner_department_tags_vip_and_newsletters_for_the_whole_file(tmp_path, alice, bob, dana):
    text = "Name,Email,Company\nA One,a@x.example,X\n"
    options = {"create_companies": True, "owner": bob.pk, "tags": ["Fair"], "is_vip": True, "massmail": False}
    run(dana, "contacts", write(tmp_path, text), options=options)
    contact = Contact.objects.get()
    assert (contact.owner, contact.department, contact.is_vip, contact.massmail) == (
        bob,
        bob.department,
        True,
        False,
    )
    assert list(contact.tags.values_list("name", flat=True)) == ["Fair"]


def test_owner_vip_and_newsletters_from_columns(tmp_path, alice, bob, carol, dana):
    text = (
        "Name,Email,Company,Owner,VIP,Newsletter\n"
        "A One,a@x.example,X,bob,yes,no\n"
        "B Two,b@x.example,X,carol@crm.test,no,yes\n"
        "C Three,c@x.example,X,,maybe,\n"
    )
    job = run(dana, "contacts", write(tmp_path, text))
    a = Contact.objects.get(email="a@x.example")
    assert (a.owner, a.is_vip, a.massmail) == (bob, True, False)
    assert skipped_reasons(job) == {
        3: "owner 'carol@crm.test' is not someone you may give records to",
        4: "VIP: 'maybe' is not yes or no",
    }


def test_a_sales_manager_cannot_give_records_to_someone_else(tmp_path, alice, bob):
    job = ImportJob.objects.create(user=alice, kind="contacts", filename="x.csv", options={"owner": bob.pk})
    with pytest.raises(importing.ImportRefused):
        importing.run_import(job, write(tmp_path, "Name,Email,Company\nA,a@x.example,X\n"))
    assert not Contact.objects.exists()


def test_a_company_manager_may_not_import(tmp_path, erin):
    job = ImportJob.objects.create(user=erin, kind="contacts", filename="x.csv")
    with pytest.raises(importing.ImportRefused):
        importing.run_import(job, write(tmp_path, "Name,Email,Company\nA,a@x.example,X\n"))


# --- mapping given and remembered ---------------------------------------------------------


def test_a_mapping_given_for_unknown_headers_and_remembered_next_time(tmp_path, alice):
    text = "Kontakt,Elektropost,Arbeitgeber\nA One,a@x.example,X\n"
    mapping = {"Kontakt": "name", "Elektropost": "email", "Arbeitgeber": "company"}
    job = run(alice, "contacts", write(tmp_path, text), mapping=mapping)
    assert job.created == 1
    job = ImportJob.objects.create(user=alice, kind="contacts", filename="again.csv")
    inspection = importing.inspect(job, write(tmp_path, text.replace("a@x", "b@x"), "again.csv"))
    assert inspection.mapping == mapping
    line, values, problem = inspection.preview[0]
    assert (line, values["email"], values["first_name"], values["company"], problem) == (
        2,
        "b@x.example",
        "A",
        "X",
        "",
    )


def test_preview_shows_each_rows_problem(alice):
    job = ImportJob.objects.create(user=alice, kind="contacts", filename="bad_rows.csv")
    inspection = importing.inspect(job, SAMPLES / "bad_rows.csv")
    problems = {line: problem for line, _values, problem in inspection.preview}
    assert problems == {
        2: "",
        5: "not an email address: 'not-an-address'",
        6: "",
        7: "",
        9: "no company (a contact belongs to one)",
    }


# --- the command --------------------------------------------------------------------------


def test_command_prints_totals_as_its_last_line(alice, existing):
    out = io.StringIO()
    call_command(
        "import_records",
        "contacts",
        str(SAMPLES / "hubspot_contacts.csv"),
        "--owner",
        "alice",
        "--create-companies",
        stdout=out,
    )
    assert out.getvalue().splitlines()[-1] == "created: 2 updated: 0 skipped: 0"
    out = io.StringIO()
    call_command(
        "import_records",
        "contacts",
        str(SAMPLES / "hubspot_contacts.csv"),
        "--owner",
        "alice",
        "--duplicates",
        "update",
        stdout=out,
    )
    assert out.getvalue().splitlines()[-1] == "created: 0 updated: 0 skipped: 2"


def test_command_with_a_mapping_and_bad_input(tmp_path, alice):
    path = write(tmp_path, "Wer,Post,Firma\nA One,a@x.example,X\n")
    out = io.StringIO()
    call_command(
        "import_records",
        "leads",
        str(path),
        "--owner",
        "alice",
        "--mapping",
        '{"Wer": "name", "Post": "email"}',
        stdout=out,
    )
    assert out.getvalue().splitlines()[-1] == "created: 1 updated: 0 skipped: 0"
    assert Lead.objects.get().company_name == "X"
    with pytest.raises(CommandError, match="header"):
        call_command("import_records", "leads", str(SAMPLES / "not_a_table.txt"), "--owner", "alice")
    with pytest.raises(CommandError, match="JSON"):
        call_command("import_records", "leads", str(path), "--owner", "alice", "--mapping", "{nope")
    with pytest.raises(CommandError, match="No user"):
        call_command("import_records", "leads", str(path), "--owner", "nobody")


# --- undo and the report ------------------------------------------------------------------


def test_undo_restores_updates_and_removes_what_was_created(tmp_path, alice, existing):
    text = DUPLICATE + "New One,new@acme.example,Newco,,\n"
    job = run(alice, "contacts", write(tmp_path, text), duplicates="overwrite")
    assert job.totals == "created: 1 updated: 1 skipped: 0"
    assert importing.undo_import(job, alice) == 2  # the contact and the company made for it
    existing.refresh_from_db()
    assert (existing.last_name, existing.phone, existing.city) == ("", "", "Paris")
    assert list(Contact.objects.all()) == [existing]
    assert list(Company.objects.values_list("full_name", flat=True)) == ["Acme"]
    job.refresh_from_db()
    assert job.status == "undone"
    with pytest.raises(importing.ImportRefused):
        importing.undo_import(job, alice)


def test_only_the_users_own_last_import_can_be_undone(tmp_path, alice, bob):
    first = run(alice, "leads", write(tmp_path, "Name,Email\nA One,a@x.example\n", "1.csv"))
    run(alice, "leads", write(tmp_path, "Name,Email\nB Two,b@x.example\n", "2.csv"))
    with pytest.raises(importing.ImportRefused):
        importing.undo_import(first, alice)
    last = importing.last_import(alice)
    with pytest.raises(importing.ImportRefused):
        importing.undo_import(last, bob)
    importing.undo_import(last, alice)
    assert list(Lead.objects.values_list("email", flat=True)) == ["a@x.example"]


def test_report_lists_every_row_with_its_reason(alice):
    job = run(alice, "contacts", SAMPLES / "bad_rows.csv")
    report = list(importing.report_rows(job))
    assert report[0] == importing.REPORT_HEADER
    outcomes = [(line, outcome) for line, outcome, *_ in report[1:]]
    assert (5, "Skipped") in outcomes and (2, "Created") in outcomes and (6, "Company created") in outcomes


def test_tags_are_shared_not_duplicated(tmp_path, alice):
    Tag.objects.create(name="Clients")
    run(alice, "leads", write(tmp_path, "Name,Email,Tags\nA,a@x.example,Clients;New\nB,b@x.example,New\n"))
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Clients", "New"]
    assert Lead.objects.get(email="b@x.example").tags.get().name == "New"


def test_department_from_a_column_or_for_the_whole_file(tmp_path, root, alice, east, west):
    text = "Name,Email,Department\nA One,a@x.example,West\nB Two,b@x.example,\nC Three,c@x.example,Nowhere\n"
    job = run(root, "leads", write(tmp_path, text), options={"owner": alice.pk, "department": east.pk})
    assert dict(Lead.objects.values_list("email", "department__name")) == {
        "a@x.example": "West",
        "b@x.example": "East",
    }
    assert skipped_reasons(job) == {4: "department 'Nowhere' is not one you may import into"}


def test_a_sales_manager_cannot_import_into_another_department(tmp_path, alice, west):
    text = "Name,Email,Department\nA One,a@x.example,West\n"
    job = run(alice, "leads", write(tmp_path, text))
    assert skipped_reasons(job) == {2: "department 'West' is not one you may import into"}
    job = ImportJob.objects.create(
        user=alice, kind="leads", filename="x.csv", options={"department": west.pk}
    )
    with pytest.raises(importing.ImportRefused):
        importing.run_import(job, write(tmp_path, "Name,Email\nA,a@x.example\n"))
    assert not Lead.objects.exists()
