"""The drip plan: business time, pacing, and which accounts are due to send.

Everything here is plain Python over the ORM (no Celery): `massmail.tasks` and the
`send_due` command call it. Times are aware datetimes; the calendar (working days, hours,
"today" of the daily counters) is the one of `MassmailSettings.time_zone`.
"""

import datetime
import logging
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from mailaccounts.accounts import counter_zone, local_today
from mailaccounts.models import AccountGrant, EmailAccount
from massmail.models import RUNNING, Mailing, MailingRecipient, MassmailSettings

log = logging.getLogger(__name__)

# Beat runs the plan this often; a batch carries what the pace allows in one tick.
PLAN_EVERY_SECONDS = 5
# No batch is larger than this, whatever the pace: it bounds the time a batch holds its rows.
MAX_BATCH = 100
# Jitter around the pacing interval, so accounts do not send in lock step.
JITTER = 0.1

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)


def zone(cfg: MassmailSettings) -> ZoneInfo:
    return counter_zone(cfg.time_zone)


def is_working_day(cfg: MassmailSettings, day: datetime.date) -> bool:
    if not cfg.use_business_time:
        return True
    return day.weekday() not in set(cfg.non_working_days or [])


def sending_window(
    cfg: MassmailSettings, day: datetime.date
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The UTC bounds [start, end) of a local day's sending window, or None on a day off.

    With business time off the window is the whole local day (23 or 25 hours on a
    daylight-saving change). A business end not after its start gives no window.
    """
    tz = zone(cfg)
    if not is_working_day(cfg, day):
        return None
    if cfg.use_business_time:
        start = datetime.datetime.combine(day, cfg.business_start, tzinfo=tz)
        end = datetime.datetime.combine(day, cfg.business_end, tzinfo=tz)
    else:
        start = datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)
        end = datetime.datetime.combine(day + DAY, datetime.time(0), tzinfo=tz)
    # Aware datetimes of one tzinfo subtract as wall-clock times: convert to UTC first.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return (start, end) if end > start else None


def window_seconds(cfg: MassmailSettings, day: datetime.date) -> float:
    window = sending_window(cfg, day)
    return (window[1] - window[0]).total_seconds() if window else 0.0


def is_sending_time(cfg: MassmailSettings, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    window = sending_window(cfg, local_today(now, cfg.time_zone))
    return window is not None and window[0] <= now < window[1]


def next_window_start(
    cfg: MassmailSettings, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When sending may next happen: `now` inside a window, else the next window's start."""
    now = now or timezone.now()
    day = local_today(now, cfg.time_zone)
    for offset in range(8):
        window = sending_window(cfg, day + offset * DAY)
        if window and now < window[1]:
            return max(now, window[0])
    return None  # every weekday is off


def send_interval(cfg: MassmailSettings, daily_limit: int, day: datetime.date) -> float:
    """Seconds between two messages of an account: its day's window over its daily limit.

    `DEMO_TIME_COMPRESSION` (a setting of the demo, 1 in production) divides it.
    """
    if daily_limit <= 0:
        return math.inf
    seconds = window_seconds(cfg, day) or 86400.0
    return seconds / daily_limit / max(settings.DEMO_TIME_COMPRESSION, 1)


def batch_size(interval: float, tick: float = PLAN_EVERY_SECONDS, cap: int = MAX_BATCH) -> int:
    """Messages one batch may send so that one batch per tick keeps the pace, never a catch-up."""
    if not math.isfinite(interval):
        return 0
    if interval <= 0:
        return cap
    return max(1, min(cap, math.floor(tick / interval)))


def jittered(seconds: float, rng: random.Random | None = None) -> float:
    return seconds * (rng or random).uniform(1 - JITTER, 1 + JITTER)


# --- the plan -----------------------------------------------------------------------------


def pending_rows(now: datetime.datetime, **extra):
    """Pending rows of the outer Mailing that the account two levels out could send now.

    Probed per mailing through the partial pending indexes: it stops at the first row.
    """
    return MailingRecipient.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(account_id__isnull=True) | Q(account_id=OuterRef(OuterRef("pk"))),
        mailing_id=OuterRef("pk"),
        status=MailingRecipient.Status.PENDING,
        **extra,
    )


def running_mailings_with_pending(now: datetime.datetime, *, granted: bool, **extra):
    """Running mailings, with rows to send now, of the outer account's owner (or, `granted`,
    of the users holding a send grant on it): an EXISTS body driven by the few running
    mailings, never by a scan of the recipients."""
    if granted:
        grantees = AccountGrant.objects.sending().filter(account_id=OuterRef(OuterRef("pk")))
        owners = Q(owner_id__in=grantees.values("user_id"))
    else:
        owners = Q(owner_id=OuterRef("owner_id"))
    return Mailing.objects.filter(owners, Exists(pending_rows(now, **extra)), status__in=RUNNING)


def under_daily_limit(today: datetime.date) -> Q:
    """The account row has quota left today (a counter of another day counts as zero)."""
    return Q(sent_today_date__isnull=True) | ~Q(sent_today_date=today) | Q(sent_today__lt=F("daily_limit"))


def due_accounts_queryset(now: datetime.datetime, today: datetime.date):
    def has(**options):
        return Exists(running_mailings_with_pending(now, **options))

    return EmailAccount.objects.filter(
        Q(next_send_at__isnull=True) | Q(next_send_at__lte=now),
        under_daily_limit(today),
        # A main account sends to VIPs only; its EXISTS uses the VIP partial index.
        Q(is_main=False) & (has(granted=False) | has(granted=True))
        | Q(is_main=True) & (has(granted=False, is_vip=True) | has(granted=True, is_vip=True)),
        is_active=True,
        massmail=True,
        daily_limit__gt=0,
    )


@dataclass(frozen=True)
class DueAccount:
    account_id: int
    batch: int


def due_accounts(
    now: datetime.datetime | None = None, cfg: MassmailSettings | None = None
) -> list[DueAccount]:
    """The accounts due to send now, each with its batch size: one query (none outside business time).

    Its cost depends on the number of accounts and active mailings, not on recipients:
    each EXISTS stops at the first pending row, found through the partial pending indexes.
    """
    now = now or timezone.now()
    cfg = cfg or MassmailSettings.load()
    if not is_sending_time(cfg, now):
        return []
    today = local_today(now, cfg.time_zone)
    rows = due_accounts_queryset(now, today).values_list("pk", "daily_limit", "sent_today", "sent_today_date")
    due = []
    for pk, limit, sent, sent_date in rows:
        left = limit - (sent if sent_date == today else 0)
        batch = min(batch_size(send_interval(cfg, limit, today)), left)
        if batch > 0:
            due.append(DueAccount(pk, batch))
    return due
