"""The expected finish of a mailing: accounts' limits over business hours and days off."""

import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from massmail.forecast import expected_finish
from massmail.models import MassmailSettings

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime.datetime(*args, tzinfo=BERLIN)


def business(**fields):
    # Mon-Thu 9:00-18:00 Berlin (Friday and the weekend off), as the defaults.
    cfg = MassmailSettings(
        pk=1, time_zone="Europe/Berlin", use_business_time=True, non_working_days=[4, 5, 6]
    )
    for name, value in fields.items():
        setattr(cfg, name, value)
    return cfg


def test_within_the_day_the_accounts_share_the_pace():
    # 2026-11-23 is a Monday: 90 a day over 9 hours is 10 an hour; 20 take two hours.
    assert expected_finish(business(), 20, [(60, 0), (30, 0)], berlin(2026, 11, 23, 9, 0)) == berlin(
        2026, 11, 23, 11, 0
    )


def test_before_business_hours_it_starts_at_nine():
    assert expected_finish(business(), 9, [(90, 0)], berlin(2026, 11, 23, 6, 0)) == berlin(
        2026, 11, 23, 9, 54
    )


def test_what_is_left_goes_on_the_next_working_day_after_days_off():
    # Thursday 17:00: one hour left (10 at 10/hour), Friday to Sunday are off: Monday 10:00.
    start = berlin(2026, 11, 26, 17, 0)
    assert expected_finish(business(), 20, [(90, 0)], start) == berlin(2026, 11, 30, 10, 0)


def test_the_quota_spent_today_is_not_counted_twice():
    # Monday 9:00, but the account has already sent its 90 today: the 9 go out on Tuesday.
    start = berlin(2026, 11, 23, 9, 0)
    assert expected_finish(business(), 9, [(90, 90)], start) == berlin(2026, 11, 24, 9, 54)


def test_without_business_time_every_hour_counts():
    cfg = business(use_business_time=False)
    assert expected_finish(cfg, 48, [(24 * 2, 0)], berlin(2026, 11, 28, 0, 0)) == berlin(2026, 11, 29, 0, 0)


def test_no_account_no_forecast_and_nothing_to_send_is_done_now():
    start = berlin(2026, 11, 23, 9, 0)
    assert expected_finish(business(), 5, [], start) is None
    assert expected_finish(business(), 5, [(0, 0)], start) is None
    assert expected_finish(business(), 0, [], start) == start


def test_now_is_the_default_start_of_the_review():
    with time_machine.travel(berlin(2026, 11, 24, 12, 0), tick=False):
        assert expected_finish(business(), 10, [(90, 0)], timezone.now()) == berlin(2026, 11, 24, 13, 0)


def test_the_demo_time_compression_quickens_the_pace_but_not_the_daily_quota(settings):
    settings.DEMO_TIME_COMPRESSION = 60  # 10 an hour becomes 10 a minute
    cfg = business()
    start = berlin(2026, 11, 23, 9, 0)
    assert expected_finish(cfg, 20, [(90, 0)], start) == berlin(2026, 11, 23, 9, 2)
    # 90 a day still: the next 10 wait for Tuesday's quota.
    assert expected_finish(cfg, 100, [(90, 0)], start) == berlin(2026, 11, 24, 9, 1)
