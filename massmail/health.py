"""What /healthz reports: can this installation serve pages and send mail right now?

Four checks, each a few milliseconds, so a load balancer may call it every second:
- database: one `SELECT 1`;
- broker: a Redis PING (and beat's tick read in the same round trip), short timeouts;
- beat: `massmail.tasks.plan_sends` ran within the last minute (beat plans every 5 s; the
  task records its tick in the broker's Redis, so a fresh tick means beat, the broker and
  at least one worker are alive);
- stuck sends: no recipient row `sending` longer than the janitor's limit (plus its period),
  i.e. `release_stuck_sends` runs (one indexed EXISTS, `recipient_sending_idx`).
"""

import datetime
import functools
import time
from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from massmail.models import MailingRecipient
from massmail.sending import SENDING_TIMEOUT

BEAT_TICK_KEY = "mailcrm:beat:plan_sends"
BEAT_MAX_AGE_SECONDS = 60
# The janitor runs every minute: a row may be this much older than its limit before it acts.
JANITOR_GRACE = datetime.timedelta(minutes=2)
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass
class Check:
    ok: bool
    detail: str


@functools.cache
def broker_redis(url):
    """One client (and connection pool) per broker URL for the life of the process."""
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


def record_beat_tick(now=None):
    """Called by each plan tick: the time it ran, kept a little longer than it is looked at."""
    client = broker_redis(settings.CELERY_BROKER_URL)
    client.set(BEAT_TICK_KEY, repr(now if now is not None else time.time()), ex=10 * BEAT_MAX_AGE_SECONDS)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check(False, f"{type(exc).__name__}: {exc}"[:200])
    return Check(True, "SELECT 1 answered")


def check_broker_and_beat(now=None) -> tuple[Check, Check]:
    """PING and the beat tick's GET in one round trip to the broker's Redis."""
    try:
        _, tick = broker_redis(settings.CELERY_BROKER_URL).pipeline().ping().get(BEAT_TICK_KEY).execute()
    except Exception as exc:  # noqa: BLE001
        failed = f"{type(exc).__name__}: {exc}"[:200]
        return Check(False, failed), Check(False, "unknown: the broker did not answer")
    broker = Check(True, "PING answered")
    if tick is None:
        return broker, Check(False, "no plan tick recorded: is celery beat running, and a worker?")
    age = (now if now is not None else time.time()) - float(tick)
    if age > BEAT_MAX_AGE_SECONDS:
        return broker, Check(False, f"last plan tick {age:.0f} s ago (limit {BEAT_MAX_AGE_SECONDS} s)")
    return broker, Check(True, f"last plan tick {max(age, 0):.0f} s ago")


def check_stuck_sends(now=None) -> Check:
    limit = SENDING_TIMEOUT + JANITOR_GRACE
    since = (now or timezone.now()) - limit
    try:
        stuck = MailingRecipient.objects.filter(
            status=MailingRecipient.Status.SENDING, claimed_at__lt=since
        ).exists()
    except Exception as exc:  # noqa: BLE001
        return Check(False, f"{type(exc).__name__}: {exc}"[:200])
    if stuck:
        return Check(False, f"rows `sending` for over {limit}: is release_stuck_sends running?")
    return Check(True, f"no row `sending` for over {limit}")


def run_checks() -> tuple[bool, dict]:
    """(healthy, {check name: {"ok": …, "detail": …}})."""
    broker, beat = check_broker_and_beat()
    checks = {
        "database": check_database(),
        "broker": broker,
        "beat": beat,
        "stuck_sends": check_stuck_sends(),
    }
    return all(c.ok for c in checks.values()), {name: asdict(c) for name, c in checks.items()}
