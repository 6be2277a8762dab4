"""What happens to an account when something goes wrong, and the notes its owner sees."""

import datetime
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from mailaccounts.models import AccountNotification, EmailAccount

log = logging.getLogger(__name__)

TEXT_MAX = AccountNotification._meta.get_field("text").max_length


def notify_account(account, text, level=AccountNotification.Level.INFO):
    """Append a note to the account's notifications (shown on the accounts page)."""
    return AccountNotification.objects.create(account=account, level=level, text=text[:TEXT_MAX])


def record_error(account, message):
    """Keep the last error on the account without changing whether it is active."""
    now = timezone.now()
    EmailAccount.objects.filter(pk=account.pk).update(last_error=message, last_error_at=now)
    account.last_error, account.last_error_at = message, now


def record_auth_failure(account, message):
    """The server refused the account's login: stop using it until someone re-connects it.

    Called by the drip sender and the IMAP sync; many workers may call it at once, so only the
    one that flips the account to needs_reconnect writes the notification.
    """
    now = timezone.now()
    flipped = EmailAccount.objects.filter(pk=account.pk, needs_reconnect=False).update(
        is_active=False, needs_reconnect=True, last_error=message, last_error_at=now
    )
    if not flipped:
        EmailAccount.objects.filter(pk=account.pk).update(
            is_active=False, last_error=message, last_error_at=now
        )
    account.is_active, account.needs_reconnect = False, True
    account.last_error, account.last_error_at = message, now
    if flipped:
        notify_account(account, f"Re-connect needed: {message}", level=AccountNotification.Level.ERROR)


def mark_reconnected(account):
    """A connection test passed: clear the error, and re-activate an account that needed it
    (one switched off by hand stays off)."""
    was_broken = account.needs_reconnect
    fields = {"last_error": "", "last_error_at": None, "needs_reconnect": False}
    if was_broken:
        fields["is_active"] = True
    EmailAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    if was_broken:
        notify_account(account, "Re-connected: the account is active again.")


def save_account(account):
    """Save an account edited in a form; ticking "default" moves the owner's default here."""
    with transaction.atomic():
        if account.is_default and account.owner_id:
            EmailAccount.objects.filter(owner_id=account.owner_id, is_default=True).exclude(
                pk=account.pk
            ).update(is_default=False)
        account.save()


# --- the day of the daily counters --------------------------------------------------------------

# The accounts' day counters and the drip's pacing run in one time zone, the one the drip's
# settings name: massmail registers where it is read (MassmailConfig.ready). Without it, UTC.
_time_zone_source = [lambda: "UTC"]


def set_time_zone_source(source):
    """`source()` returns the IANA name of the counters' time zone."""
    _time_zone_source[0] = source


def counter_zone(name=None) -> ZoneInfo:
    name = name if name is not None else _time_zone_source[0]()
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r is not an IANA zone; using UTC", name)
        return ZoneInfo("UTC")


def local_today(now: datetime.datetime | None = None, time_zone: str | None = None) -> datetime.date:
    """The calendar day of the daily counters and of pacing ("today"), in their time zone."""
    return (now or timezone.now()).astimezone(counter_zone(time_zone)).date()


def start_of_today(time_zone: str | None = None) -> datetime.datetime:
    zone = counter_zone(time_zone)
    return datetime.datetime.combine(timezone.now().astimezone(zone).date(), datetime.time(), tzinfo=zone)


def count_sent(account_id, now=None):
    """A message the account sent outside the drip (one-to-one mail) uses its day too.

    The daily limit is the mailbox's: the drip leaves room for what people send by hand. One
    UPDATE, so it adds up with a batch's reservation on the same row whatever the order.
    """
    now = now or timezone.now()
    today = local_today(now)
    EmailAccount.objects.filter(pk=account_id).update(
        sent_today=Case(When(sent_today_date=today, then=F("sent_today") + 1), default=Value(1)),
        sent_today_date=today,
        last_sent_at=now,
    )
