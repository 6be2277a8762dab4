"""The cost of one drip plan pass: 2,000 accounts, 500 active mailings, 1,000,000 pending.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.plan_cost

500 sales managers, each with 4 accounts (one main, three normal; some paced, some spent)
and one active mailing of 2,000 pending recipients (2% VIP), bulk-loaded with
INSERT … SELECT generate_series in a throwaway database. `massmail.scheduling.due_accounts`
is run once cold, then five times; the median is reported with its query count.
Last line: `queries: Q ms: T recipients: N`
"""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.drip_setup import bench_message, sales_manager, throwaway_database
from crm.models import User
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
    with connection.cursor() as cursor:
        # Account k of owner i: k = 0 is the main account; every 5th owner's accounts are paced
        # (next send in the future), every 7th owner's are spent for today.
        cursor.execute(
            """
            INSERT INTO mailaccounts_emailaccount (owner_id, email, display_name, reply_to, provider,
                smtp_host, smtp_port, smtp_security, imap_host, imap_port, imap_security, username,
                password, allow_untrusted_cert, auth_method, oauth_access_token, oauth_refresh_token,
                is_main, massmail, do_import, import_all, create_unknown_contacts, exclude_patterns,
                daily_limit, is_active, is_default, last_error, needs_reconnect, sent_today,
                sent_today_date, next_send_at, sync_from, sync_interval, folders, last_sync_result,
                created_at)
            SELECT u.id, 'acc' || u.id || '-' || k || '@bench.test', '', '', 'custom',
                '127.0.0.1', 25, 'none', '', 993, 'ssl', '', '', false, 'password', '', '',
                k = 0, true, false, false, false, '',
                100, true, false, '', false,
                CASE WHEN u.id %% 7 = 0 THEN 100 ELSE 0 END, current_date,
                CASE WHEN u.id %% 5 = 0 THEN now() + interval '1 hour' END, 'now', 5, '[]', '', now()
            FROM crm_user u CROSS JOIN generate_series(0, %s - 1) AS k
            WHERE u.username LIKE 'owner%%'
            """,
            [ACCOUNTS_EACH],
        )
        cursor.execute(
            """
            INSERT INTO massmail_mailing (owner_id, department_id, name, message_id, recipient_type,
                status, recipients_count, sent_count, failed_count, skipped_count, created_at, updated_at)
            SELECT u.id, u.department_id, 'bench', %s, 'contacts', 'active', %s, 0, 0, 0, now(), now()
            FROM crm_user u WHERE u.username LIKE 'owner%%'
            """,
            [message.pk, PER_MAILING],
        )
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
