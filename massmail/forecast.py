"""When a mailing is expected to finish: the drip's pace over the business calendar.

Each account sends its daily limit spread evenly over a day's sending window
(`massmail.scheduling.send_interval`), so together the accounts send `sum(limits)` a working
day, at `sum(limits) / window` a second inside the window. The first day counts only what
is left of its window and of each account's quota.
"""

import datetime

from django.conf import settings

from mailaccounts.accounts import local_today
from massmail.scheduling import DAY, sending_window

# A forecast further out than this is no forecast (e.g. a limit of one message a day).
HORIZON_DAYS = 3660


def expected_finish(cfg, to_send, accounts, start):
    """The time the last of `to_send` messages goes out, or None when it never will.

    `accounts` is a list of (daily_limit, sent_today) of the accounts that carry the mailing;
    `start` an aware datetime (now, or a scheduled start).
    """
    if to_send <= 0:
        return start
    per_day = sum(limit for limit, _ in accounts if limit > 0)
    if per_day <= 0:
        return None
    first_day = local_today(start, cfg.time_zone)
    quota_left = sum(max(limit - sent, 0) for limit, sent in accounts if limit > 0)
    left = to_send
    for offset in range(HORIZON_DAYS):
        window = sending_window(cfg, first_day + offset * DAY)
        if window is None or start >= window[1]:
            continue
        begin = max(start, window[0])
        seconds = (window[1] - window[0]).total_seconds()
        # DEMO_TIME_COMPRESSION (a setting of the demo, 1 in production) quickens the pace,
        # not the quota.
        rate = per_day / seconds * max(settings.DEMO_TIME_COMPRESSION, 1)
        capacity = min(int(rate * (window[1] - begin).total_seconds()), per_day)
        if offset == 0:
            capacity = min(capacity, quota_left)
        if left <= capacity:
            return begin + datetime.timedelta(seconds=left / rate)
        left -= capacity
    return None
