"""The sales managers' two busiest pages under gunicorn: the mailings list and the contacts
list, over 100,000 contacts and 200 mailings (500 recipient rows each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.web

A throwaway database is bulk-loaded (INSERT … SELECT generate_series) for one sales manager.
The queries each page runs are counted in this process (Django's test client and
CaptureQueriesContext) at two sizes, 1,000 contacts / 20 mailings and the full size, to show
that the count does not grow with the rows. Then `collectstatic` and gunicorn with 4 workers
(DEBUG off, as in production) serve both pages to 2 client threads logged in over HTTP, for a
bounded number of requests. Last line: `pages: N p50_ms: A p95_ms: B queries_per_page: Q`
"""

import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench.drip_setup import bench_message, insert_contacts, sales_manager, throwaway_database
from crm.tests.fixtures import PASSWORD
from mailaccounts.models import EmailAccount
from massmail import metrics
from massmail.models import Mailing, MailingNotification, MailingRecipient
from testsupport._net import free_port, wait_port
from testsupport.http import HttpClient
from testsupport.processes import manage, process_group, production_env

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/crm/massmail/mailing/", "/crm/crm/contact/"]
SMALL, FULL = (1_000, 20), (100_000, 200)  # (contacts, mailings)
PER_MAILING = 500
# One client thread per core of the machines this runs on (2): more would time their queue.
WORKERS, CLIENTS, REQUESTS_PER_PAGE = 4, 2, 100


def add_rows(owner, contacts, mailings, prefix):
    """`contacts` more contacts and `mailings` more mailings of 500 rows (a fifth sent today),
    each with two notifications."""
    insert_contacts(owner, contacts, prefix=prefix)
    message = bench_message(owner)
    created = Mailing.objects.bulk_create(
        Mailing(
            owner=owner,
            department_id=owner.department_id,
            name=f"{prefix} mailing {i}",
            message=message,
            recipient_type="contacts",
            recipients_count=PER_MAILING,
            sent_count=PER_MAILING // 5,
        )
        for i in range(mailings)
    )
    ids = [m.pk for m in created]
    MailingNotification.objects.bulk_create(
        MailingNotification(mailing_id=pk, text=text) for pk in ids for text in ("Started.", "Half way.")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO massmail_mailingrecipient (mailing_id, email, is_vip, status, skip_reason,
                attempts, message_id, last_error, error_detail, sent_at)
            SELECT m.id, 'r' || g || '@m' || m.id || '.test', false,
                CASE WHEN g %% 5 = 0 THEN 'sent' ELSE 'pending' END, '', 0, '', '', '',
                CASE WHEN g %% 5 = 0 THEN now() END
            FROM massmail_mailing m CROSS JOIN generate_series(1, %s) AS g
            WHERE m.id = ANY(%s)
            """,
            [PER_MAILING, ids],
        )
        cursor.execute("ANALYZE")


def count_queries(user):
    """{page: queries} for one request of each page, rendered in this process."""
    client = Client()
    client.force_login(user)
    counts = {}
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        counts[page] = len(queries)
    return counts


def scrape_cost():
    """What one /metrics scrape costs over these rows (its figures are read from the database)."""
    metrics.exposition()  # warm
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        metrics.exposition()
        ms = (time.perf_counter() - started) * 1000
    rows = MailingRecipient.objects.count()
    return f"/metrics: {len(queries)} queries, {ms:.0f} ms over {rows} recipient rows"


def web_env(static_root, port):
    db = connection.settings_dict
    return production_env(
        site_url=f"http://127.0.0.1:{port}",
        database_url=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        static_root=static_root,
        LOG_LEVEL="WARNING",
    )


def timed_requests(site, username):
    """Each client thread logs in, then fetches the pages in turn: (page, ms) per request."""

    def client_run(index):
        client = HttpClient(site)
        client.log_in("/crm/login/?next=/crm/", username, PASSWORD)
        timings = []
        for i in range(REQUESTS_PER_PAGE * len(PAGES) // CLIENTS):
            page = PAGES[(i + index) % len(PAGES)]
            started = time.perf_counter()
            response = client.get(page)
            timings.append((page, (time.perf_counter() - started) * 1000))
            assert response.status == 200, (page, response.status)
        return timings

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [t for run in pool.map(client_run, range(CLIENTS)) for t in run]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    with throwaway_database("web"), tempfile.TemporaryDirectory() as tmp:
        owner = sales_manager()
        for name in ("one", "two"):
            EmailAccount.objects.create(owner=owner, email=f"{name}@bench.test", massmail=True)
        started = time.perf_counter()
        add_rows(owner, *SMALL, prefix="small")
        port = free_port()
        env = web_env(Path(tmp) / "static", port)
        manage(ROOT, env, "collectstatic", "--noinput", "-v", "0")
        with override_settings(STATIC_ROOT=env["STATIC_ROOT"]):
            small = count_queries(owner)
            add_rows(owner, FULL[0] - SMALL[0], FULL[1] - SMALL[1], prefix="full")
            full = count_queries(owner)
        print(f"loaded {FULL[0]} contacts, {FULL[1]} mailings in {time.perf_counter() - started:.1f} s")
        for page in PAGES:
            print(f"{page}: {small[page]} queries at {SMALL[0]} contacts, {full[page]} at {FULL[0]}")
        print(scrape_cost())

        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
        gunicorn += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
        site = f"http://127.0.0.1:{port}"
        with process_group(gunicorn, cwd=ROOT, env=env, log_path=Path(tmp) / "web.log", tail=0):
            wait_port("127.0.0.1", port, timeout=60)
            timed_requests(site, owner.username)  # warm-up: each worker's first requests
            timings = timed_requests(site, owner.username)
        for page in PAGES:
            ms = [t for p, t in timings if p == page]
            print(
                f"{page}: {len(ms)} requests, p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms"
            )
        ms = [t for _, t in timings]
        queries = max(full.values())
        if small != full:
            print(f"queries per page grew with the rows: {small} -> {full}")
        print(
            f"pages: {len(ms)} p50_ms: {statistics.median(ms):.0f} p95_ms: {percentile(ms, 95):.0f} "
            f"queries_per_page: {queries}"
        )


if __name__ == "__main__":
    main()
