"""/metrics: who may read it, and the mail figures it reads from the database."""

import datetime

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from mailaccounts.models import EmailAccount
from massmail.models import Bounce, MailingRecipient, Suppression
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing

TOKEN = "s3cret-scrape-token"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def samples(response):
    """{(name, frozenset(labels)): value} of an exposition."""
    text = response.content.decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_do_not_exist_until_configured(client, settings, db):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, token, db):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403  # no scheme
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_metrics_are_readable_from_an_allowed_network_only(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "192.168.1.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.168.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    # A forwarded-for header names no client we trust.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403


def test_the_mail_figures_come_from_the_rows(client, token, alice, smtp_sink):
    drip_settings()
    one = make_account(alice, smtp_sink, "one", do_import=True)
    two = make_account(alice, smtp_sink, "two", needs_reconnect=True)
    mailing = make_mailing(alice, 10)
    rows = list(mailing.recipients.order_by("pk"))

    def set_rows(indexes, **fields):
        MailingRecipient.objects.filter(pk__in=[rows[i].pk for i in indexes]).update(**fields)

    set_rows([0, 1, 2], status="sent", account=one)
    set_rows([3], status="sent", account=two)
    set_rows([4], status="failed", account=one, last_error="550 5.7.1 Relaying denied")
    set_rows([5], status="failed", account=one, last_error="Bounced (hard: User unknown): 5.1.1 No such user")
    set_rows([6], status="failed", account=two, last_error="Bounced (soft: Mailbox full): 4.2.2 Mailbox full")
    Bounce.objects.create(email=rows[5].email, reason="user_unknown", hard=True, recipient=rows[5])
    Bounce.objects.create(email=rows[6].email, reason="mailbox_full", hard=False, recipient=rows[6])
    set_rows([7], status="failed", account=two, last_error="Gave up after 5 tries: 451 Try later")
    set_rows([8], status="uncertain", account=one)
    Suppression.suppress("angry@rcpt.test", Suppression.Reason.COMPLAINED)
    Suppression.suppress("gone@rcpt.test", Suppression.Reason.BOUNCED)
    EmailAccount.objects.filter(pk=one.pk).update(last_sync_at=timezone.now() - datetime.timedelta(minutes=3))

    figures = samples(client.get("/metrics", **AUTH))

    def value(name, **labels):
        return figures[(name, frozenset(labels.items()))]

    assert value("mailcrm_messages_sent_total", account=str(one.pk)) == 3
    assert value("mailcrm_messages_sent_total", account=str(two.pk)) == 1
    assert value("mailcrm_messages_failed_total", account=str(one.pk), reason="refused") == 1
    assert value("mailcrm_messages_failed_total", account=str(one.pk), reason="bounce") == 1
    assert value("mailcrm_messages_failed_total", account=str(two.pk), reason="bounce") == 1
    assert value("mailcrm_messages_failed_total", account=str(two.pk), reason="gave_up") == 1
    assert value("mailcrm_recipients_pending") == 1
    assert value("mailcrm_recipients_uncertain") == 1
    assert value("mailcrm_accounts_needing_reconnect") == 1
    assert 180 <= value("mailcrm_imap_sync_lag_seconds", account=str(one.pk)) < 240
    assert ("mailcrm_imap_sync_lag_seconds", frozenset({("account", str(two.pk))})) not in figures
    assert value("mailcrm_bounces_total", kind="hard") == 1
    assert value("mailcrm_bounces_total", kind="soft") == 1
    assert value("mailcrm_complaints_total", kind="abuse") == 1


def test_request_latency_is_exported(client, token, db):
    client.get("/healthz")
    names = {
        family.name
        for family in text_string_to_metric_families(client.get("/metrics", **AUTH).content.decode())
    }
    assert "django_http_requests_latency_seconds_by_view_method" in names


def test_one_query_per_family(client, token, alice, django_assert_num_queries):
    drip_settings()
    make_account(alice, None, "one", do_import=True)
    make_mailing(alice, 5)
    with django_assert_num_queries(8):  # 8 families, whatever the number of rows or accounts
        assert client.get("/metrics", **AUTH).status_code == 200
