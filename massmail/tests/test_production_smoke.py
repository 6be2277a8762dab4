"""The production configuration end to end: gunicorn (DEBUG off, static files collected and
served by WhiteNoise), a Celery worker and Celery beat as separate processes, on PostgreSQL
and Redis. Everything the test does to the site goes over HTTP, as a sales manager would:
log in, write a message, create a mailing; then the mail reaches an SMTP sink, its
unsubscribe link works, /healthz is green and /metrics counts the sends. Every process is
stopped, with its children, when the test ends.

The processes read the test database, so this test is transactional; its Celery queue is its
own and its Redis DB this xdist worker's (massmail/tests/test_tasks_workers.py).
"""

import json
import re
import secrets
import sys
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crm.models import Company, Contact
from crm.tests.fixtures import PASSWORD
from massmail.models import Mailing, MailingRecipient, Message, Suppression
from massmail.tests.drip_helpers import drip_settings, make_account
from massmail.tests.test_tasks_workers import BROKER, ROOT, celery_worker, database_url, wait_until
from testsupport import processes
from testsupport._net import free_port, wait_port
from testsupport.http import HttpClient
from testsupport.processes import group_alive, process_group

pytestmark = pytest.mark.django_db(transaction=True)
UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s\"'<>]+/m/u/[^\s\"'<>]+/")


def production_env(tmp_path, site_url, queue, metrics_token):
    """What an operator sets (README, Production), for this test's database, broker and queue."""
    return processes.production_env(
        site_url=site_url,
        database_url=database_url(),
        static_root=tmp_path / "static",
        CELERY_BROKER_URL=BROKER,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        MEDIA_ROOT=str(tmp_path / "media"),
        METRICS_TOKEN=metrics_token,
        LOG_FORMAT="json",
    )


def test_production_processes_serve_send_unsubscribe_and_report(alice, smtp_sink, tmp_path):
    # What a superuser would have set up: alice's mailbox (on the sink) and her contacts.
    drip_settings(time_compression=10**6)
    account = make_account(alice, smtp_sink, "alice")
    company = Company.objects.create(full_name="Buyer Ltd", owner=alice)
    for i in range(3):
        Contact.objects.create(company=company, owner=alice, first_name=f"Pat{i}", email=f"pat{i}@buyer.test")

    port, queue, token = free_port(), f"smoke-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(24)
    site = f"http://127.0.0.1:{port}"
    env = production_env(tmp_path, site, queue, token)
    processes.manage(ROOT, env, "collectstatic", "--noinput", "-v", "0")
    # The README's web command, on a free port with two workers.
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
    gunicorn += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    # Request metrics summed over gunicorn's workers (prometheus-client's multiprocess mode).
    web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    (tmp_path / "prometheus").mkdir()
    beat = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "-l",
        "info",
        "-s",
        str(tmp_path / "beat"),
    ]
    groups = []
    with (
        process_group(gunicorn, cwd=ROOT, env=web_env, log_path=tmp_path / "web.log") as web,
        celery_worker(queue, tmp_path, concurrency=2, env=env) as worker,
        process_group(beat, cwd=ROOT, env=env, log_path=tmp_path / "beat.log") as beat_process,
    ):
        groups = [web.pid, worker.pid, beat_process.pid]
        browser = HttpClient(site)
        wait_port("127.0.0.1", port, timeout=60)

        # DEBUG is off: no technical 404 page; static files are hashed, compressed, cached.
        missing = browser.get("/no-such-page/")
        assert missing.status == 404 and "URLconf" not in missing.text
        login_page = browser.get("/crm/login/")
        stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login_page.text)
        assert stylesheet, login_page.text[:2000]
        css = browser.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
        assert css.status == 200
        assert css.headers["Content-Encoding"] == "gzip"
        assert "immutable" in css.headers["Cache-Control"]

        browser.log_in("/crm/login/?next=/crm/", alice.username, PASSWORD)
        body = "<p>Hello {{ first_name }}</p><p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
        saved = browser.submit(
            "/crm/massmail/message/add/",
            {"name": "Smoke news", "subject": "News for {{ first_name }}", "body": body, "_save": "Save"},
        )
        assert saved.status == 200 and "/crm/massmail/message/" in saved.url, saved.text[:2000]
        message = Message.objects.get(owner=alice, name="Smoke news")
        created = browser.submit(
            "/crm/massmail/mailing/create/",
            {"message": str(message.pk), "name": "Smoke", "recipient_type": "contacts", "create": "1"},
        )
        mailing = Mailing.objects.get(owner=alice, name="Smoke")
        assert created.url.endswith(f"/crm/massmail/mailing/{mailing.pk}/change/"), created.text[:2000]
        assert mailing.recipients_count == 3

        # Beat plans every 5 s, the worker sends through alice's account into the sink.
        received = smtp_sink.wait_for(3, timeout=90)
        assert sorted(m.rcpt_tos[0] for m in received) == [
            "pat0@buyer.test",
            "pat1@buyer.test",
            "pat2@buyer.test",
        ]
        wait_until(
            lambda: MailingRecipient.objects.filter(mailing=mailing, status="sent").count() == 3,
            30,
            "3 sent rows",
        )

        # The recipient clicks the link in the mail: a confirmation page, then the POST.
        html = next(part for part in received[0].message.walk() if part.get_content_type() == "text/html")
        link = UNSUBSCRIBE_LINK.search(html.get_payload(decode=True).decode()).group(0)
        assert link.startswith(site + "/m/u/")
        assert "Stop sending newsletters" in HttpClient(site).get(link).text
        done = HttpClient(site).post(link, {})
        assert done.status == 200
        assert Suppression.objects.filter(email=received[0].rcpt_tos[0], reason="unsubscribed").exists()

        # Operators: health (beat ticked, nothing stuck) and the sends counted.
        wait_until(lambda: HttpClient(site).get("/healthz").status == 200, 30, "/healthz to be green")
        health = HttpClient(site).get("/healthz")
        assert '"status": "ok"' in health.text or '"status":"ok"' in health.text
        scraped = HttpClient(site).get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status == 200
        (tmp_path / "metrics.txt").write_text(scraped.text)  # kept with the logs, for a look
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(scraped.text)
            for s in family.samples
        }
        assert samples[("mailcrm_messages_sent_total", (("account", str(account.pk)),))] == 3
        assert samples[("mailcrm_recipients_pending", ())] == 0
        assert any(name.startswith("django_http_requests_latency_seconds") for name, _ in samples)
        # Every request this test made (16 before the scrape), whichever worker answered it.
        requests = sum(
            v for (name, _), v in samples.items() if name == "django_http_requests_total_by_method_total"
        )
        assert requests >= 16, requests
        assert HttpClient(site).get("/metrics").status == 403

    assert groups and not any(group_alive(pgid) for pgid in groups), "a process was left behind"
    # LOG_FORMAT=json reaches every process: the worker's batch line is a JSON object.
    worker_log = next(tmp_path.glob("worker-*.log")).read_text().splitlines()
    batch_lines = [json.loads(line) for line in worker_log if '"mailing_ids"' in line]
    assert batch_lines and batch_lines[0]["account_id"] == account.pk
