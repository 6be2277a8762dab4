import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailaccounts.accounts import local_today
from mailaccounts.models import Access
from massmail.models import MassmailSettings
from massmail.scheduling import (
    batch_size,
    due_accounts,
    is_sending_time,
    next_window_start,
    send_interval,
    sending_window,
    window_seconds,
)
from massmail.tests.drip_helpers import drip_settings, make_account, make_mailing

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime.datetime(*args, tzinfo=BERLIN)


def settings_(**fields):
    cfg = MassmailSettings(pk=1, time_zone="Europe/Berlin")
    for name, value in fields.items():
        setattr(cfg, name, value)
    return cfg


def test_a_monday_sends_between_nine_and_six_local_time():
    cfg = settings_()
    assert not is_sending_time(cfg, berlin(2026, 11, 23, 8, 59))
    assert is_sending_time(cfg, berlin(2026, 11, 23, 9, 0))
    assert is_sending_time(cfg, berlin(2026, 11, 23, 17, 59))
    assert not is_sending_time(cfg, berlin(2026, 11, 23, 18, 0))
    assert window_seconds(cfg, datetime.date(2026, 11, 23)) == 9 * 3600


def test_friday_and_the_weekend_are_days_off_by_default():
    cfg = settings_()
    for day in (27, 28, 29):
        assert not is_sending_time(cfg, berlin(2026, 11, day, 12, 0))
        assert sending_window(cfg, datetime.date(2026, 11, day)) is None
    assert next_window_start(cfg, berlin(2026, 11, 27, 12, 0)) == berlin(2026, 11, 30, 9, 0)


def test_business_time_off_sends_every_hour_of_every_day():
    cfg = settings_(use_business_time=False)
    assert is_sending_time(cfg, berlin(2026, 11, 28, 3, 0))
    assert window_seconds(cfg, datetime.date(2026, 11, 28)) == 86400


def test_daylight_saving_days_have_the_right_length_and_local_hours():
    cfg = settings_(use_business_time=False)
    assert window_seconds(cfg, datetime.date(2026, 3, 29)) == 23 * 3600
    assert window_seconds(cfg, datetime.date(2026, 10, 25)) == 25 * 3600
    # Business hours stay 9 to 18 local time on both sides of the change.
    cfg = settings_(non_working_days=[5])  # Sunday and Friday are working days here
    start, end = sending_window(cfg, datetime.date(2026, 3, 29))
    assert start == datetime.datetime(2026, 3, 29, 7, 0, tzinfo=datetime.UTC)  # 09:00 CEST
    assert end - start == datetime.timedelta(hours=9)
    start, _ = sending_window(cfg, datetime.date(2026, 3, 27))
    assert start == datetime.datetime(2026, 3, 27, 8, 0, tzinfo=datetime.UTC)  # 09:00 CET


def test_the_counters_day_is_the_settings_day():
    cfg = settings_()
    # 23:30 UTC on Sunday is already Monday in Berlin.
    sunday_night = datetime.datetime(2026, 11, 22, 23, 30, tzinfo=datetime.UTC)
    assert local_today(sunday_night, cfg.time_zone) == datetime.date(2026, 11, 23)


@pytest.mark.django_db
def test_one_today_for_counters_pacing_and_pages_reads_the_saved_time_zone():
    # mailaccounts knows no MassmailSettings: massmail registers where the zone is read.
    MassmailSettings.objects.create(time_zone="Europe/Berlin")
    sunday_night = datetime.datetime(2026, 11, 22, 23, 30, tzinfo=datetime.UTC)
    assert local_today(sunday_night) == datetime.date(2026, 11, 23)


def test_pace_is_the_window_over_the_daily_limit():
    cfg = settings_()
    monday = datetime.date(2026, 11, 23)
    assert send_interval(cfg, 90, monday) == 9 * 3600 / 90
    django_settings.DEMO_TIME_COMPRESSION = 60
    assert send_interval(cfg, 90, monday) == 9 * 3600 / 90 / 60
    assert batch_size(360.0) == 1  # slower than a tick: one message per batch
    assert batch_size(0.5) == 10  # a tick of 5 s carries 10 messages
    assert batch_size(0.0001) == 100  # capped


# --- the plan query -----------------------------------------------------------------------------


@pytest.fixture
def sales(alice, smtp_sink):
    drip_settings()
    return alice


def test_an_account_with_pending_recipients_is_due(sales, smtp_sink):
    account = make_account(sales, smtp_sink, "a1", daily_limit=100)
    make_mailing(sales, 3)
    assert [d.account_id for d in due_accounts()] == [account.pk]


def test_nothing_is_due_outside_business_time_and_no_query_is_made(sales, smtp_sink):
    drip_settings(use_business_time=True, time_zone="Europe/Berlin")
    make_account(sales, smtp_sink, "a1")
    make_mailing(sales, 3)
    with time_machine.travel(berlin(2026, 11, 23, 20, 0)), CaptureQueriesContext(connection) as queries:
        assert due_accounts(cfg=MassmailSettings.load()) == []
    assert len(queries) == 1  # loading the settings only


def test_paced_spent_inactive_and_idle_accounts_are_not_due(sales, bob, smtp_sink):
    now = datetime.datetime.now(datetime.UTC)
    make_account(sales, smtp_sink, "paced", next_send_at=now + datetime.timedelta(minutes=5))
    make_account(sales, smtp_sink, "spent", daily_limit=5, sent_today=5, sent_today_date=now.date())
    make_account(sales, smtp_sink, "off", is_active=False)
    make_account(sales, smtp_sink, "nomass", massmail=False)
    make_account(bob, smtp_sink, "bobs")  # bob has nothing to send
    yesterday = make_account(
        sales,
        smtp_sink,
        "yesterday",
        daily_limit=5,
        sent_today=5,
        sent_today_date=now.date() - datetime.timedelta(days=1),
    )
    make_mailing(sales, 3)
    assert [d.account_id for d in due_accounts()] == [yesterday.pk]


def test_main_accounts_are_due_only_for_vip_recipients(sales, bob, smtp_sink):
    main = make_account(sales, smtp_sink, "main", is_main=True)
    make_mailing(sales, 3, vip=0)
    assert due_accounts() == []
    make_mailing(bob, 3, vip=1)
    make_account(bob, smtp_sink, "bobmain", is_main=True)
    assert [d.account_id for d in due_accounts()] != [main.pk]
    assert len(due_accounts()) == 1


def test_shared_accounts_serve_users_with_send_access_only(sales, bob, carol, smtp_sink):
    shared = make_account(None, smtp_sink, "shared", shared_with=[(bob, Access.SEND), (carol, Access.READ)])
    make_mailing(carol, 2)
    assert due_accounts() == []
    make_mailing(bob, 2)
    assert [d.account_id for d in due_accounts()] == [shared.pk]


def test_the_plan_is_one_query_whatever_the_audience(sales, smtp_sink):
    make_account(sales, smtp_sink, "a1")
    make_mailing(sales, 5)
    cfg = MassmailSettings.load()
    with CaptureQueriesContext(connection) as small:
        due_accounts(cfg=cfg)
    make_mailing(sales, 300, prefix="more")
    with CaptureQueriesContext(connection) as large:
        due_accounts(cfg=cfg)
    assert len(small) == len(large) == 1


def test_the_batch_follows_the_pace_and_the_quota_left(sales, smtp_sink):
    drip_settings(time_compression=100)  # 86400 / 1000 / 100 = 0.864 s -> 5 per tick
    make_account(sales, smtp_sink, "fast", daily_limit=1000)
    make_account(
        sales, smtp_sink, "almost", daily_limit=1000, sent_today=998, sent_today_date=datetime.date.today()
    )
    make_mailing(sales, 3)
    assert sorted(d.batch for d in due_accounts()) == [2, 5]
