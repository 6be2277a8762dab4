"""/healthz: the database, the broker, beat's last plan tick and stuck sends, as JSON."""

import datetime
import os
import time

import pytest
import redis
from django.utils import timezone

from massmail import health, tasks
from massmail.models import MailingRecipient
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing

# This xdist worker's own Redis DB (as massmail/tests/test_tasks_workers.py chooses it).
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "8")) + (os.environ.get("PYTEST_XDIST_WORKER") == "gw1")
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.fixture
def broker(settings):
    settings.CELERY_BROKER_URL = BROKER
    client = redis.Redis.from_url(BROKER)
    client.delete(health.BEAT_TICK_KEY)
    yield client
    client.delete(health.BEAT_TICK_KEY)


def test_healthy_when_every_check_passes(client, broker, db):
    health.record_beat_tick()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "beat", "stuck_sends"}
    assert all(check["ok"] for check in body["checks"].values()), body


def test_beat_that_never_ticked_is_unhealthy(client, broker, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["beat"]["ok"] is False
    assert "no plan tick" in checks["beat"]["detail"]
    assert checks["broker"]["ok"] and checks["database"]["ok"]


def test_a_plan_tick_older_than_a_minute_is_unhealthy(client, broker, db):
    health.record_beat_tick(now=time.time() - 61)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "61 s ago" in response.json()["checks"]["beat"]["detail"]


def test_the_plan_task_records_its_tick(broker, db):
    drip_settings()
    tasks.plan_sends()
    _, beat = health.check_broker_and_beat()
    assert beat.ok, beat.detail


def test_a_broker_that_does_not_answer_is_unhealthy(client, settings, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["beat"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_a_row_sending_past_the_janitors_limit_is_unhealthy(client, broker, alice, smtp_sink):
    health.record_beat_tick()
    drip_settings()
    account = make_account(alice, smtp_sink, "a1")
    row = make_mailing(alice, 1).recipients.get()
    sending = MailingRecipient.objects.filter(pk=row.pk)
    limit = health.SENDING_TIMEOUT + health.JANITOR_GRACE

    sending.update(
        status="sending", account=account, claimed_at=timezone.now() - limit + datetime.timedelta(seconds=30)
    )
    assert client.get("/healthz").status_code == 200  # the janitor still has time

    sending.update(claimed_at=timezone.now() - limit - datetime.timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["stuck_sends"]["ok"] is False


def test_health_is_public_and_read_only(client, broker, db):
    health.record_beat_tick()
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_a_probe_over_plain_http_is_answered_while_pages_redirect_to_https(client, broker, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    health.record_beat_tick()
    assert client.get("/healthz").status_code == 200
    assert client.get("/crm/login/").status_code == 301
