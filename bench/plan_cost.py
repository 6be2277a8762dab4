"""The cost of one drip plan pass: 2,000 accounts, 500 active mailings, 1,000,000 pending.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.plan_cost

500 sales managers, each with 4 accounts (one main, three normal; some paced, some spent)
and one active mailing of 2,000 pending recipients (2% VIP), bulk-loaded with
INSERT … SELECT generate_series in a throwaway database. `massmail.scheduling.due_accounts`
is run once cold, then five times; the median is reported with its query count.
Last line: `queries: Q ms: T recipients: N`
"""

import datetime
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.drip_setup import bench_message, sales_manager, throwaway_database
from crm.models import User
from mailaccounts.models import EmailAccount
from massmail.models import Mailing, MailingRecipient, MassmailSettings
from massmail.scheduling import due_accounts

OWNERS, ACCOUNTS_EACH, PER_MAILING = 500, 4, 2000


def load():
    first = sales_manager("owner0")
    # The others without password hashing (500 PBKDF2 rounds would be the slowest part).
    User.objects.bulk_create(
        User(username=f"owner{i}", department_id=first.department_id, is_staff=True, password="!")
        for i in range(1, OWNERS)
    )
    message = bench_message(first)
    owners = list(User.objects.filter(username__startswith="owner"))
    now, today = timezone.now(), timezone.localdate()
    # Account k of an owner: k = 0 is the main account; every 5th owner's accounts are paced
    # (next send in the future), every 7th owner's are spent for today.
    EmailAccount.objects.bulk_create(
        EmailAccount(
            owner=owner,
            email=f"acc{owner.pk}-{k}@bench.test",
            smtp_host="127.0.0.1",
            smtp_security="none",
            is_main=k == 0,
            massmail=True,
            daily_limit=100,
            sent_today=100 if owner.pk % 7 == 0 else 0,
            sent_today_date=today,
            next_send_at=now + datetime.timedelta(hours=1) if owner.pk % 5 == 0 else None,
        )
        for owner in owners
        for k in range(ACCOUNTS_EACH)
    )
    Mailing.objects.bulk_create(
        Mailing(
            owner=owner,
            department_id=owner.department_id,
            name="bench",
            message=message,
            recipient_type="contacts",
            recipients_count=PER_MAILING,
        )
        for owner in owners
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO massmail_mailingrecipient (mailing_id, email, is_vip, status, skip_reason,
                attempts, message_id, last_error, error_detail)
            SELECT m.id, 'r' || g || '@m' || m.id || '.test', g %% 50 = 0, 'pending', '', 0, '', '', ''
            FROM massmail_mailing m CROSS JOIN generate_series(1, %s) AS g
            """,
            [PER_MAILING],
        )
        cursor.execute("ANALYZE")


def main():
    with throwaway_database("plan_cost"):
        cfg = MassmailSettings.load()
        cfg.use_business_time = False
        cfg.save()
        started = time.perf_counter()
        load()
        pending = MailingRecipient.objects.filter(status="pending").count()
        print(
            f"loaded {pending} pending recipients, {Mailing.objects.count()} mailings "
            f"in {time.perf_counter() - started:.1f} s"
        )
        timings, due = [], []
        for _ in range(6):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                due = due_accounts(cfg=cfg)
                timings.append((time.perf_counter() - started) * 1000)
        print(
            f"due accounts: {len(due)}; first pass {timings[0]:.1f} ms, then {', '.join(f'{t:.1f}' for t in timings[1:])} ms"
        )
        print(f"queries: {len(queries)} ms: {statistics.median(timings[1:]):.1f} recipients: {pending}")


if __name__ == "__main__":
    main()
