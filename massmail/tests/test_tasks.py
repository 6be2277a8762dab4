import pytest

from config.celery import app
from massmail import tasks
from massmail.models import MailingRecipient
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_plan_tick_enqueues_one_batch_per_due_account(eager, alice, bob, smtp_sink):
    drip_settings(time_compression=10**6)
    make_account(alice, smtp_sink, "a1")
    make_account(bob, smtp_sink, "b1")
    make_account(bob, smtp_sink, "idle", massmail=False)
    make_mailing(alice, 3)
    make_mailing(bob, 2)
    assert tasks.plan_sends() == 2
    assert MailingRecipient.objects.filter(status="sent").count() == 5
    assert len(smtp_sink.messages) == 5


def test_the_janitor_and_the_counter_reset_run_as_tasks(alice, smtp_sink):
    drip_settings()
    make_account(alice, smtp_sink, "a1", sent_today=7, sent_today_date="2020-01-01")
    assert tasks.release_stuck_sends() == {"uncertain": 0, "done": 0, "interrupted": 0}
    assert tasks.reset_daily_counters() == 1
    assert tasks.reset_daily_counters() == 0
