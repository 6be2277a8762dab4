"""A mailing's live state for the mailings list and page: counts, progress, sent today, finish.

Read from the recipient rows (one grouped query for a whole page of mailings), so it is
current while the drip runs. Progress counts only what was attempted (sent or failed) of
what was to be attempted: skipped rows are neither done nor to do.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from mailaccounts.accounts import start_of_today
from massmail import forecast
from massmail.models import Mailing, MailingRecipient, MassmailSettings
from massmail.scheduling import zone
from massmail.starting import carrying_accounts

Status = MailingRecipient.Status
OPEN = (Status.PENDING, Status.SENDING)
WAITING = (Mailing.Status.ACTIVE, Mailing.Status.ACTIVE_ERROR, Mailing.Status.SCHEDULED)


@dataclass
class MailingState:
    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    to_send: int = 0
    sent_today: int = 0
    finish: datetime.datetime | None = None
    time_zone: str = "UTC"  # the settings' zone, in which times are shown

    @property
    def percent(self):
        attempted = self.sent + self.failed
        base = attempted + self.to_send
        return 100 * attempted // base if base else 100

    @property
    def summary(self):
        """E.g. "73 of 77 sent, 4 skipped": the figures that are not zero."""
        parts = [f"{self.sent} of {self.total} sent"]
        parts += [
            f"{n} {label}"
            for n, label in ((self.to_send, "to send"), (self.skipped, "skipped"), (self.failed, "failed"))
            if n
        ]
        return ", ".join(parts)


def counts(start_of_today):
    return {
        "total": Count("id"),
        "sent": Count("id", filter=Q(status=Status.SENT)),
        "failed": Count("id", filter=Q(status=Status.FAILED)),
        "skipped": Count("id", filter=Q(status=Status.SKIPPED)),
        "to_send": Count("id", filter=Q(status__in=OPEN)),
        "sent_today": Count("id", filter=Q(status=Status.SENT, sent_at__gte=start_of_today)),
    }


def states_of(mailings, now=None):
    """{mailing id: MailingState}: one grouped query, and one per owner of a mailing still to finish."""
    cfg = MassmailSettings.load()
    rows = (
        MailingRecipient.objects.filter(mailing_id__in=[m.pk for m in mailings])
        .values("mailing_id")
        .annotate(**counts(start_of_today(cfg.time_zone)))
        .order_by()
    )
    figures = {row.pop("mailing_id"): row for row in rows}
    now = now or timezone.now()
    limits = {}
    states = {}
    for mailing in mailings:
        state = MailingState(**figures.get(mailing.pk, {}), time_zone=str(zone(cfg)))
        if mailing.status in WAITING and state.to_send:
            if mailing.owner_id not in limits:
                accounts = carrying_accounts(mailing.owner, cfg)
                limits[mailing.owner_id] = [(a.daily_limit, a.sent_today) for a in accounts if a.usable]
            start = max(now, mailing.start_at) if mailing.start_at else now
            state.finish = forecast.expected_finish(cfg, state.to_send, limits[mailing.owner_id], start)
        states[mailing.pk] = state
    return states


def state_of(mailing):
    return states_of([mailing])[mailing.pk]


def status_label(mailing, state):
    """The status in words; a scheduled mailing says when it starts."""
    if mailing.status == Mailing.Status.SCHEDULED and mailing.start_at:
        start = mailing.start_at.astimezone(ZoneInfo(state.time_zone))
        return f"Scheduled for {start:%Y-%m-%d %H:%M}"
    return mailing.get_status_display()
