"""Contacts import: a generated CSV through `crm.importing.run_import`, the import page's path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.import_records

Two files are made, 20,000 and 100,000 rows, each with duplicates (addresses repeated in the
file and addresses of contacts that already exist), bad rows (addresses that are not ones,
rows without company), tags, and companies of which some exist and some are created. Each
is imported in its own throwaway database with duplicates set to "update". The query count
per 1,000 rows must stay the same for both sizes. Last line (the 100,000-row file):
`rows: N seconds: T rows_per_s: R queries_per_1000_rows: Q`
"""

import csv
import random
import tempfile
import time
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.drip_setup import sales_manager, throwaway_database
from crm import importing
from crm.models import Company, Contact, ImportJob

SIZES = (20_000, 100_000)
COMPANIES = 500
EXISTING = 2_000


def write_file(path, rows):
    rng = random.Random(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            ["First Name", "Last Name", "E-mail Address", "Company", "Business Phone", "City", "Categories"]
        )
        for i in range(rows):
            email = f"person{i}@example.com"
            roll = rng.random()
            if roll < 0.03:
                email = f"person{rng.randrange(max(1, i))}@example.com"  # repeated in the file
            elif roll < 0.05:
                email = f"existing{rng.randrange(EXISTING)}@example.com"  # an existing contact
            elif roll < 0.07:
                email = f"person{i} at example.com"  # not an address
            company = "" if rng.random() < 0.01 else f"Company {rng.randrange(COMPANIES)}"
            tags = ";".join(
                rng.sample(["Fair", "Clients", "Partners", "Press", "Newsletter"], rng.randrange(3))
            )
            out.writerow([f"First{i}", f"Last{i}", email, company, f"+49 30 {i:07d}", "Berlin", tags])


def seed(owner):
    companies = Company.objects.bulk_create(
        Company(full_name=f"Company {i}", owner=owner, department_id=owner.department_id)
        for i in range(0, COMPANIES, 2)
    )
    Contact.objects.bulk_create(
        Contact(email=f"existing{i}@example.com", company=companies[i % len(companies)], owner=owner, city="")
        for i in range(EXISTING)
    )


def measure(rows, path):
    with throwaway_database(f"import_{rows}"):
        owner = sales_manager()
        seed(owner)
        job = ImportJob.objects.create(
            user=owner,
            kind="contacts",
            filename=path.name,
            duplicates="update",
            options={"create_companies": True},
        )
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            job = importing.run_import(job, path)
        seconds = time.perf_counter() - started
        print(f"{path.name}: {job.status} {job.totals} {job.error}")
        return seconds, len(queries)


def main():
    lines = []
    with tempfile.TemporaryDirectory() as directory:
        for rows in SIZES:
            path = Path(directory) / f"contacts_{rows}.csv"
            write_file(path, rows)
            seconds, queries = measure(rows, path)
            lines.append(
                f"rows: {rows} seconds: {seconds:.2f} rows_per_s: {rows / seconds:.0f} "
                f"queries_per_1000_rows: {queries * 1000 / rows:.1f}"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
