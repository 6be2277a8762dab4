"""Real Celery workers on Redis against the test database: no duplicate, no limit exceeded,
and a worker killed mid-batch loses exactly one row (`uncertain`), never sends one twice.

The workers are separate processes, so the rows they read must be committed: these tests use
a transactional database. Each test has its own queue; each xdist worker its own Redis DB.
"""

import contextlib
import datetime
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db.models import F

from mailaccounts.models import Access, EmailAccount
from massmail.models import MailingRecipient
from massmail.scheduling import due_accounts
from massmail.sending import mark_stuck_uncertain
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing
from testsupport.processes import process_group

pytestmark = pytest.mark.django_db(transaction=True)
Status = MailingRecipient.Status
ROOT = Path(__file__).resolve().parents[2]
# Two Redis DBs from TEST_REDIS_DB (default 8): one per xdist worker, so runs side by side
# (two checkouts on one machine) can each be given their own pair.
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "8")) + (os.environ.get("PYTEST_XDIST_WORKER") == "gw1")
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"


def database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def queue():
    name = f"drip-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(BROKER).flushdb()  # this xdist worker's own DB: leftovers of killed workers


@contextlib.contextmanager
def celery_worker(queue, tmp_path, concurrency=2, env=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The test's pace (a setting of the demo) reaches the worker through its environment.
        "DEMO_TIME_COMPRESSION": str(settings.DEMO_TIME_COMPRESSION),
        **(env or {}),
    }
    with process_group(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", f"-c{concurrency}"]
        + ["-Q", queue, "-n", f"{queue}-{uuid.uuid4().hex[:4]}@%h", "-l", "info"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        log_path=tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log",
    ) as process:
        yield process


@contextlib.contextmanager
def producer(queue):
    app = Celery(broker=BROKER)
    try:
        yield lambda account_id, n: app.send_task(
            "massmail.tasks.send_batch", args=(account_id, n), queue=queue
        )
    finally:
        app.close()


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def test_two_workers_share_accounts_without_duplicates_or_exceeding_limits(alice, smtp_sink, queue, tmp_path):
    # 15 a day per account, paced 10 ms apart: three accounts can send 45 of the 60.
    drip_settings(time_compression=576_000)
    accounts = [
        make_account(None, smtp_sink, f"shared{i}", daily_limit=15, shared_with=[(alice, Access.SEND)])
        for i in range(3)
    ]
    mailing = make_mailing(alice, 60)

    def spent():
        return sum(
            EmailAccount.objects.filter(pk__in=[a.pk for a in accounts]).values_list("sent_today", flat=True)
        )

    with celery_worker(queue, tmp_path, concurrency=2), producer(queue) as send_batch:
        deadline = time.monotonic() + 60
        while not (spent() >= 45 and not MailingRecipient.objects.filter(status=Status.SENDING).exists()):
            assert time.monotonic() < deadline, "the workers did not send 45 messages within 60 s"
            for item in due_accounts():
                for _ in range(2):  # two tasks for one account at once: the workers race
                    send_batch(item.account_id, 5)
            time.sleep(0.1)
        smtp_sink.wait_for(45, timeout=10)

    received = smtp_sink.messages
    addresses = [m.rcpt_tos[0] for m in received]
    assert len(addresses) == len(set(addresses)) == 45
    per_account = Counter(m.mail_from for m in received)
    assert set(per_account.values()) == {15}, per_account
    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert rows.filter(status=Status.SENT).count() == 45
    assert rows.filter(status=Status.PENDING).count() == 15
    assert set(EmailAccount.objects.values_list("sent_today", flat=True)) == {15}


def test_a_worker_killed_mid_batch_loses_one_row_and_sends_nothing_twice(alice, smtp_sink, queue, tmp_path):
    drip_settings(time_compression=10**6)
    account = make_account(alice, smtp_sink, "a1", daily_limit=1000)
    mailing = make_mailing(alice, 10)
    blocked, release = threading.Event(), threading.Event()

    def hang_on_the_fifth(stage, address, envelope):
        if stage == "rcpt" and address == "alice4@rcpt.test":
            blocked.set()
            release.wait(30)  # until the worker is dead
        return None

    smtp_sink.hook = hang_on_the_fifth
    try:
        with celery_worker(queue, tmp_path, concurrency=1) as worker, producer(queue) as send_batch:
            send_batch(account.pk, 10)
            assert blocked.wait(40), "the worker never reached the fifth recipient"
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    finally:
        release.set()
    smtp_sink.hook = None
    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert dict(Counter(rows.values_list("status", flat=True))) == {"sent": 4, "sending": 1, "pending": 5}

    # Ten minutes later: the janitor marks the lost row, the dead batch's lease has ended.
    rows.exclude(claimed_at=None).update(claimed_at=F("claimed_at") - datetime.timedelta(minutes=11))
    assert mark_stuck_uncertain() == 1
    with celery_worker(queue, tmp_path, concurrency=1), producer(queue) as send_batch:
        EmailAccount.objects.filter(pk=account.pk).update(next_send_at=None)
        send_batch(account.pk, 10)
        wait_until(lambda: not rows.filter(status=Status.PENDING).exists(), 40, "the rest to be sent")

    assert rows.get(email="alice4@rcpt.test").status == Status.UNCERTAIN
    assert rows.filter(status=Status.SENT).count() == 9
    addresses = [m.rcpt_tos[0] for m in smtp_sink.messages]
    assert len(addresses) == len(set(addresses)) == 9
    assert "alice4@rcpt.test" not in addresses
