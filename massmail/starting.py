"""The two steps of a new mailing: the review before it exists, then its start, now or later.

`review` builds the mailing exactly as `create_mailing` would (same INSERT … SELECT, same
skips) inside a transaction it rolls back, so the figures shown are the ones the mailing
will have. A mailing started later is `scheduled`: the planner and the sender take only
running mailings, so it sends nothing until `start_due_mailings` (each plan tick, one UPDATE
over the few scheduled mailings) makes it active at its `start_at`.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from mailaccounts.accounts import local_today
from massmail import forecast, previews
from massmail.mailings import create_mailing, measure_audience, notify_mailing, recipient_types, recount
from massmail.models import Mailing, MailingRecipient, MassmailSettings
from massmail.scheduling import zone
from massmail.sending import usable_accounts_for

Status = MailingRecipient.Status
CANCELLED = "mailing cancelled before it started"


@dataclass
class AccountLine:
    email: str
    daily_limit: int
    sent_today: int
    is_main: bool
    usable: bool


@dataclass
class Review:
    recipients: int = 0  # rows the mailing will have
    to_send: int = 0
    skips: list = field(default_factory=list)  # [(reason, count)]
    not_allowed: int = 0  # matching records not assigned to the owner
    duplicates: int = 0  # records left out because another has the same address
    accounts: list = field(default_factory=list)  # [AccountLine]
    finish: datetime.datetime | None = None
    preview: previews.Preview | None = None


class _Undo(Exception):
    pass


def carrying_accounts(owner, cfg):
    """The mailing accounts that would carry the owner's mailing, with their limits (one query);
    `cfg` is the MassmailSettings whose day the counters are read in."""
    today = local_today(time_zone=cfg.time_zone)
    return [
        AccountLine(a.email, a.daily_limit, a.sent_on(today), a.is_main, not a.needs_reconnect)
        for a in usable_accounts_for(owner.pk).distinct().order_by("email")
    ]


def review(owner, message, recipients, start=None):
    """What creating this mailing would give, without creating it. Raises ValueError as
    `create_mailing` does (nothing to mail, not the owner's message, wrong type)."""
    result = Review()
    try:
        with transaction.atomic():
            mailing = create_mailing(owner, message, recipients)
            rows = MailingRecipient.objects.filter(mailing=mailing)
            result.recipients = mailing.recipients_count
            result.to_send = rows.filter(status=Status.PENDING).count()
            result.skips = list(
                rows.filter(status=Status.SKIPPED)
                .values_list("skip_reason")
                .annotate(n=Count("id"))
                .order_by("-n", "skip_reason")
            )
            first = rows.filter(status=Status.PENDING).order_by("pk").values_list("email", flat=True).first()
            raise _Undo(first)
    except _Undo as undo:
        first = undo.args[0]
    audience = measure_audience(owner, recipients)
    result.not_allowed = audience.not_allowed
    result.duplicates = max(audience.allowed - result.recipients, 0)
    cfg = MassmailSettings.load()
    result.accounts = carrying_accounts(owner, cfg)
    result.finish = forecast.expected_finish(
        cfg,
        result.to_send,
        [(a.daily_limit, a.sent_today) for a in result.accounts if a.usable],
        start or timezone.now(),
    )
    result.preview = previews.preview(message, owner, recipient_types()[recipients.model], first or "")
    return result


def local_start(naive, cfg=None):
    """A wall-clock date and time typed in the settings' time zone, as an aware datetime."""
    return naive.replace(tzinfo=zone(cfg or MassmailSettings.load()))


@transaction.atomic
def start_mailing(owner, message, recipients, name="", start_at=None):
    """Create the mailing: running now, or `scheduled` until `start_at` when that is later."""
    mailing = create_mailing(owner, message, recipients, name)
    if start_at is not None and start_at > timezone.now() and mailing.status != Mailing.Status.DONE:
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SCHEDULED, start_at=start_at)
        mailing.refresh_from_db()
        notify_mailing(mailing, f"Scheduled to start at {_shown(start_at)}.")
    return mailing


def _shown(moment):
    return f"{moment.astimezone(zone(MassmailSettings.load())):%Y-%m-%d %H:%M %Z}"


def reschedule(mailing, start_at=None):
    """Move a scheduled mailing's start (None: start now). False when it has already started."""
    now = timezone.now()
    if start_at is None or start_at <= now:
        changed = Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SCHEDULED).update(
            status=Mailing.Status.ACTIVE, start_at=now, updated_at=now
        )
        text = "Started now instead of at its scheduled time."
    else:
        changed = Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SCHEDULED).update(
            start_at=start_at, updated_at=now
        )
        text = f"Start moved to {_shown(start_at)}."
    if changed:
        mailing.refresh_from_db()
        notify_mailing(mailing, text)
    return bool(changed)


@transaction.atomic
def cancel_scheduled(mailing, user=None):
    """Cancel a mailing that has not started: its rows are kept as skipped, it is done."""
    now = timezone.now()
    changed = Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SCHEDULED).update(
        status=Mailing.Status.DONE, finished_at=now, updated_at=now
    )
    if not changed:
        return False
    MailingRecipient.objects.filter(mailing=mailing, status=Status.PENDING).update(
        status=Status.SKIPPED, skip_reason=CANCELLED
    )
    recount([mailing.pk])
    mailing.refresh_from_db()
    by = f" by {user.get_full_name() or user.username}" if user else ""
    notify_mailing(mailing, f"Cancelled{by} before it started.")
    return True


def start_due_mailings(now=None):
    """Scheduled mailings whose time has come become active; returns how many."""
    now = now or timezone.now()
    due = list(
        Mailing.objects.filter(
            Q(start_at__lte=now) | Q(start_at__isnull=True), status=Mailing.Status.SCHEDULED
        )
    )
    started = 0
    for mailing in due:
        if Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SCHEDULED).update(
            status=Mailing.Status.ACTIVE, updated_at=now
        ):
            notify_mailing(mailing, "Started at its scheduled time.")
            started += 1
    return started
