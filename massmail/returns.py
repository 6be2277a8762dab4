"""What came back for mail we sent: bounces and complaints applied to the recipient rows.

The IMAP sync (mailaccounts) reads each returned message with `mailkit.returned_mail` and hands
the verdict to `handle`, registered in `MassmailConfig.ready()` (mailaccounts/handlers.py).

- A bounce finds its recipient row by the original's Message-ID (the headers the report
  returns), else by the failed address and the account that sent it, and marks it failed with
  the reason and diagnostic. A hard reason suppresses the address at once; soft bounces are
  counted per address and SOFT_BOUNCE_LIMIT of them within SOFT_BOUNCE_DAYS suppress it.
- A complaint suppresses the address (`complained`); a mailing whose complaints exceed
  COMPLAINT_RATE_LIMIT of its sends is paused with a notification that says why.
- Mail that is not ours (no row found) is left alone: `handle` returns False.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from mailkit.bounce_reasons import Reason
from mailkit.returned_mail import Failure, Kind, Returned
from massmail import mailings
from massmail.models import Bounce, Mailing, MailingRecipient, Suppression, SuppressionLift, normalize_email

log = logging.getLogger(__name__)


def handle(account, parsed, returned: Returned) -> bool:
    """True when `returned` was about mail we sent (and has been applied)."""
    if returned.kind is Kind.BOUNCE:
        return apply_bounce(returned, account)
    if returned.kind is Kind.COMPLAINT:
        return apply_complaint(returned, account)
    return False


def find_rows(message_ids, address: str, account) -> list[MailingRecipient]:
    """The rows a report is about: by the original's Message-ID, else by address and account."""
    if message_ids:
        by_id = MailingRecipient.objects.filter(message_id__in=list(message_ids))
        rows = list(by_id.filter(email__iexact=address)) if address else []
        if rows or (rows := list(by_id)):
            return rows
    if not (address and account):
        return []
    latest = (
        MailingRecipient.objects.filter(email__iexact=address, account=account)
        .exclude(sent_at=None)
        .order_by("-sent_at")[:1]
    )
    return list(latest)


def apply_bounce(returned: Returned, account) -> bool:
    ours = False
    for failure in returned.failures:
        rows = find_rows(returned.message_ids, failure.address, account)
        ours = ours or bool(rows)
        for row in rows:
            if fail_recipient(row, failure):  # False: a copy of a report already read
                record_bounce(failure.address or row.email, failure, row)
                log_bounce(account, row, failure)
    return ours


def log_bounce(account, row, failure: Failure) -> None:
    """One line per bounce for operators, with the account and mailing ids."""
    kind = "hard" if failure.hard else "soft"
    log.info(
        "account %s: bounce for mailing %s, %s: %s %s (%s) %s",
        getattr(account, "pk", None),
        row.mailing_id,
        failure.address or row.email,
        kind,
        failure.reason.value,
        failure.status,
        failure.diagnostic,
        extra={
            "account_id": getattr(account, "pk", None),
            "mailing_id": row.mailing_id,
            "status": failure.status,
            "reason": failure.reason.value,
            "hard": failure.hard,
        },
    )


def fail_recipient(row: MailingRecipient, failure: Failure) -> bool:
    """Mark the row failed with the bounce's reason; False when it was bounced before."""
    with transaction.atomic():
        row = MailingRecipient.objects.select_for_update().get(pk=row.pk)
        if row.bounced_at is not None:
            return False
        was = row.status
        row.status = MailingRecipient.Status.FAILED
        row.bounce_reason = failure.reason.value
        row.bounce_diagnostic = failure.diagnostic[:500]
        row.bounced_at = timezone.now()
        kind = "hard" if failure.hard else "soft"
        row.last_error = f"Bounced ({kind}: {failure.reason.label}): {failure.diagnostic}"[:500]
        codes = " ".join(c for c in (failure.status, failure.smtp_code) if c)
        row.error_detail = f"Bounce: {failure.reason.label} ({kind}) {codes}\n{failure.diagnostic}"
        row.save(
            update_fields=[
                "status",
                "bounce_reason",
                "bounce_diagnostic",
                "bounced_at",
                "last_error",
                "error_detail",
            ]
        )
        if was != MailingRecipient.Status.FAILED:
            # The mailing's counters follow its rows: a bounced "sent" becomes "failed".
            counters = {"failed_count": F("failed_count") + 1}
            if was == MailingRecipient.Status.SENT:
                counters["sent_count"] = Greatest(F("sent_count") - 1, 0)
            Mailing.objects.filter(pk=row.mailing_id).update(**counters)
    return True


def record_bounce(address: str, failure: Failure, row) -> None:
    """Count the bounce; suppress a hard one at once, a soft one past the N-over-D rule."""
    address = normalize_email(address)
    Bounce.objects.create(
        email=address,
        reason=failure.reason.value,
        hard=failure.hard,
        diagnostic=failure.diagnostic[:500],
        recipient=row,
    )
    if failure.hard:
        Suppression.suppress(address, Suppression.Reason.BOUNCED, failure.diagnostic, failure.reason.value)
        return
    limit, days = settings.SOFT_BOUNCE_LIMIT, settings.SOFT_BOUNCE_DAYS
    since = timezone.now() - timedelta(days=days)
    lifted = SuppressionLift.objects.filter(email=address).order_by("-lifted_at").first()
    if lifted is not None:
        since = max(since, lifted.lifted_at)  # a lift starts the count afresh
    soft = Bounce.objects.filter(email=address, hard=False, created_at__gte=since).count()
    if soft >= limit:
        detail = f"{soft} soft bounces within {days} days; the last: {failure.diagnostic}"
        Suppression.suppress(address, Suppression.Reason.SOFT_BOUNCED, detail, failure.reason.value)


def apply_complaint(returned: Returned, account) -> bool:
    rows = find_rows(returned.message_ids, "", None)
    if not rows:
        rows = [row for address in returned.complained for row in find_rows((), address, account)]
    for row in rows:
        detail = f"Complaint ({returned.feedback_type or 'abuse'}) about mailing #{row.mailing_id}"
        Suppression.suppress(row.email, Suppression.Reason.COMPLAINED, detail)
        complained = MailingRecipient.objects.filter(pk=row.pk, complained_at=None)
        if complained.update(complained_at=timezone.now()):
            pause_if_complaints_too_many(row.mailing)
    return bool(rows)


def complaint_rate(mailing) -> tuple[int, int]:
    """(complaints, sends) of a mailing."""
    figures = MailingRecipient.objects.filter(mailing=mailing).aggregate(
        complaints=Count("pk", filter=Q(complained_at__isnull=False)),
        sends=Count("pk", filter=Q(sent_at__isnull=False)),
    )
    return figures["complaints"], figures["sends"]


def pause_if_complaints_too_many(mailing) -> bool:
    complaints, sends = complaint_rate(mailing)
    limit = settings.COMPLAINT_RATE_LIMIT
    if complaints <= limit * max(sends, 1):
        return False
    why = (
        f"Complaint rate {complaints / max(sends, 1):.2%} ({complaints} of {sends} sends) is above "
        f"{limit:.1%}, the large mailbox providers' limit for bulk senders."
    )
    return mailings.pause(mailing, why=why)


def returned_figures() -> dict:
    """Aggregates over recipient rows: bounced_hard, bounced_soft, complained."""
    hard = [reason.value for reason in Reason if reason.hard]
    bounced = Q(bounced_at__isnull=False)
    return {
        "bounced_hard": Count("pk", filter=bounced & Q(bounce_reason__in=hard)),
        "bounced_soft": Count("pk", filter=bounced & ~Q(bounce_reason__in=hard)),
        "complained": Count("pk", filter=Q(complained_at__isnull=False)),
    }


def returned_counts(mailing) -> dict:
    """{"bounced_hard", "bounced_soft", "complained"}: counts of the mailing's rows."""
    return MailingRecipient.objects.filter(mailing=mailing).aggregate(**returned_figures())


@transaction.atomic
def lift(suppressions, user, note: str) -> int:
    """Lift suppressions (a superuser's admin action): each is deleted and its lift recorded."""
    lifted = 0
    for suppression in suppressions.select_for_update():
        SuppressionLift.objects.create(
            email=suppression.email,
            reason=suppression.reason,
            bounce_reason=suppression.bounce_reason,
            detail=suppression.detail,
            suppressed_at=suppression.created_at,
            lifted_by=user,
            note=note[:500],
        )
        suppression.delete()
        lifted += 1
    return lifted
