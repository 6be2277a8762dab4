"""Audience creation: 1,000,000 contacts into one mailing by filter, through create_mailing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.audience

1,100,000 contacts of one sales manager are bulk-loaded (INSERT … SELECT generate_series) in
a throwaway database; the mailing takes those with country = Germany (1,000,000 of them).
Only `massmail.mailings.create_mailing` is timed. Last line: `seconds: T contacts: N`
"""

import time

from django.db import connection

from bench.drip_setup import bench_message, insert_contacts, sales_manager, throwaway_database
from crm.models import Contact
from massmail.mailings import create_mailing

MATCHING, OTHERS = 1_000_000, 100_000


def main():
    with throwaway_database("audience"):
        owner = sales_manager()
        started = time.perf_counter()
        insert_contacts(owner, MATCHING, country="Germany", vip_every=100, prefix="de")
        insert_contacts(owner, OTHERS, country="France", prefix="fr")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"loaded {MATCHING + OTHERS} contacts in {time.perf_counter() - started:.1f} s")
        message = bench_message(owner)
        started = time.perf_counter()
        mailing = create_mailing(owner, message, Contact.objects.filter(country="Germany"))
        seconds = time.perf_counter() - started
        print(f"mailing {mailing.pk}: {mailing.recipients_count} recipients, status {mailing.status}")
        print(f"seconds: {seconds:.1f} contacts: {mailing.recipients_count}")


if __name__ == "__main__":
    main()
